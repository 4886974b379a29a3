"""A figure that is a regular grid of tiles (a banding plot's units) as an HTML grid: each tile is
a window onto the one stored picture (a CSS sprite: no file per tile however many units), at
least 64 CSS px and upscaled nearest-neighbour, named under it, and the tiles wrap to more rows on
a narrow screen instead of shrinking. The builder describes the grid in its data.json::

    "tiles": {"image": 0, "size": [H, W], "tile": [h, w], "gap": 2, "columns": 8,
              "labels": ["conv3:0", ...]}

or, for a table whose rows and columns mean something (NMF: a row per unit, a column per
factor), ``"rows": ["conv3:0", ...], "headings": ["factor 1", ...]`` instead of ``labels``: a
table with those headings, which a narrow screen scrolls inside its figure if it must.
"""

from __future__ import annotations

from markupsafe import escape

from generator.directives.figure_parts import stored_data

MIN_TILE = 64
"""CSS pixels of the shorter side of a tile, at least (issue 17: never under 48 on a phone)."""


def tile_grid(call, ctx, manifest: dict, alt: str, url) -> str | None:
    """The grid's HTML, or None when the entry does not describe one."""
    data = stored_data(call)
    tiles = (data or {}).get("tiles")
    if not tiles or tiles["image"] >= len(manifest.get("images", [])):
        return None
    image = manifest["images"][tiles["image"]]
    zoom = max(1.0, MIN_TILE / min(tiles["tile"]))
    tile = sprite_style(tiles, url(image["png"]), zoom)
    if "rows" in tiles:
        return _table(tiles, tile, alt)
    items = [f'<li><span class="tile" role="img" aria-label="{escape(label)}" '
             f'style="{tile(*divmod(number, tiles["columns"]))}"></span>'
             f'<span class="tile-label">{escape(label)}</span></li>'
             for number, label in enumerate(tiles["labels"])]
    return (f'<div class="tile-grid" role="group" aria-label="{escape(alt)}">'
            f'<ul>{"".join(items)}</ul></div>')


def sprite_style(tiles: dict, sprite: str, zoom: float):
    """``(row, column)`` → the inline style that shows that tile of the sprite, zoomed (also
    example_grid.py's)."""
    (height, width), (th, tw), gap = tiles["size"], tiles["tile"], tiles["gap"]

    def style(row: int, column: int) -> str:
        return (f"width: {tw * zoom:g}px; height: {th * zoom:g}px; "
                f"background-image: url({sprite}); "
                f"background-size: {width * zoom:g}px {height * zoom:g}px; "
                f"background-position: {-column * (tw + gap) * zoom:g}px "
                f"{-row * (th + gap) * zoom:g}px")
    return style


def _table(tiles: dict, tile, alt: str) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in tiles["headings"])
    body = "".join(
        f'<tr><th scope="row">{escape(name)}</th>'
        + "".join(f'<td><span class="tile" role="img" aria-label="{escape(name)}, '
                  f'{escape(heading)}" style="{tile(row, column)}"></span></td>'
                  for column, heading in enumerate(tiles["headings"]))
        + "</tr>" for row, name in enumerate(tiles["rows"]))
    return (f'<div class="tile-grid"><table class="tile-table"><caption class="visually-hidden">'
            f'{escape(alt)}</caption><thead><tr><td></td>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")
