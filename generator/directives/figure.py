"""``figure``: a static image with caption, alt text, credit, layout column and label.

```{figure} images/grid.png
:alt: What the image shows, for readers who cannot see it.
:credit: Figure from Olah et al. (2017).
:layout: page
:label: fig-grid

The caption, in Markdown.
```

``{image} pic.png`` (with ``:alt:``, ``:width:``, ``:scale:``, ``:align:``) is one picture with
no caption and no number. MyST's options work too: ``:width: 300`` / ``300px`` / ``50%``, ``:scale: 50%`` (of the
image's own size), ``:align: left | center | right`` and ``:name:`` (the same as ``:label:``);
others (``:height:``, ``:figclass:``...) are errors naming the ones known.

Several images make a grid of subfigures: ```` ```{figure} a.png b.png c.png ```` with
``:alt: First. | Second. | Third.``, optional ``:subcaptions: A | B | C`` and ``:columns: 3``.
"""

from __future__ import annotations

import re
from typing import Literal

from markupsafe import escape
from pydantic import Field, field_validator

from generator.directives import Options, directive
from generator.errors import SiteError
from generator.paths import OUTSIDE_HINT, inside_root, outside_message

Layout = Literal["body", "body-outset", "middle", "page", "page-outset", "screen", "gutter",
                 "banner"]
"""Columns of the theme's grid (Distill's ``l-body``, ``l-body-outset``, ``l-middle``, …);
``banner`` moves the figure under the article's title, across the page column."""
WIDTH = re.compile(r"^\d+\s*(px|%)?$")
SCALE = re.compile(r"^\d+\s*%?$")


def _width_value(value: str | None) -> str | None:
    if value is not None and not WIDTH.match(value.strip()):
        raise ValueError(f"'{value}' is not a width: write pixels (300 or 300px) or a "
                         "percentage (50%)")
    return value and re.sub(r"\s+", "", value).removesuffix("px")


def _scale_value(value: str | None) -> str | None:
    if value is not None and not SCALE.match(value.strip()):
        raise ValueError(f"'{value}' is not a scale: write a percentage (50%)")
    return value and re.sub(r"\s+", "", value).removesuffix("%")


def _alt_value(value: str) -> str:
    if not all(part.strip() for part in value.split("|")):
        raise ValueError("alt text must describe the image")
    return value


class FigureOptions(Options):
    alt: str
    """Required. For a grid of subfigures, one text per image, separated by ``|``."""
    credit: str | None = None
    layout: Layout = "body"
    label: str | None = None
    name: str | None = None
    """MyST's name for ``label``."""
    width: str | None = None
    """Display width: pixels (``300``, ``300px``) or a share of the column (``50%``)."""
    scale: str | None = None
    """A percentage of the image's own size (``50%``)."""
    align: Literal["left", "center", "right"] | None = None
    subcaptions: str | None = None
    """Captions of the subfigures, separated by ``|``; shown as (a), (b), …"""
    columns: int | None = Field(default=None, ge=1, le=12)
    """Columns of the subfigure grid (default: one row)."""

    _width = field_validator("width")(_width_value)
    _scale = field_validator("scale")(_scale_value)
    _alt = field_validator("alt")(_alt_value)


def _parts(value: str | None, count: int, what: str, call) -> list[str]:
    if value is None:
        return [""] * count
    parts = [part.strip() for part in value.split("|")]
    if len(parts) != count:
        raise SiteError(call.path, call.line, f"figure has {count} image(s) but {len(parts)} "
                        f"{what}", f"separate one {what.rstrip('s')} per image with '|'")
    return parts


def _assets(call, resolver) -> list:
    """The images named by the argument, checked and registered for copying."""
    names = call.argument.split()
    if not names:
        raise SiteError(call.path, call.line, f"{call.name} needs an image path",
                        f"```{{{call.name}}} images/x.png")
    folder = (resolver.root / call.path).parent
    for name in names:
        if inside_root(resolver.root, folder / name) is None:
            raise SiteError(call.path, call.line, outside_message("image", name), OUTSIDE_HINT)
        if not (folder / name).is_file():
            raise SiteError(call.path, call.line, f"image not found: {name}")
    return [resolver.asset(folder / name) for name in names]


def check_figure(call, resolver) -> None:
    if call.options.name:
        if call.options.label and call.options.label != call.options.name:
            raise SiteError(call.path, call.line_of("name"), "figure has both :label: and :name:",
                            "keep one")
        call.options = call.options.model_copy(update={"label": call.options.name})
    assets = call.data["assets"] = _assets(call, resolver)
    names = call.argument.split()
    call.data["alts"] = _parts(call.options.alt, len(names), "alt texts", call)
    call.data["subcaptions"] = _parts(call.options.subcaptions, len(names), "subcaptions", call)
    preview = {"image": assets[0].url, "caption_tokens": call.tokens}
    call.number = resolver.number(call.document, "figure", call.options.label, preview)
    if call.options.credit:
        name = f"Figure {call.number}" if call.options.label else f"The figure {call.argument}"
        resolver.credit(call.document, f"{name}: {call.options.credit}")


def image(asset, alt: str, width: int | str | None, ctx, scale: int | None = None) -> str:
    """An ``<img>`` with its size; ``width`` in pixels, or ``"50%"`` of the column."""
    percent = width if isinstance(width, str) and width.endswith("%") else None
    pixels = int(width) if width is not None and percent is None else None
    size = f' style="width: {percent}"' if percent else ""
    if asset.width and asset.height:
        pixels = pixels or round(asset.width * (scale or 100) / 100)
        size += f' width="{pixels}" height="{round(asset.height * pixels / asset.width)}"'
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
    scale = int(options.scale) if options.scale else None
    media = (image(assets[0], options.alt, options.width, ctx, scale) if len(assets) == 1
             else subfigures(call, ctx))
    figcaption = f"<figcaption>{number}{caption}{credit}</figcaption>" if caption or credit else ""
    align = f" align-{options.align}" if options.align else ""
    return f'<figure class="l-{options.layout}{align}"{anchor}>{media}{figcaption}</figure>\n'


class ImageOptions(Options):
    """MyST's ``{image}``: one picture, no caption, not numbered."""

    alt: str
    width: str | None = None
    scale: str | None = None
    align: Literal["left", "center", "right"] | None = None

    _width = field_validator("width")(_width_value)
    _scale = field_validator("scale")(_scale_value)
    _alt = field_validator("alt")(_alt_value)


def check_image(call, resolver) -> None:
    if len(call.argument.split()) > 1:
        raise SiteError(call.path, call.line, "image takes one path",
                        "use a figure for a grid of several images")
    if call.body.strip():
        raise SiteError(call.path, call.line, "image takes no caption",
                        "use ```{figure} for an image with a caption")
    call.data["assets"] = _assets(call, resolver)


@directive("image", options=ImageOptions, body="text", check=check_image)
def image_directive(call, ctx) -> str:
    options: ImageOptions = call.options
    scale = int(options.scale) if options.scale else None
    align = f" align-{options.align}" if options.align else ""
    media = image(call.data["assets"][0], options.alt, options.width, ctx, scale)
    return f'<figure class="l-body image{align}">{media}</figure>\n'
