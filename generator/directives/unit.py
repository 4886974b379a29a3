"""``{unit}`model/layer:index` ``: a link to a unit's page, with its feature-viz icon as a card.

Every referenced unit gets a page (``units/<model>/<layer>/<index>/``) with its visualisations,
its strongest weights and the articles that reference it; the icons come from one batched
``feature-viz`` job per layer (generator/units.py says what else the pages show, and which
other units get one).
"""

from __future__ import annotations

from generator.directives import role
from generator.errors import SiteError, did_you_mean
from generator.figures import split_unit


def parse_unit(text: str, call) -> tuple[str, str, int]:
    """The role's argument, which must name a model and an index: ``planted/relu1:3``."""
    try:
        model, layer, index = split_unit(text)
    except ValueError:
        model = index = None
    if model is None or index is None:
        raise SiteError(call.path, call.line, f"unit reference '{text}' must look like "
                        "model/layer:index", "e.g. {unit}`planted/relu1:3`")
    return model, layer, index


def check_unit(call, resolver) -> None:
    model, layer, index = parse_unit(call.argument, call)
    models = resolver.plan.config.models
    if model not in models:
        raise SiteError(call.path, call.line, f"unknown model '{model}' in unit reference",
                        did_you_mean(model, set(models)) or "add [models.NAME] to site.toml")
    call.data["unit"] = (model, layer, index)
    resolver.unit(call, (model, layer, index))


@role("unit", check=check_unit)
def unit(call, ctx) -> str:
    model, layer, index = call.data["unit"]
    return ctx.card("unit", model=model, layer=layer, index=index,
                    icon=ctx.unit_icon(model, layer, index), index_=ctx.next_card())
