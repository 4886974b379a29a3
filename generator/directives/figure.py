"""``figure``: a static image with caption, alt text, credit, layout column and label.

```{figure} images/grid.png
:alt: What the image shows, for readers who cannot see it.
:credit: Figure from Olah et al. (2017).
:layout: page
:label: fig-grid

The caption, in Markdown.
```

Several images make a grid of subfigures: ```` ```{figure} a.png b.png c.png ```` with
``:alt: First. | Second. | Third.``, optional ``:subcaptions: A | B | C`` and ``:columns: 3``.
"""

from __future__ import annotations

from typing import Literal

from markupsafe import escape
from pydantic import Field, field_validator

from generator.directives import Options, directive
from generator.errors import SiteError
from generator.paths import OUTSIDE_HINT, inside_root, outside_message

Layout = Literal["body", "body-outset", "middle", "page", "page-outset", "screen", "gutter"]
"""Columns of the theme's grid (Distill's ``l-body``, ``l-body-outset``, ``l-middle``, …)."""


class FigureOptions(Options):
    alt: str
    """Required. For a grid of subfigures, one text per image, separated by ``|``."""
    credit: str | None = None
    layout: Layout = "body"
    label: str | None = None
    width: int | None = None
    subcaptions: str | None = None
    """Captions of the subfigures, separated by ``|``; shown as (a), (b), …"""
    columns: int | None = Field(default=None, ge=1, le=12)
    """Columns of the subfigure grid (default: one row)."""

    @field_validator("alt")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not all(part.strip() for part in value.split("|")):
            raise ValueError("alt text must describe the image")
        return value


def _parts(value: str | None, count: int, what: str, call) -> list[str]:
    if value is None:
        return [""] * count
    parts = [part.strip() for part in value.split("|")]
    if len(parts) != count:
        raise SiteError(call.path, call.line, f"figure has {count} image(s) but {len(parts)} "
                        f"{what}", f"separate one {what.rstrip('s')} per image with '|'")
    return parts


def check_figure(call, resolver) -> None:
    names = call.argument.split()
    if not names:
        raise SiteError(call.path, call.line, "figure needs an image path", "```{figure} images/x.png")
    folder = (resolver.root / call.path).parent
    for name in names:
        if inside_root(resolver.root, folder / name) is None:
            raise SiteError(call.path, call.line, outside_message("image", name), OUTSIDE_HINT)
        if not (folder / name).is_file():
            raise SiteError(call.path, call.line, f"image not found: {name}")
    assets = call.data["assets"] = [resolver.asset(folder / name) for name in names]
    call.data["alts"] = _parts(call.options.alt, len(names), "alt texts", call)
    call.data["subcaptions"] = _parts(call.options.subcaptions, len(names), "subcaptions", call)
    preview = {"image": assets[0].url, "caption_tokens": call.tokens}
    call.number = resolver.number(call.document, "figure", call.options.label, preview)
    if call.options.credit:
        name = f"Figure {call.number}" if call.options.label else f"The figure {call.argument}"
        resolver.credit(call.document, f"{name}: {call.options.credit}")


def image(asset, alt: str, width: int | None, ctx) -> str:
    size = ""
    if asset.width and asset.height:
        width = width or asset.width
        size = f' width="{width}" height="{round(asset.height * width / asset.width)}"'
    return (f'<img src="{ctx.url(asset.url)}" alt="{escape(alt)}"{size} '
            f'loading="lazy" decoding="async">')


def subfigures(call, ctx) -> str:
    cells = []
    for index, (asset, alt, sub) in enumerate(zip(call.data["assets"], call.data["alts"],
                                                  call.data["subcaptions"])):
        letter = f"({chr(ord('a') + index)})"
        caption = f"<figcaption>{letter} {escape(sub)}</figcaption>" if sub else ""
        cells.append(f'<figure class="subfigure">{image(asset, alt, None, ctx)}{caption}</figure>')
    columns = call.options.columns or len(cells)
    return (f'<div class="subfigure-grid" style="--columns: {columns}">{"".join(cells)}</div>')


@directive("figure", options=FigureOptions, check=check_figure)
def figure(call, ctx) -> str:
    options: FigureOptions = call.options
    assets = call.data["assets"]
    anchor = f' id="{escape(options.label)}"' if options.label else ""
    caption = ctx.markdown(call.tokens, inline=True)
    number = f'<span class="figure-number">Figure {call.number}:</span> ' if options.label else ""
    credit = f'<span class="credit">{escape(options.credit)}</span>' if options.credit else ""
    media = (image(assets[0], options.alt, options.width, ctx) if len(assets) == 1
             else subfigures(call, ctx))
    figcaption = f"<figcaption>{number}{caption}{credit}</figcaption>" if caption or credit else ""
    return f'<figure class="l-{options.layout}"{anchor}>{media}{figcaption}</figure>\n'
