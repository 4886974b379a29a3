"""Units referenced with ``{unit}``: their store jobs, their validation and their pages.

Resolve schedules, per model, a ``model-layers`` job (each layer's channel count, the network's
order and what each layer reads) and, per (model, layer), batched jobs for all the layer's
referenced units: the ``feature-viz`` icons, a negative and a diversity variant of them, and
``unit-weights`` (each unit's strongest direct inputs and outputs, with icons of those
neighbours), so ``figures gc`` keeps them. The figures stage computes ``model-layers`` first
and checks every reference against it, so an unknown layer or unit is an error at the line
that names it. A builder directive that names units itself (``:layer: relu1``, ``:unit:
conv3:1``, ``:units: 0-7``: :data:`UNIT_OPTIONS`) gets its model's ``model-layers`` job too and
is checked the same way, at the option's line, before any figure is computed. ``thread check``
checks both against the entries already in the store (:func:`validate` says so at the line when
the entry is missing) and computes nothing.

Which units get a page (:func:`pages`): every referenced unit gets a full page (icon,
variants, strongest inputs and outputs, backlinks), and every unit shown as one of their
strongest inputs or outputs gets a simpler one: its icon and its weights to and from the
referenced units, all from the referenced layers' ``unit-weights`` jobs, so no further job
runs and the pages stop there. Every weight thumbnail therefore links to a page, except a
channel of the input image, which is not a unit and is shown unlinked. A neighbour is named
by the layer the site's references use for its family (``relu1``, though ``conv2`` reads
``pool1``), else by the ReLU after its convolution (see figures/graph.py).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from generator.directives import Call
from generator.errors import SiteError, did_you_mean
from generator.figures import validate_params

ICON = {"size": 64, "steps": 64, "seed": 0}
"""Feature-viz settings of unit icons: small enough for a CPU build of the demo."""
VARIANTS = {"negative": {"objective": "negative", "size": 64, "steps": 64, "seed": 0},
            "diversity": {"objective": "diversity", "diversity": 4, "size": 48, "steps": 64,
                          "seed": 0}}
"""The other visualisations on a unit's page, in page order (``diversity`` images per unit;
they are the costly ones, so smaller)."""
WEIGHTS = {"k": 4, "icon_size": 64, "icon_steps": 64, "seed": 0}
"""``unit-weights`` settings: four inputs and four outputs per unit, icons like the units'."""

Unit = tuple[str, str, int]
UNIT_OPTIONS = ("layer", "unit", "units")
"""Builder parameters that name units of the figure's ``model``: ``layer`` (``relu1`` or
``mixed3b:379``), ``unit`` (``conv3:1``) and ``units`` (``0-7, 12``, of the layer the other
two name)."""


@dataclass(frozen=True)
class NamedUnits:
    """The units one option of a builder directive names, where the author wrote them."""

    option: str
    line: int
    layer: str
    indices: list[int]


@dataclass
class UnitJobs:
    """The store uses behind unit references: model → layers job, (model, layer) → the jobs of
    the layer's referenced units (icons with the indices they cover, variants, weights)."""

    layers: dict[str, object] = field(default_factory=dict)
    icons: dict[tuple[str, str], tuple[object, list[int]]] = field(default_factory=dict)
    variants: dict[tuple[str, str], dict[str, object]] = field(default_factory=dict)
    weights: dict[tuple[str, str], object] = field(default_factory=dict)
    loaded: dict[str, dict] = field(default_factory=dict, repr=False)
    """data.json of entries already read, by store key."""


def schedule(resolver, plan) -> UnitJobs:
    """One ``model-layers`` use per model; per referenced layer, one use of each unit job."""
    jobs = UnitJobs()
    by_layer: dict[tuple[str, str], list[int]] = defaultdict(list)
    for (model, layer, index) in sorted(resolver.units):
        by_layer[(model, layer)].append(index)
    for (model, layer), indices in sorted(by_layer.items()):
        first = resolver.units[(model, layer, indices[0])][0]
        if model not in jobs.layers:
            jobs.layers[model] = _use(plan, "model-layers", {"model": model}, first)
        base = {"model": model, "layer": layer, "units": [str(i) for i in indices]}
        jobs.icons[(model, layer)] = (_use(plan, "feature-viz", {**base, **ICON}, first), indices)
        jobs.variants[(model, layer)] = {name: _use(plan, "feature-viz", {**base, **settings},
                                                    first) for name, settings in VARIANTS.items()}
        names = sorted({name for m, name in by_layer if m == model})  # how to name neighbours
        jobs.weights[(model, layer)] = _use(plan, "unit-weights",
                                            {**base, **WEIGHTS, "names": names}, first)
    for use in list(plan.uses):  # builder directives that name units: their models' layers
        model = (figure_units(use) or ("", []))[0]
        if model and model not in jobs.layers and "model-layers" in plan.builders:
            jobs.layers[model] = _use(plan, "model-layers", {"model": model}, use.call)
    return jobs


