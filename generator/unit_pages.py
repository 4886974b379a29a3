"""What unit pages and model indexes show, assembled once per build in one pass.

Which units get a page: every unit with a full page (referenced by an article, or in an atlas
layer: generator/units.py) shows its icon, variants, strongest inputs and outputs; every unit
shown as one of their strongest inputs or outputs gets a simpler one: its icon and its weights
to and from the full-page units, all from the full shards' ``unit-weights`` entries. So every
weight thumbnail links to a page, except a channel of the input image, which is not a unit and
is shown unlinked. A neighbour is named by the layer the site uses for its family (``relu1``,
though ``conv2`` reads ``pool1``), else by the ReLU after its convolution (see figures/graph.py).

:func:`index` walks every full unit's weights once and files each link under both ends (an
inverted index from unit to links), so assembling N pages costs O(N · k), and each model's index
is listed once; the render stage then renders the pages across processes like articles.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.units import (
    VARIANTS,
    Shard,
    Unit,
    UnitJobs,
    family_name,
    preferred_layers,
    stored_data,
)


@dataclass(frozen=True)
class Picture:
    """A stored image: its 1× and 2× PNG assets and its display size in CSS pixels."""

    src: object
    src_2x: object
    width: int
    height: int


@dataclass(frozen=True)
class Variant:
    name: str
    """A key of :data:`generator.units.VARIANTS`."""
    pictures: list[Picture]


@dataclass(frozen=True)
class Connection:
    """A kernel between a page's unit and another unit, with the other unit's icon."""

    label: str
    unit: Unit | None
    """The other unit, whose page the thumbnail links to (None: a channel of the image)."""
    conv: str
    size: tuple[int, int]
    peak: float
    """The kernel's strongest weight, normalised over the receiving unit (±1 at most)."""
    weights: Picture | None
    icon: Picture | None


@dataclass(frozen=True)
class Example:
    """One of a unit's top dataset examples: its crop, its activation, what the image is."""

    picture: Picture
    value: float
    image: int
    """The image's id in the dataset."""
    label: str
    """What the image shows, as its dataset describes it (a procedural image's kind and
    angle, a folder image's path)."""


@dataclass(frozen=True)
class Examples:
    """A unit's top examples from ``[units] dataset`` (ranked by max over positions)."""

    dataset: str
    count: int
    """How many images were scanned."""
    crop: str
    items: list[Example]


@dataclass
class UnitPage:
    """Everything a unit's page shows besides its backlinks."""

    model: str
    layer: str
    index: int
    referenced: bool
    """Whether an article references the unit (its page lists them and is searchable)."""
    full: bool = False
    """Whether the page shows the unit's own variants and weights (referenced or atlas); False
    for a unit that only appears among the inputs or outputs of those."""
    icon: Picture | None = None
    variants: list[Variant] = field(default_factory=list)
    examples: Examples | None = None
    """Its top dataset examples, when the site sets ``[units] dataset`` (full pages only)."""
    inputs: list[Connection] = field(default_factory=list)
    outputs: list[Connection] = field(default_factory=list)
    computed_by: str | None = None
    """The convolution computing the unit ('' if none does; None if not known)."""
    read_by: list[str] = field(default_factory=list)
    """The convolutions reading the unit."""


@dataclass
class UnitIndex:
    pages: dict[Unit, UnitPage]
    models: dict[str, dict[str, list[tuple[str, list]]]]
    """Per model, its index: ``referenced``, ``atlas`` and ``connected`` units by layer in
    network order, ``(layer, [(index, icon Picture or None), ...])``."""


def index(resolver) -> UnitIndex:
    """Every unit page and model index of the build (assembled on first use, then kept)."""
    jobs: UnitJobs = resolver.unit_jobs
    if jobs is None:
        return UnitIndex({}, {})
    if jobs.index is None:
        pages: dict[Unit, UnitPage] = {}
        for model, units in sorted(jobs.full.items()):
            _model_pages(jobs, resolver.units, model, sorted(units), pages)
        jobs.index = UnitIndex(pages, {model: _listing(jobs, pages, model)
                                       for model in sorted(jobs.full)})
    return jobs.index


def pages(resolver) -> list[Unit]:
    """Every unit with a page, sorted."""
    return sorted(index(resolver).pages)


def unit_page(resolver, model: str, layer: str, index_: int) -> UnitPage:
    return index(resolver).pages[(model, layer, index_)]


def model_index(resolver, model: str) -> dict[str, list[tuple[str, list]]]:
    return index(resolver).models[model]


def _model_pages(jobs: UnitJobs, refs: dict, model: str, units: list[Unit],
                 pages: dict[Unit, UnitPage]) -> None:
    """Full pages of ``units``; each link also lands on the neighbour's simpler page."""
    layers = stored_data(jobs, jobs.layers[model]) or {}
    preferred = preferred_layers(jobs, model)
    for unit in units:
        page = pages[unit] = _full_page(jobs, unit, unit in refs)
        shard = jobs.shard(*unit)
        entry = _weights_entry(jobs, shard, unit[2])
        if entry is None:
            continue
        data = stored_data(jobs, shard.weights)
        page.computed_by, page.read_by = data["inputs_from"], data["outputs_to"]
        for direction in ("inputs", "outputs"):
            for link in entry[direction]:
                name = family_name(layers, link["layer"], preferred) if link["layer"] else ""
                other = (model, name, link["index"]) if name else None
                getattr(page, direction).append(_connection(jobs, shard, link, other))
                if other is not None and other not in jobs.full[model]:
                    _back_link(jobs, pages, other, unit, shard, link, direction)


