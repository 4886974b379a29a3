"""What the HTML views of builder figures share (weight_rows.py, tile_view.py, unit_strip.py):
the entry's stored data and a unit's name as a link with its hover card."""

from __future__ import annotations

import json

from markupsafe import escape


def stored_data(call) -> dict | None:
    """The entry's data.json, read (None when the figure is not stored or has none)."""
    use = call.data.get("use")
    name = use.entry.manifest.get("data") if use is not None and use.entry else None
    if not name:
        return None
    return json.loads(use.entry.path(name).read_bytes())


def unit_label(ctx, model: str, layer: str, index: int, name: str) -> str:
    """The unit's name: a link with its hover card when it has a page, else plain text."""
    from generator.unit_pages import index as unit_index

    if ctx.resolver is not None and (model, layer, index) in unit_index(ctx.resolver).pages:
        return ctx.card("unit", model=model, layer=layer, index=index,
                        icon=ctx.unit_icon(model, layer, index), index_=ctx.next_card())
    return f'<code class="unit-name">{escape(name)}</code>'


