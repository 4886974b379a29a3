"""Units with pages: their store jobs, in fixed shards of a layer, and their validation.

A unit gets a *full* page when an article references it (``{unit}`planted/relu1:3```) or its
layer is in the site's atlas (``[units] atlas = ["planted/relu1"]``, ``planted/*`` for every
layer). Resolve schedules, per model, a ``model-layers`` job (each layer's channel count, the
network's order, what each layer reads, its families); once that is in the store, the units of
each layer are planned in **fixed shards** of ``[units] shard`` units (0-63, 64-127, …) whatever
subset of them is referenced: a shard holds the ``feature-viz`` icons, a negative and a
diversity variant, ``unit-weights`` (each unit's strongest direct inputs and outputs) and, when
``[units] dataset`` names a dataset, ``dataset-examples`` (each unit's top examples: the figures
stage scans that dataset once for every layer of them and the articles' examples). The
shard's store keys depend only on the model, the layer, the shard and the settings, so a new
reference reuses stored shards, and a unit's images depend only on its own (model, layer, unit,
settings, seed): each image is seeded by its unit (figures/featureviz.py ``image_seeds``). On
the planted and tiny models a unit's images are byte-identical alone and in a shard on CPU;
bigger convolutions pick other kernels by batch size (a random 3→64→192→256 network differed
by up to 0.05 after 16 steps), so the shard, not the unit, is the unit of identity.

Units shown among the strongest inputs or outputs of a full page get a simpler page, and their
icons come from the shards of their own layers, planned once the ``unit-weights`` entries are
stored (:func:`expand` runs after each round of computing until nothing new is planned). The
figures stage computes ``model-layers`` first and checks every reference, every atlas entry and
every builder option naming units against it (:func:`validate`), at the line that names it.
``thread check`` checks against the entries already in the store and computes nothing.

What the pages show is assembled in generator/unit_pages.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from generator.config import CONFIG_NAME, toml_line
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
EXAMPLES = {"k": 9, "crop": "receptive-field", "sign": "positive", "tiles": True}
"""``dataset-examples`` settings of full pages when ``[units] dataset`` is set: each unit's nine
top examples cut to its receptive field, one image per example (the page lays them out)."""
WEIGHTS = {"k": 4, "icons": False}
"""``unit-weights`` settings: four inputs and four outputs per unit; the neighbours' icons come
from their own shards, and neighbours are named by their ReLU (pages rename them)."""

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
class Shard:
    """The jobs of units ``start`` to ``stop - 1`` of a layer: icons always; variants and
    weights when a unit of it has a full page."""

    model: str
    layer: str
    start: int
    stop: int
    icons: object
    variants: dict[str, object] = field(default_factory=dict)
    weights: object = None
    examples: object = None
    """``dataset-examples`` of the shard's units from ``[units] dataset``, if set."""


@dataclass
class UnitJobs:
    """The store uses behind unit pages: model → layers job, (model, layer, shard start) →
    :class:`Shard`, and which units get full pages."""

    layers: dict[str, object] = field(default_factory=dict)
    shards: dict[tuple[str, str, int], Shard] = field(default_factory=dict)
    full: dict[str, set[Unit]] = field(default_factory=dict)
    """Per model whose layers are known: the units with full pages (valid references, atlas)."""
    atlas: set[Unit] = field(default_factory=set)
    loaded: dict[str, dict] = field(default_factory=dict, repr=False)
    """data.json of entries already read, by store key."""
    index: object = field(default=None, repr=False)
    """The assembled pages (generator/unit_pages.py), built once per build."""
    size: int = 64
    """Units per shard (site.toml's ``[units] shard``)."""

    def start(self, index: int) -> int:
        """The first unit of the shard holding unit ``index``."""
        return index - index % self.size

    def shard(self, model: str, layer: str, index: int) -> Shard | None:
        return self.shards.get((model, layer, self.start(index)))