def figure_units(use) -> tuple[str, list[NamedUnits]] | None:
    """The model and the units a builder directive's own options name, or None if it names
    none (options left at their defaults are the builder's business)."""
    call, params = use.call, use.job.params
    model = params.get("model")
    if call.options is None or not isinstance(model, str):
        return None  # a job scheduled for a {unit} reference, or a builder without a model
    written = [name for name in UNIT_OPTIONS if name in call.options.model_fields_set]
    base = next((str(params[name]).partition(":")[0] for name in ("layer", "unit")
                 if params.get(name)), "")
    named = []
    for option in written:
        value = params[option]
        if option == "units":
            indices = _indices(value)
            if indices is not None and base:
                named.append(NamedUnits(option, call.line_of(option), base, indices))
        elif isinstance(value, str) and value:
            layer, _, index = value.partition(":")
            named.append(NamedUnits(option, call.line_of(option), layer,
                                    [int(index)] if index.isdigit() else []))
    return (model, named) if named else None


def _indices(items) -> list[int] | None:
    """``["0-7", "12"]`` → [0, …, 7, 12]; None if an item is not a number or a range (the
    builder reports that)."""
    indices = []
    for item in items if isinstance(items, list) else [items]:
        first, dash, last = str(item).strip().partition("-")
        if not first.isdigit() or (dash and not last.strip().isdigit()):
            return None
        indices += list(range(int(first), int(last) + 1)) if dash else [int(first)]
    return indices


def _use(plan, builder: str, values: dict, where: Call):
    """Key a builder job on behalf of a reference (errors point at that reference)."""
    params, error = validate_params(plan.builders[builder], values)
    if error is not None:
        raise SiteError(where.path, where.line, f"cannot schedule {builder}: {error}")
    call = Call(builder, where.path, where.line, argument="", kind="directive")
    return plan.schedule(call, params)


def is_layers_job(use) -> bool:
    return use.job.builder == "model-layers"


def validate(resolver, jobs: UnitJobs) -> list[SiteError]:
    """Every reference names a layer of its model and a unit within that layer's channels, and
    so does every builder directive's ``:layer:``, ``:unit:`` and ``:units:`` (at its line).

    Without the model's ``model-layers`` entry (``thread check`` before the first build), each
    is an error saying it cannot be checked."""
    errors, store = [], resolver.plan.config.figures.store
    for (model, layer, index), refs in sorted(resolver.units.items()):
        for call in refs:
            errors += _check(jobs, model, NamedUnits("", call.line, layer, [index]), call,
                             f"unit '{model}/{layer}:{index}'", store)
    for use in resolver.plan.uses:
        model, named = figure_units(use) or ("", [])
        for units in named:  # the first problem only: :units: of an unknown :layer: would echo it
            found = _check(jobs, model, units, use.call, f":{units.option}: of '{use.call.name}'",
                           store)
            errors += found
            if found:
                break
    return errors


def _check(jobs: UnitJobs, model: str, units: NamedUnits, call, what: str,
           store: str) -> list[SiteError]:
    """The problem with ``units`` of ``model``, at ``units.line`` of ``call``'s file."""
    use = jobs.layers.get(model)
    if use is None:
        return []  # no model-layers builder on this site: nothing to check against
    data = _data(jobs, use)
    if data is None:
        return [SiteError(call.path, units.line, f"cannot check {what}: the layers of model "
                          f"'{model}' are not in the figure store ({store}/)",
                          "thread build computes them where torch is installed; commit the "
                          "store")]
    layers = data["layers"]
    if units.layer not in layers:
        return [SiteError(call.path, units.line, f"model '{model}' has no layer '{units.layer}'",
                          did_you_mean(units.layer, set(layers)))]
    count = layers[units.layer]
    missing = [str(index) for index in units.indices if index >= count]
    if not missing:
        return []
    which = f"unit {missing[0]} does not" if len(missing) == 1 else \
        f"units {', '.join(missing)} do not"
    return [SiteError(call.path, units.line, f"{which} exist: {model}/{units.layer} has units "
                      f"0-{count - 1}")]


def icon_asset(jobs: UnitJobs, model: str, layer: str, index: int):
    """The stored per-unit feature-viz image of a unit (an Asset), or None if not computed."""
    use, indices = jobs.icons.get((model, layer), (None, []))
    if use is None or use.entry is None or index not in indices:
        return None
    image = use.entry.manifest["images"][1 + indices.index(index)]
    return use.call.data["assets"][image["png"]]


# --- what unit pages show --------------------------------------------------------------------

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
    """A key of :data:`VARIANTS`."""
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


@dataclass
class UnitPage:
    """Everything a unit's page shows besides its backlinks."""

    model: str
    layer: str
    index: int
    referenced: bool
    """False for a unit that only appears among the inputs or outputs of referenced ones."""
    icon: Picture | None = None
    variants: list[Variant] = field(default_factory=list)
    inputs: list[Connection] = field(default_factory=list)
    outputs: list[Connection] = field(default_factory=list)
    computed_by: str | None = None
    """The convolution computing the unit ('' if none does; None if not known)."""
    read_by: list[str] = field(default_factory=list)
    """The convolutions reading the unit."""


