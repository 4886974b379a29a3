"""A ``feature-viz`` figure as a strip of units: each unit's stored image (one per unit after the
labelled grid) at up to 128 CSS px, upscaled nearest-neighbour, three or more to a row on a
phone and never under 96 px there, named under it by a link with the unit's hover card when it
has a page (as the Circuits articles do). Direction objectives have no units: their grid stays.
"""

from __future__ import annotations

from markupsafe import escape

from generator.directives.figure_parts import stored_data, unit_label


def unit_strip(call, ctx, manifest: dict, alt: str, url) -> str | None:
    """The strip's HTML, or None (no per-unit images, or a direction objective)."""
    data = stored_data(call)
    images = manifest.get("images", [])
    if not data or not data.get("units") or len(images) != 1 + len(data["units"]):
        return None
    model, layer = manifest["params"].get("model", ""), data["layer"]
    items = []
    for number, (index, image) in enumerate(zip(data["units"], images[1:], strict=True)):
        name = f"{layer}:{index}"
        repeat = data["units"][:number].count(index)  # diversity: several images per unit
        label = unit_label(ctx, model, layer, index, name) if not repeat else ""
        items.append(
            f'<li><img src="{url(image["png"])}" srcset="{url(image["png"])} 1x, '
            f'{url(image["png_2x"])} 2x" alt="{escape(name)}" width="{image["width"]}" '
            f'height="{image["height"]}" style="image-rendering: pixelated" loading="lazy" '
            f'decoding="async"><span class="strip-label">{label}</span></li>')
    return (f'<div class="unit-strip" role="group" aria-label="{escape(alt)}">'
            f'<ul>{"".join(items)}</ul></div>')