def schedule(resolver, plan) -> UnitJobs:
    """One ``model-layers`` use per model with references, atlas layers or builder options
    naming units; then every shard the store already allows to plan (:func:`expand`)."""
    jobs = UnitJobs(size=plan.config.units.shard)
    for model in sorted({model for model, _, _ in resolver.units}):
        first = resolver.units[min(u for u in resolver.units if u[0] == model)][0]
        jobs.layers[model] = _use(plan, "model-layers", {"model": model}, first)
    for number, entry in enumerate(plan.config.units.atlas):
        model = entry.partition("/")[0]
        if model not in jobs.layers:
            jobs.layers[model] = _use(plan, "model-layers", {"model": model},
                                      atlas_call(plan, number))
    for use in list(plan.uses):  # builder directives that name units: their models' layers
        model = (figure_units(use) or ("", []))[0]
        if model and model not in jobs.layers and "model-layers" in plan.builders:
            jobs.layers[model] = _use(plan, "model-layers", {"model": model}, use.call)
    expand(resolver, plan, jobs)
    return jobs


def expand(resolver, plan, jobs: UnitJobs) -> int:
    """Plan the shards whose inputs the store now holds: full shards of models whose layers
    are stored, icon shards of the neighbours named by stored weights. Returns how many jobs
    it added (0: nothing more to plan)."""
    before = len(plan.uses)
    waiting = _waiting(jobs)
    plan.attach(lambda use: use.entry is None and use.job.key in waiting)
    for model, use in sorted(jobs.layers.items()):
        data = stored_data(jobs, use)
        if data is not None and model not in jobs.full:
            _plan_full(resolver, plan, jobs, model, data)
    waiting = _waiting(jobs)
    plan.attach(lambda use: use.entry is None and use.job.key in waiting)
    for model in sorted(jobs.full):
        data = stored_data(jobs, jobs.layers[model])
        for shard in [s for s in list(jobs.shards.values()) if s.model == model and s.weights]:
            for unit in neighbours(jobs, shard, data):
                _ensure_shard(plan, jobs, unit, data["layers"][unit[1]], shard.icons.call)
    return len(plan.uses) - before


def _waiting(jobs: UnitJobs) -> set[str]:
    """Keys of the uses whose data plans more shards."""
    keys = {use.job.key for use in jobs.layers.values()}
    return keys | {s.weights.job.key for s in jobs.shards.values() if s.weights is not None}


def _plan_full(resolver, plan, jobs: UnitJobs, model: str, data: dict) -> None:
    counts = data["layers"]
    refs = {(m, layer, index): calls[0] for (m, layer, index), calls in resolver.units.items()
            if m == model and index < counts.get(layer, 0)}
    atlas = atlas_units(plan, model, data, refs)
    jobs.atlas |= set(atlas)
    jobs.full[model] = set(refs) | set(atlas)
    for unit in sorted(jobs.full[model]):
        shard = _ensure_shard(plan, jobs, unit, counts[unit[1]], refs.get(unit) or atlas[unit])
        if shard.weights is None:
            where, base = shard.icons.call, _base(shard.model, shard.layer, shard.start,
                                                   shard.stop)
            shard.variants = {name: _use(plan, "feature-viz", {**base, **settings}, where)
                              for name, settings in VARIANTS.items()}
            shard.weights = _use(plan, "unit-weights", {**base, **WEIGHTS}, where)
            dataset = plan.config.units.dataset
            if dataset is not None and "dataset-examples" in plan.builders:
                shard.examples = _use(plan, "dataset-examples",
                                      {**base, "dataset": dataset, **EXAMPLES}, where)


def _ensure_shard(plan, jobs: UnitJobs, unit: Unit, count: int, where: Call) -> Shard:
    """The shard holding ``unit`` (a layer of ``count`` units), planned with its icons."""
    model, layer, index = unit
    start = jobs.start(index)
    if (model, layer, start) not in jobs.shards:
        stop = min(start + jobs.size, count)
        icons = _use(plan, "feature-viz", {**_base(model, layer, start, stop), **ICON}, where)
        jobs.shards[(model, layer, start)] = Shard(model, layer, start, stop, icons)
    return jobs.shards[(model, layer, start)]


def _base(model: str, layer: str, start: int, stop: int) -> dict:
    return {"model": model, "layer": layer, "units": [f"{start}-{stop - 1}"]}


def atlas_units(plan, model: str, data: dict, refs: dict) -> dict[Unit, Call]:
    """Every unit of ``model``'s atlas layers (known ones; :func:`validate` reports the rest),
    with the site.toml line that asks for it. ``model/*`` names each family once, by the
    layer the site's references or atlas use for it, else by the model's own name for it."""
    entries = [(number, entry.partition("/")[2])
               for number, entry in enumerate(plan.config.units.atlas)
               if entry.partition("/")[0] == model]
    preferred = {layer for _, layer, _ in refs} | {layer for _, layer in entries}
    found: dict[Unit, Call] = {}
    for number, layer in entries:
        names = [family_name(data, name, preferred) for name in data.get("families", {})] \
            if layer == "*" else [layer] if layer in data["layers"] else []
        for name in names:
            for index in range(data["layers"][name]):
                found.setdefault((model, name, index), atlas_call(plan, number))
    return found