def pages(resolver) -> list[Unit]:
    """Every unit with a page: the referenced ones and their strongest inputs and outputs."""
    shown = {other for _, _, links in _weight_entries(resolver.unit_jobs) for other in links
             if other[1]}
    return sorted(set(resolver.units) | shown)


def unit_page(resolver, model: str, layer: str, index: int) -> UnitPage:
    """The page of a referenced unit, or the simpler page of one shown beside them."""
    if (model, layer, index) in resolver.units:
        return _referenced_page(resolver.unit_jobs, model, layer, index)
    return _neighbour_page(resolver.unit_jobs, (model, layer, index))


def _referenced_page(jobs: UnitJobs, model: str, layer: str, index: int) -> UnitPage:
    page = UnitPage(model, layer, index, referenced=True)
    use, indices = jobs.icons[(model, layer)]
    position = indices.index(index)
    page.icon = _picture(use, 1 + position)
    for name, settings in VARIANTS.items():
        variant, count = jobs.variants[(model, layer)][name], settings.get("diversity", 1)
        if variant.entry is not None:
            page.variants.append(Variant(name, [_picture(variant, 1 + position * count + i)
                                                for i in range(count)]))
    weights = jobs.weights[(model, layer)]
    data = _data(jobs, weights)
    if data is not None:
        entry = next(entry for entry in data["units"] if entry["unit"] == index)
        page.inputs = [_connection(model, weights, link) for link in entry["inputs"]]
        page.outputs = [_connection(model, weights, link) for link in entry["outputs"]]
        page.computed_by, page.read_by = data["inputs_from"], data["outputs_to"]
    return page


def _neighbour_page(jobs: UnitJobs, unit: Unit) -> UnitPage:
    """A unit's weights to and from the referenced units it was shown beside, and its icon."""
    page = UnitPage(*unit, referenced=False)
    for (model, layer, index), use, links in _weight_entries(jobs):
        if unit not in links:
            continue
        link, direction = links[unit]
        page.icon = page.icon or _picture(use, link["icon"])
        icon_use, indices = jobs.icons[(model, layer)]
        back = Connection(f"{layer}:{index}", (model, layer, index), link["conv"],
                          tuple(link["size"]), link["peak"], _picture(use, link["weights"]),
                          _picture(icon_use, 1 + indices.index(index)))
        (page.outputs if direction == "inputs" else page.inputs).append(back)
    return page


def _weight_entries(jobs: UnitJobs):
    """(referenced unit, its weights use, {neighbour unit: (link, "inputs" | "outputs")})."""
    for (model, layer), use in sorted(jobs.weights.items()):
        data = _data(jobs, use)
        for entry in data["units"] if data else []:
            links = {(model, link["layer"], link["index"]): (link, direction)
                     for direction in ("inputs", "outputs") for link in entry[direction]}
            yield (model, layer, entry["unit"]), use, links


def _connection(model: str, use, link: dict) -> Connection:
    return Connection(link["label"], (model, link["layer"], link["index"]) if link["layer"]
                      else None, link["conv"], tuple(link["size"]), link["peak"],
                      _picture(use, link["weights"]), _picture(use, link["icon"]))


def _picture(use, number: int | None) -> Picture | None:
    if use is None or use.entry is None or number is None:
        return None
    image = use.entry.manifest["images"][number]
    assets = use.call.data["assets"]
    return Picture(assets[image["png"]], assets[image["png_2x"]], image["width"],
                   image["height"])


def _data(jobs: UnitJobs, use) -> dict | None:
    """A computed entry's data.json (read once per build)."""
    if use.entry is None:
        return None
    if use.job.key not in jobs.loaded:
        jobs.loaded[use.job.key] = json.loads(use.entry.path("data.json").read_text())
    return jobs.loaded[use.job.key]


def model_index(resolver, model: str) -> dict[bool, list[tuple[str, list]]]:
    """A model's units with pages, referenced (True) or not (False), by layer in network
    order: ``(layer, [(index, icon Picture or None), ...])``."""
    jobs = resolver.unit_jobs
    data = _data(jobs, jobs.layers[model])
    order = {name: i for i, name in enumerate(data.get("order", []) if data else [])}
    groups: dict[bool, dict[str, list]] = {True: {}, False: {}}
    for name, layer, index in pages(resolver):
        if name == model:
            page = unit_page(resolver, model, layer, index)
            groups[page.referenced].setdefault(layer, []).append((index, page.icon))
    return {referenced: sorted(layers.items(), key=lambda item: (order.get(item[0], len(order)),
                                                                 item[0]))
            for referenced, layers in groups.items()}


def unit_url(model: str, layer: str, index: int) -> str:
    return f"units/{model}/{layer}/{index}/"
