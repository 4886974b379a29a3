"""``component``: an interactive figure whose script, styles and data the author ships.

```{component} widgets/curve-explorer.js
:data: widgets/curve-data.json
:css: widgets/curve-explorer.css
:fallback: images/curve-family.png
:alt: A slider that turns an arc through the orientations of the tuning curve.
:layout: body

An optional caption, in Markdown.
```

Every file is named relative to the article, must lie inside the site and is copied into
``_site/assets/`` under a content-hashed name (self-hosted: the page requests nothing from
elsewhere). The page gets a ``<figure>`` holding a container ``<div class="component"
data-data-url="…">`` with the fallback ``<img>`` inside, then a deferred ``<script>`` for the
component. The contract for the script (README, "Interactive components"): find the container
from ``document.currentScript.closest("figure")``, fetch ``container.dataset.dataUrl``, add its
elements to the container and set ``container.dataset.live = "true"``, which hides the fallback
on screen. With JavaScript off, and in print, the fallback image is what the reader sees.
"""

from __future__ import annotations

from markupsafe import escape
from pydantic import field_validator

from generator.directives import Options, directive
from generator.directives.figure import Layout, _alt_value, image
from generator.errors import SiteError
from generator.paths import OUTSIDE_HINT, inside_root, outside_message

SUFFIXES = {"argument": (".js",), "css": (".css",),
            "fallback": (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"), "data": None}
"""The file types each place accepts (None: any data file)."""
WHAT = {"argument": "component script", "css": "stylesheet", "fallback": "fallback image",
        "data": "data file"}


class ComponentOptions(Options):
    alt: str
    """Required: what the component shows, for readers who cannot see it (the fallback's alt)."""
    fallback: str
    """Required: a static image shown with JavaScript off and in print."""
    data: str | None = None
    """A file the script fetches (its URL is the container's ``data-data-url``)."""
    css: str | None = None
    """A stylesheet for the component."""
    layout: Layout = "body"
    label: str | None = None
    """Numbers the component as a figure and lets ``{ref}`` point to it."""

    _alt = field_validator("alt")(_alt_value)


def _asset(call, resolver, key: str, name: str):
    """The file ``name`` (relative to the article) for option ``key``, checked and registered."""
    line = call.line if key == "argument" else call.line_of(key)
    what, suffixes = WHAT[key], SUFFIXES[key]
    if suffixes and not name.lower().endswith(suffixes):
        raise SiteError(call.path, line, f"{what} '{name}' must end in {' or '.join(suffixes)}")
    path = (resolver.root / call.path).parent / name
    if inside_root(resolver.root, path) is None:
        raise SiteError(call.path, line, outside_message(what, name), OUTSIDE_HINT)
    if not path.is_file():
        raise SiteError(call.path, line, f"{what} not found: {name}")
    return resolver.asset(path)


def check_component(call, resolver) -> None:
    names = call.argument.split()
    if len(names) != 1:
        raise SiteError(call.path, call.line, "component takes one script path",
                        "```{component} widgets/explorer.js")
    assets = {"argument": _asset(call, resolver, "argument", names[0])}
    for key in ("fallback", "data", "css"):
        if getattr(call.options, key):
            assets[key] = _asset(call, resolver, key, getattr(call.options, key).strip())
    call.data["assets"] = assets
    if call.options.label:
        preview = {"image": assets["fallback"].url, "caption_tokens": call.tokens}
        call.number = resolver.number(call.document, "figure", call.options.label, preview)


@directive("component", options=ComponentOptions, check=check_component)
def component(call, ctx) -> str:
    options: ComponentOptions = call.options
    assets = call.data["assets"]
    anchor = f' id="{escape(options.label)}"' if options.label else ""
    data = (f' data-data-url="{ctx.url(assets["data"].url)}"' if "data" in assets else "")
    css = (f'<link rel="stylesheet" href="{ctx.url(assets["css"].url)}">' if "css" in assets
           else "")
    fallback = image(assets["fallback"], options.alt, None, ctx).replace(
        "<img ", '<img class="component-fallback" ', 1)
    number = f'<span class="figure-number">Figure {call.number}:</span> ' if call.number else ""
    caption = ctx.markdown(call.tokens, inline=True)
    figcaption = f"<figcaption>{number}{caption}</figcaption>" if caption or number else ""
    script = f'<script src="{ctx.url(assets["argument"].url)}" defer></script>'
    return (f'<figure class="l-{options.layout} component-figure"{anchor}>{css}'
            f'<div class="component"{data}>{fallback}</div>{script}{figcaption}</figure>\n')