def atlas_call(plan, number: int) -> Call:
    """Where site.toml's ``units.atlas`` names entry ``number`` (jobs planned for it and
    errors about it point there)."""
    return Call("atlas", Path(CONFIG_NAME), _atlas_line(plan.root, number), argument="",
                kind="directive")


def _atlas_line(root: Path, number: int) -> int:
    try:
        return toml_line((root / CONFIG_NAME).read_text(encoding="utf-8-sig"),
                         ("units", "atlas", number))
    except OSError:
        return 1


def family_name(data: dict, layer: str, preferred: set[str]) -> str:
    """The name pages use for ``layer``'s units: the first member of its family that the site
    uses (references, atlas), else the family's own name (the ReLU after its convolution)."""
    families = data.get("families", {})
    for name, members in families.items():
        if layer == name or layer in members:
            return next((m for m in members if m in preferred), name)
    return layer


def preferred_layers(jobs: UnitJobs, model: str) -> set[str]:
    return {layer for _, layer, _ in jobs.full.get(model, ())}


def neighbours(jobs: UnitJobs, shard: Shard, data: dict) -> list[Unit]:
    """The units (named as pages name them) among the strongest inputs and outputs of the
    shard's units, in the order the weights list them; none before the weights are stored."""
    weights = stored_data(jobs, shard.weights)
    preferred, found = preferred_layers(jobs, shard.model), {}
    for entry in weights["units"] if weights else []:
        for link in entry["inputs"] + entry["outputs"]:
            if link["layer"]:
                name = family_name(data, link["layer"], preferred)
                found.setdefault((shard.model, name, link["index"]), None)
    return list(found)


def figure_units(use) -> tuple[str, list[NamedUnits]] | None:
    """The model and the units a builder directive's own options name, or None if it names
    none (options left at their defaults are the builder's business)."""
    call, params = use.call, use.job.params
    model = params.get("model")
    if call.options is None or not isinstance(model, str):
        return None  # a job scheduled for unit pages, or a builder without a model
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
    so does every atlas entry and every builder directive's ``:layer:``, ``:unit:`` and
    ``:units:`` (at its line).

    Without the model's ``model-layers`` entry (``thread check`` before the first build), each
    is an error saying it cannot be checked."""
    errors, store = [], resolver.plan.config.figures.store
    for (model, layer, index), refs in sorted(resolver.units.items()):
        for call in refs:
            errors += _check(jobs, model, NamedUnits("", call.line, layer, [index]), call,
                             f"unit '{model}/{layer}:{index}'", store)
    for number, entry in enumerate(resolver.plan.config.units.atlas):
        (model, _, layer), call = entry.partition("/"), atlas_call(resolver.plan, number)
        if layer != "*":
            errors += [SiteError(e.path, e.line, f"units.atlas: {e.message}", e.hint) for e in
                       _check(jobs, model, NamedUnits("", call.line, layer, []), call,
                              f"entry '{entry}'", store)]
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
    data = stored_data(jobs, use)
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
    shard = jobs.shard(model, layer, index)
    if shard is None or shard.icons.entry is None or "assets" not in shard.icons.call.data:
        return None
    image = shard.icons.entry.manifest["images"][1 + index - shard.start]
    return shard.icons.call.data["assets"][image["png"]]


def icon_uses(jobs: UnitJobs) -> list:
    """Every shard's icon job (for the build cache: reused pages show these)."""
    return [shard.icons for shard in jobs.shards.values()]


def stored_data(jobs: UnitJobs, use) -> dict | None:
    """A computed entry's data.json (read once per build)."""
    if use is None or use.entry is None:
        return None
    if use.job.key not in jobs.loaded:
        jobs.loaded[use.job.key] = json.loads(use.entry.path("data.json").read_text())
    return jobs.loaded[use.job.key]


def unit_url(model: str, layer: str, index: int) -> str:
    return f"units/{model}/{layer}/{index}/"
