"""Units referenced with ``{unit}``: their store jobs, their validation and their pages.

Resolve schedules, per model, a ``model-layers`` job (each layer's channel count) and, per
(model, layer), one batched ``feature-viz`` job for all referenced units, so ``figures gc``
keeps them. The figures stage computes ``model-layers`` first and checks every reference
against it, so an unknown layer or unit is an error at the line that names it.
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


@dataclass
class UnitJobs:
    """The store uses behind unit references: model → layers job, (model, layer) → icons job."""

    layers: dict[str, object] = field(default_factory=dict)
    icons: dict[tuple[str, str], tuple[object, list[int]]] = field(default_factory=dict)


def schedule(resolver, plan) -> UnitJobs:
    """One ``model-layers`` use per model and one ``feature-viz`` use per referenced layer."""
    jobs = UnitJobs()
    by_layer: dict[tuple[str, str], list[int]] = defaultdict(list)
    for (model, layer, index) in sorted(resolver.units):
        by_layer[(model, layer)].append(index)
    for (model, layer), indices in sorted(by_layer.items()):
        first = resolver.units[(model, layer, indices[0])][0]
        if model not in jobs.layers:
            jobs.layers[model] = _use(plan, "model-layers", {"model": model}, first)
        params = {"model": model, "layer": layer, "units": [str(i) for i in indices], **ICON}
        jobs.icons[(model, layer)] = (_use(plan, "feature-viz", params, first), indices)
    return jobs


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
    """Every reference names a layer of its model and a unit within that layer's channels."""
    errors = []
    for (model, layer, index), refs in sorted(resolver.units.items()):
        entry = jobs.layers[model].entry
        layers = json.loads(entry.path("data.json").read_text())["layers"] if entry else {}
        for call in refs:
            if layer not in layers:
                errors.append(SiteError(call.path, call.line, f"model '{model}' has no layer "
                                        f"'{layer}'", did_you_mean(layer, set(layers))))
            elif index >= layers[layer]:
                errors.append(SiteError(call.path, call.line, f"unit {index} does not exist: "
                                        f"{model}/{layer} has units 0-{layers[layer] - 1}"))
    return errors


def icon_asset(jobs: UnitJobs, model: str, layer: str, index: int):
    """The stored per-unit feature-viz image of a unit (an Asset), or None if not computed."""
    use, indices = jobs.icons[(model, layer)]
    if use.entry is None or index not in indices:
        return None
    image = use.entry.manifest["images"][1 + indices.index(index)]
    return use.call.data["assets"][image["png"]]


def unit_url(model: str, layer: str, index: int) -> str:
    return f"units/{model}/{layer}/{index}/"
