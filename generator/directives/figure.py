"""``figure``: a static image with caption, alt text, credit, layout column and label.

```{figure} images/grid.png
:alt: What the image shows, for readers who cannot see it.
:credit: Figure from Olah et al. (2017).
:layout: page
:label: fig-grid

The caption, in Markdown.
```
"""

from __future__ import annotations

from typing import Literal

from markupsafe import escape
from pydantic import field_validator

from generator.directives import Options, directive
from generator.errors import SiteError

Layout = Literal["body", "page", "screen", "gutter"]


class FigureOptions(Options):
    alt: str
    credit: str | None = None
    layout: Layout = "body"
    label: str | None = None
    width: int | None = None

    @field_validator("alt")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("alt text must describe the image")
        return value


def check_figure(call, resolver) -> None:
    if not call.argument:
        raise SiteError(call.path, call.line, "figure needs an image path", "```{figure} images/x.png")
    source = (resolver.root / call.path).parent / call.argument
    if not source.is_file():
        raise SiteError(call.path, call.line, f"image not found: {call.argument}")
    asset = call.data["asset"] = resolver.asset(source)
    preview = {"image": asset.url, "caption_tokens": call.tokens}
    call.number = resolver.number(call.document, "figure", call.options.label, preview)
    if call.options.credit:
        name = f"Figure {call.number}" if call.options.label else f"The figure {call.argument}"
        resolver.credit(call.document, f"{name}: {call.options.credit}")


@directive("figure", options=FigureOptions, check=check_figure)
def figure(call, ctx) -> str:
    options: FigureOptions = call.options
    asset = call.data["asset"]
    size = ""
    if asset.width and asset.height:
        width = options.width or asset.width
        size = f' width="{width}" height="{round(asset.height * width / asset.width)}"'
    anchor = f' id="{escape(options.label)}"' if options.label else ""
    caption = ctx.markdown(call.tokens, inline=True)
    number = f'<span class="figure-number">Figure {call.number}:</span> ' if options.label else ""
    credit = f'<span class="credit">{escape(options.credit)}</span>' if options.credit else ""
    img = (f'<img src="{ctx.url(asset.url)}" alt="{escape(options.alt)}"{size} '
           f'loading="lazy" decoding="async">')
    figcaption = f"<figcaption>{number}{caption}{credit}</figcaption>" if caption or credit else ""
    return f'<figure class="l-{options.layout}"{anchor}>{img}{figcaption}</figure>\n'
