"""What a page loads: Markdown images become site files, and nothing comes from another host.

The site is self-hosted: every image, script, style sheet and frame a page loads comes from the
site itself, so reading it tells no third party and it keeps working when another host is gone.
The resolve stage checks every document (directive bodies and footnotes included):

- a Markdown image ``![What it shows](images/x.png)`` names a file beside the document, copied
  into the site like a ``{figure}`` image (content-addressed, inside the site root); its alt
  text is required, as a figure's ``:alt:`` is;
- an image, or raw HTML (``<img src>``, ``srcset``, ``<script src>``, ``<link href>``,
  ``<iframe src>``, ``<video>``, ``<audio>``, ``<source>``, …), that loads from another host is
  an error at its line, unless ``allowed_hosts`` in site.toml names the host;
- a raw ``<img>`` needs alt text too.

With ``raw_html = false`` raw HTML is an error anyway (generator/resolve.py), so only the
Markdown images are checked here.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from generator import markdown
from generator.errors import ErrorCollector
from generator.paths import OUTSIDE_HINT, inside_root, outside_message

LOADS = {"img": ("src", "srcset"), "source": ("src", "srcset"), "script": ("src",),
         "link": ("href",), "iframe": ("src",), "frame": ("src",), "video": ("src", "poster"),
         "audio": ("src",), "track": ("src",), "embed": ("src",), "object": ("data",),
         "input": ("src",), "image": ("href", "xlink:href"), "use": ("href", "xlink:href")}
"""HTML attributes whose URL the browser fetches as the page loads, by tag."""
ALT_HINT = "describe what the image shows, for readers who cannot see it"


EMBED_TYPES = markdown.HTML_TYPES | {"image"}


def check_embeds(doc, resolver, errors: ErrorCollector) -> None:
    """Copy the document's Markdown images; report images and raw HTML loading from elsewhere
    and images without alt text."""
    config = resolver.plan.config if resolver.plan is not None else None
    hosts = allowed_hosts(config)
    found = markdown.tokens_of(doc.tokens, EMBED_TYPES) if may_embed(doc) else []
    for token in found:
        if token.type == "image":
            check_image(token, (token.meta or {}).get("line"), doc, resolver, errors, hosts)
    check_banner(doc, resolver, errors)
    if config is not None and config.raw_html:
        for line, html in markdown.html_lines(found, doc.env):
            check_html(html, line, doc.source.path, errors, hosts)


def may_embed(doc) -> bool:
    """Whether the document can hold an image or raw HTML at all: both need ``![`` or ``<`` in
    its text or in a substituted value (most documents: no walk over their tokens)."""
    text = doc.source.body
    return "<" in text or "![" in text or bool((doc.env or {}).get("substitutions"))


def allowed_hosts(config) -> set[str]:
    """The site's own host (from ``base_url``) and those of ``allowed_hosts``, in lower case."""
    if config is None:
        return set()
    own = urlsplit(config.base_url).hostname or ""
    return {own, *(host.lower() for host in config.allowed_hosts)}


def check_image(token, line: int, doc, resolver, errors: ErrorCollector, hosts: set[str]) -> None:
    """A Markdown image: alt text, and a file beside the document (registered as an asset for
    the renderer, ``token.meta["asset"]``) or an allowed host."""
    src, path = token.attrGet("src") or "", doc.source.path
    if not token.content.strip():
        errors.add(path, line, f"image '{src}' has no alt text", ALT_HINT + f": ![…]({src})")
    host = foreign_host(src, hosts)
    if host is not None:
        errors.add(path, line, f"image '{src}' loads from another host, '{host}'",
                   host_hint(host))
        return
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or not parts.path or src.startswith("/"):
        return  # data: URLs; site-absolute paths are checked by thread check's link checker
    name = unquote(parts.path)
    file = (resolver.root / path).parent / name
    if inside_root(resolver.root, file) is None:
        errors.add(path, line, outside_message("image", name), OUTSIDE_HINT)
    elif not file.is_file():
        errors.add(path, line, f"image not found: {name}",
                   "image paths are relative to the Markdown file")
    else:
        token.meta = {**(token.meta or {}), "asset": resolver.asset(file)}


def banner_path(root: Path, doc) -> Path:
    """The banner image of an article (front matter ``banner.image``), beside the article."""
    return (root / doc.source.path).parent / unquote(doc.meta.banner.image)


def is_banner(token) -> bool:
    """A directive laid out as the banner (``:layout: banner``): the renderer moves it under
    the title (generator/render.py's ``split_banner``)."""
    call = (token.meta or {}).get("call")
    return call is not None and getattr(call.options, "layout", None) == "banner"


def directive_tokens(tokens: list, top: bool = True):
    """(standing on its own in the text, token) of every directive, directive bodies included;
    one in a list or a quote (nested, level > 0) or in another directive's body does not."""
    for token in tokens:
        call = (token.meta or {}).get("call")
        if call is not None and call.kind == "directive":  # directives are blocks: no inline
            yield top and token.level == 0, token  # children to walk, only bodies
            yield from directive_tokens(call.tokens, False)


def check_banner_layout(doc, errors: ErrorCollector) -> None:
    """``:layout: banner``: one banner per article, standing on its own in the text (not in
    another directive), and not beside a front-matter ``banner:``."""
    if "banner" not in doc.source.body and not (doc.env or {}).get("substitutions"):
        return  # no option can say so (most documents: no walk over their tokens)
    path, meta = doc.source.path, getattr(doc, "meta", None)
    first = None
    if getattr(meta, "banner", None) is not None:
        first = f"front matter 'banner:' (line {doc.source.line_of(('banner',))})"
    for top, token in directive_tokens(doc.tokens):
        if not is_banner(token):
            continue
        call = token.meta["call"]
        where = call.line_of("layout")
        if not hasattr(meta, "banner"):
            errors.add(path, where, "':layout: banner' puts a figure under an article's title; "
                       "this page has no banner", "use ':layout: page' or ':layout: screen'")
        elif not top:
            errors.add(path, where, f"a banner {call.name} must stand on its own in the text, not "
                       "inside a list, a quote or another directive",
                       "move it out to the top level of the article")
        elif first is not None:
            errors.add(path, where, f"an article has one banner, and it has one already: {first}",
                       "give this figure another :layout:, e.g. page")
        else:
            first = f"the {call.name} at line {call.line}"


def check_banner(doc, resolver, errors: ErrorCollector) -> None:
    """An article's banner: a file beside it, copied into the site like a figure's image, or
    one figure laid out as the banner."""
    check_banner_layout(doc, errors)
    banner = getattr(getattr(doc, "meta", None), "banner", None)
    if banner is None:
        return
    path, line = doc.source.path, doc.source.line_of(("banner", "image"))
    file = banner_path(resolver.root, doc)
    if urlsplit(banner.image).scheme or banner.image.startswith(("/", "//")):
        errors.add(path, line, f"banner image '{banner.image}' must be a file beside the article",
                   "copy the image into the site, e.g. images/banner.png")
    elif inside_root(resolver.root, file) is None:
        errors.add(path, line, outside_message("image", banner.image), OUTSIDE_HINT)
    elif not file.is_file():
        errors.add(path, line, f"banner image not found: {banner.image}",
                   "image paths are relative to the Markdown file")
    else:
        resolver.asset(file)
        if banner.credit:
            resolver.credit(doc, f"The banner image: {banner.credit}")


def check_html(html: str, line: int, path: Path, errors: ErrorCollector, hosts: set[str]) -> None:
    """Raw HTML starting at file line ``line``: what it loads, and alt text on ``<img>``."""
    for offset, tag, attrs in tags(html):
        where = line + offset
        if tag == "img" and not (attrs.get("alt") or "").strip():
            errors.add(path, where, "raw <img> has no alt text",
                       ALT_HINT + ': <img alt="…">')
        for name in LOADS.get(tag, ()):
            for url in urls(name, attrs.get(name)):
                host = foreign_host(url, hosts)
                if host is not None:
                    errors.add(path, where, f'<{tag} {name}="{url}"> loads from another host, '
                               f"'{host}'", host_hint(host))


def host_hint(host: str) -> str:
    return (f"copy the file into the site, or allow the host in site.toml: "
            f'allowed_hosts = ["{host}"]')


def foreign_host(url: str, hosts: set[str]) -> str | None:
    """The host ``url`` loads from when that is neither the site's nor an allowed one."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:  # a malformed authority, such as an unclosed IPv6 bracket
        return url
    if not parts.netloc:
        return None
    return None if host in hosts else (host or parts.netloc)


def urls(attribute: str, value: str | None) -> list[str]:
    """The URLs of one attribute value (``srcset`` lists several, each with a descriptor)."""
    if not value:
        return []
    if attribute != "srcset":
        return [value]
    return [part.split()[0] for part in value.split(",") if part.strip()]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((self.getpos()[0] - 1, tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags(html: str) -> list[tuple[int, str, dict[str, str | None]]]:
    """(line offset within ``html``, tag, attributes) of every start tag, names in lower case,
    attribute values with character references decoded (as a browser reads them)."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.found