def _full_page(jobs: UnitJobs, unit: Unit, referenced: bool) -> UnitPage:
    shard = jobs.shard(*unit)
    page = UnitPage(*unit, referenced=referenced, full=True, icon=_icon(jobs, unit))
    position = unit[2] - shard.start
    for name, settings in VARIANTS.items():
        variant, count = shard.variants[name], settings.get("diversity", 1)
        if variant.entry is not None:
            page.variants.append(Variant(name, [_picture(variant, 1 + position * count + i)
                                                for i in range(count)]))
    page.examples = _examples(jobs, shard, position)
    return page


def _examples(jobs: UnitJobs, shard: Shard, position: int) -> Examples | None:
    """The unit's examples from its shard's ``dataset-examples`` entry (one tile per example)."""
    data = stored_data(jobs, shard.examples)
    if data is None:
        return None
    rows = data["units"][position]["examples"]
    return Examples(data["dataset"], data["count"], data["crop"],
                    [Example(_picture(shard.examples, row["image"]), row["value"], row["id"],
                             example_label(row)) for row in rows])


def example_label(record: dict) -> str:
    """A short name for an example's image: a folder image's path, a procedural image's kind
    and orientation, and for a curve cut by the crop, the orientation of the part it shows."""
    if "path" in record:
        return str(record["path"])
    words = [str(record["kind"])] if "kind" in record else []
    if isinstance(record.get("orientation"), (int, float)):
        words.append(f"{record['orientation']:.0f}°")
        seen = (record.get("in_crop") or {}).get("orientation")
        if isinstance(seen, (int, float)) and f"{seen:.0f}" != f"{record['orientation']:.0f}":
            words.append(f"({seen:.0f}° in the crop)")
    return " ".join(words) or f"image {record['id']}"


def _weights_entry(jobs: UnitJobs, shard: Shard, index_: int) -> dict | None:
    data = stored_data(jobs, shard.weights)
    if data is None:
        return None
    return data["units"][index_ - shard.start]


def _back_link(jobs: UnitJobs, pages: dict, other: Unit, unit: Unit, shard: Shard,
               link: dict, direction: str) -> None:
    """File the kernel between full-page ``unit`` and ``other`` on ``other``'s page, the other
    way round: one of the unit's inputs is an output of ``other``."""
    page = pages.get(other)
    if page is None:
        page = pages[other] = UnitPage(*other, referenced=False, icon=_icon(jobs, other))
    back = Connection(f"{unit[1]}:{unit[2]}", unit, link["conv"], tuple(link["size"]),
                      link["peak"], _picture(shard.weights, link["weights"]), _icon(jobs, unit))
    (page.outputs if direction == "inputs" else page.inputs).append(back)


def _connection(jobs: UnitJobs, shard: Shard, link: dict, other: Unit | None) -> Connection:
    label = f"{other[1]}:{other[2]}" if other else link["label"]
    return Connection(label, other, link["conv"], tuple(link["size"]), link["peak"],
                      _picture(shard.weights, link["weights"]),
                      _icon(jobs, other) if other else None)


def _icon(jobs: UnitJobs, unit: Unit) -> Picture | None:
    shard = jobs.shard(*unit)
    return _picture(shard.icons, 1 + unit[2] - shard.start) if shard else None


def _picture(use, number: int | None) -> Picture | None:
    if use is None or use.entry is None or number is None:
        return None
    image = use.entry.manifest["images"][number]
    assets = use.call.data["assets"]
    return Picture(assets[image["png"]], assets[image["png_2x"]], image["width"],
                   image["height"])


def _listing(jobs: UnitJobs, pages: dict[Unit, UnitPage], model: str) -> dict[str, list]:
    """The model's index: referenced units, every atlas unit, then the connected ones, each
    by layer in network order."""
    data = stored_data(jobs, jobs.layers[model])
    order = {name: i for i, name in enumerate(data.get("order", []) if data else [])}
    groups: dict[str, dict[str, list]] = {"referenced": {}, "atlas": {}, "connected": {}}
    for (name, layer, number), page in sorted(pages.items()):
        if name != model:
            continue
        kinds = (["referenced"] if page.referenced else []) + \
            (["atlas"] if (name, layer, number) in jobs.atlas else []) + \
            ([] if page.full else ["connected"])
        for kind in kinds:
            groups[kind].setdefault(layer, []).append((number, page.icon))
    return {kind: sorted(layers.items(), key=lambda item: (order.get(item[0], len(order)),
                                                           item[0]))
            for kind, layers in groups.items()}
