"""Builder figures: one directive per figure builder, named after it.

```{tiny-activations}
:model: tiny
:channels: 0, 1, 2
:alt: What the figure shows (expected; without it, the builder's generic alt text and a warning).
:layout: page
:label: fig-activations

The caption, in Markdown (default: the builder's caption).
```

The check hook keys the figure in the store (resolve stage); the figures stage computes what is
missing; the renderer embeds the stored outputs and a "Reproduce this figure" note.
"""

from __future__ import annotations

import json

from markupsafe import Markup, escape
from pydantic import create_model

from generator.directives import Directive, Options
from generator.directives.example_grid import example_grid
from generator.directives.figure import Layout
from generator.directives.tile_view import tile_grid
from generator.directives.unit_strip import unit_strip
from generator.directives.weight_rows import weight_rows

VIEWS = {"weight-diagram": (weight_rows, tile_grid), "banding-plot": (tile_grid,),
         "feature-viz": (unit_strip,), "dataset-examples": (example_grid,)}
"""Builders whose figures the page lays out in HTML from their stored parts (labels, links,
hover cards, tiles that wrap) in place of their first image; each view returns None when it
does not apply, and without one the first image is shown (an entry stored before the builder
described its parts)."""


class BuilderFigureOptions(Options):
    alt: str | None = None
    credit: str | None = None
    layout: Layout = "body"
    label: str | None = None


def register_all(registry) -> None:
    """Add one directive per builder of ``registry`` (a :class:`generator.registry.Registry`):
    a builder named like a built-in directive is an error naming both."""
    for name, spec in sorted(registry.builders.items()):
        options = create_model(f"{name}-options", __base__=BuilderFigureOptions, **spec.fields)
        registry.add_directive(Directive(name, render, options, "markdown", check), spec.module)


def check(call, resolver) -> None:
    params = call.options.model_dump(mode="json", exclude=set(BuilderFigureOptions.model_fields))
    use = call.data["use"] = resolver.schedule_figure(call, params)
    preview = {"figure": use.job.key, "caption_tokens": call.tokens}  # the picture: at render
    call.number = resolver.number(call.document, "figure", call.options.label, preview)
    if not (call.options.alt or "").strip():
        resolver.errors.warn(call.path, call.line, f"figure '{call.name}' has no :alt:",
                             "describe what the figure shows; without :alt: the page uses the "
                             "builder's generic alt text")


def render(call, ctx) -> str:
    options, use = call.options, call.data["use"]
    anchor = f' id="{escape(options.label)}"' if options.label else ""
    if use.entry is None:
        body = '<p class="figure-missing">This figure has not been computed yet.</p>'
        manifest = {}
    else:
        manifest = use.entry.manifest
        body = media(call, ctx, manifest, options.alt or manifest.get("alt", ""))
    return (f'<figure class="l-{options.layout} builder-figure"{anchor}>{body}'
            f"{caption(call, ctx, manifest, reproduce(call, manifest))}</figure>\n")


def media(call, ctx, manifest: dict, alt: str) -> str:
    """Pictures (WebP and PNG, 1× and 2×), the SVG, and the chart with its SVG fallback."""
    assets = call.data.get("assets", {})
    def url(name: str) -> str:
        return ctx.url(assets[name].url)

    views = VIEWS.get(manifest.get("builder", ""), ())
    html = next(filter(None, (view(call, ctx, manifest, alt, url) for view in views)), None)
    parts = [html] if html is not None else []
    for image in manifest.get("images", [])[:0 if html is not None else 1]:  # later images are stored for reuse
        style = ' style="image-rendering: pixelated"' if image["pixelated"] else ""
        parts.append(
            f'<picture><source type="image/webp" srcset="{url(image["webp"])} 1x, '
            f'{url(image["webp_2x"])} 2x"><img src="{url(image["png"])}" '
            f'srcset="{url(image["png"])} 1x, {url(image["png_2x"])} 2x" alt="{escape(alt)}" '
            f'width="{image["width"]}" height="{image["height"]}"{style} loading="lazy" '
            f'decoding="async"></picture>')
    if manifest.get("svg"):
        parts.append(inline_svg(call.data["use"].entry.path(manifest["svg"]), alt))
    if manifest.get("vega_lite"):
        parts.append(
            f'<div class="vega-chart" data-spec="{url(manifest["vega_lite"])}">'
            f'<img src="{url(manifest["vega_svg"])}" alt="{escape(alt)}" loading="lazy"></div>'
            f'<script src="{ctx.url(call.data["bundle"].url)}" defer></script>')
    return "".join(parts)


def inline_svg(path, alt: str) -> str:
    """A builder's SVG in the page itself, not behind an ``<img>``: its links, titles and
    hover targets work (issue 19). The XML prologue goes; the root is named by ``alt``."""
    text = path.read_text(encoding="utf-8")
    start = text.find("<svg")
    if start < 0:
        return ""
    return f'<svg role="img" aria-label="{escape(alt)}"' + text[start + 4:]


def caption(call, ctx, manifest: dict, note: str = "") -> str:
    """The figcaption; the reproduce note goes inside it (a figure's caption is its last child)."""
    text = ctx.markdown(call.tokens, inline=True) if call.tokens else _inline(manifest, ctx)
    number = (f'<span class="figure-number">Figure {call.number}:</span> '
              if call.options.label else "")
    credit = (f'<span class="credit">{escape(call.options.credit)}</span>'
              if call.options.credit else "")
    content = f"{number}{text}{credit}{note}"
    return f"<figcaption>{content}</figcaption>" if content else ""


def _inline(manifest: dict, ctx) -> Markup:
    """The builder's default caption: plain CommonMark inline (no roles: it has no source line)."""
    from markdown_it import MarkdownIt

    text = manifest.get("caption") or ""
    return Markup(MarkdownIt("commonmark").renderInline(text)) if text else Markup("")


def reproduce(call, manifest: dict) -> str:
    """How this figure was made, from its store manifest, and the directive that remakes it:
    a compact two-column table (rows without a value left out) and the directive's source
    (options with an empty value left out: they are the builder's defaults)."""
    if not manifest:
        return ""
    params = "".join(f"\n:{k}: {_option(v)}" for k, v in sorted(manifest["params"].items())
                     if v not in ("", [], {}, None))
    models = ", ".join(f"{name} ({fp})" for name, fp in sorted(manifest["models"].items()))
    versions = ", ".join(f"{k} {v}" for k, v in sorted(manifest["versions"].items()) if v)
    rows = [("Builder", call.name), ("Store key", manifest["key"]), ("Models", models),
            ("Seed", manifest["seed"]), ("Device", manifest["device"]),
            ("Time", f'{manifest["seconds"]:.2f} s'), ("Versions", versions)]
    table = "".join(f'<tr><th scope="row">{k}</th><td>{escape(str(v))}</td></tr>'
                    for k, v in rows if v not in ("", None))
    source = escape(f"```{{{call.name}}}{params}\n```")
    return (f'<details class="reproduce"><summary>Reproduce this figure</summary>'
            f'<table>{table}</table>'
            f"<pre><code>{source}</code></pre><p>Then run <code>thread build</code>.</p>"
            "</details>")


def _option(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value if isinstance(value, str) else json.dumps(value)
