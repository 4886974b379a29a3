"""A ``dataset-examples`` figure as HTML, Circuits style: per unit, its name (a link with the
unit's hover card when it has a page) over a small grid of its top examples, each crop at least
64 CSS px, upscaled nearest-neighbour, with its activation under it as text and what the image
shows as its tooltip. The crops are windows onto one stored picture (a CSS sprite, as in
tile_view.py: no file per example); the units wrap to more rows on a narrow screen. The builder
describes the picture in its data.json::

    "tiles": {"image": 9, "size": [H, W], "tile": [h, w], "gap": 2, "grid_columns": 3}

(a row of the picture per unit, a column per example). Entries stored before the builder kept
the picture have no ``grid_columns``, and keep their raster.
"""

from __future__ import annotations

import math

from markupsafe import escape

from generator.directives.figure_parts import stored_data, unit_label
from generator.directives.tile_view import MIN_TILE, sprite_style


def example_grid(call, ctx, manifest: dict, alt: str, url) -> str | None:
    """The units' grids, or None when the entry does not describe its picture of crops."""
    data = stored_data(call)
    tiles = (data or {}).get("tiles") or {}
    if "grid_columns" not in tiles or tiles["image"] >= len(manifest.get("images", [])):
        return None
    zoom = math.ceil(MIN_TILE / min(tiles["tile"]))  # whole pixels: no neighbour bleeds in
    style = sprite_style(tiles, url(manifest["images"][tiles["image"]]["png"]), zoom)
    model, layer = manifest["params"].get("model", ""), data["layer"]
    units = [_unit(ctx, model, layer, row, unit, style, tiles["grid_columns"])
             for row, unit in enumerate(data["units"])]
    return (f'<div class="example-units" role="group" aria-label="{escape(alt)}">'
            f'<ul>{"".join(units)}</ul></div>')


def _unit(ctx, model: str, layer: str, row: int, unit: dict, style, columns: int) -> str:
    """One unit: its name over its examples' grid, ``columns`` crops to a row."""
    from generator.unit_pages import example_label

    name = f"{layer}:{unit['unit']}"
    items = []
    for column, example in enumerate(unit["examples"]):
        label = f"{example_label(example)}, activation {example['value']:.2f}"
        items.append(
            f'<li title="{escape(example_label(example))} (image {example["id"]})">'
            f'<span class="tile" role="img" aria-label="{escape(f"{name} example {column + 1}: {label}")}" '
            f'style="{style(row, column)}"></span>'
            f'<span class="example-value">{example["value"]:.2f}</span></li>')
    return (f'<li class="example-unit"><span class="example-unit-name">'
            f'{unit_label(ctx, model, layer, unit["unit"], name)}</span>'
            f'<ol class="example-tiles" style="grid-template-columns: repeat({columns}, auto)">'
            f'{"".join(items)}</ol></li>')
