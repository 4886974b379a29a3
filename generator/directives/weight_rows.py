"""A ``weight-diagram`` figure as labelled HTML rows instead of one stacked raster.

Each input of the diagram is one item: its feature-viz icon and its heatmap (both stored images
of the entry, shown at 96 CSS px and upscaled nearest-neighbour, so no tile is smaller than 48
px at any width: items wrap to more rows on a phone), its name (a link with the unit's hover
card when the unit has a page) and the range of its weights. Under the rows, the colour scale from
−1 to +1 with the stops the builder coloured the heatmaps with. Entries stored before the
builder kept these parts (no ``ranges`` in data.json) keep their raster.
"""

from __future__ import annotations

from markupsafe import escape

from generator.directives.figure_parts import stored_data, unit_label

TILE = 96
"""CSS pixels of each icon and heatmap."""


def weight_rows(call, ctx, manifest: dict, alt: str, url) -> str | None:
    """The rows' HTML, or None when the entry has no per-input parts (the caller shows the
    raster). ``url``: stored file name → the page's URL of its asset."""
    data = stored_data(call)
    images = manifest.get("images", [])
    if data is None or "ranges" not in data:  # an older entry, or NMF factors
        return None
    inputs, count = data["inputs"], len(data["inputs"])
    maps, icons = images[1:1 + count], images[1 + count:1 + 2 * count] if data["icons"] else []
    if len(maps) != count:
        return None
    model, lower = manifest["params"].get("model", ""), data.get("lower", "")
    items = []
    for number, (index, (low, high)) in enumerate(zip(inputs, data["ranges"], strict=True)):
        name = f"{lower}:{index}" if lower else f"input {index}"
        tiles = [_tile(url, icons[number], "")] if icons else []
        tiles.append(_tile(url, maps[number], f"Weights from {name}"))
        items.append(f'<li class="weight-row"><span class="weight-tiles">{"".join(tiles)}</span>'
                     f'<span class="weight-label">{unit_label(ctx, model, lower, index, name)} '
                     f'<span class="weight-range">{_signed(low)} … {_signed(high)}</span></span></li>')
    return (f'<div class="weight-diagram" role="group" aria-label="{escape(alt)}">'
            f'<ol class="weight-rows">{"".join(items)}</ol>{_scale(data["scale"])}</div>')


def _tile(url, image: dict, alt: str) -> str:
    return (f'<img src="{url(image["png"])}" srcset="{url(image["png"])} 1x, '
            f'{url(image["png_2x"])} 2x" alt="{escape(alt)}" width="{TILE}" height="{TILE}" '
            'style="image-rendering: pixelated" loading="lazy" decoding="async">')


def _signed(value: float) -> str:
    return f"{value:+.2f}".replace("-", "−")


def _scale(stops: list) -> str:
    """The colour bar, −1 (inhibits) to +1 (excites), with the heatmaps' own stops."""
    gradient = ", ".join(f"{colour} {(x + 1) * 50:g}%" for x, colour in stops)
    return ('<p class="weight-scale"><span class="weight-scale-end">−1 inhibits</span>'
            f'<span class="weight-scale-bar" style="background: linear-gradient(to right, '
            f'{gradient})"></span><span class="weight-scale-end">+1 excites</span></p>')
