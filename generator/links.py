"""Link checker over the rendered site, in memory: every internal link and ``#anchor`` resolves.

It reads the HTML outputs of the render stage (nothing is written), collects each page's ids and
its ``href``/``src``/``srcset`` targets, and reports a link whose page or anchor does not exist.
An error points at the Markdown source line that holds the link where it can be found there
(the second broken use of a URL at the second line holding it), else at the line of the built
page (a link made by a template or a directive).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from generator.errors import LINE_BREAK, SiteError, did_you_mean

if TYPE_CHECKING:
    from generator.content import Source
    from generator.write import Output

URL_ATTRIBUTES = {"href", "src", "poster", "data"}
NEVER_MISSING = {"", "top"}
"""Fragments a browser always resolves (the top of the page)."""


@dataclass
class Link:
    url: str
    line: int
    """Line of the built page."""


@dataclass
class Page:
    """What the checker needs of one built HTML page."""

    ids: set[str] = field(default_factory=set)
    links: list[Link] = field(default_factory=list)


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.page.ids.add(value)
            elif name in URL_ATTRIBUTES:
                self.page.links.append(Link(value.strip(), line))
            elif name == "srcset":
                self.page.links.extend(Link(part.split()[0], line)
                                       for part in value.split(",") if part.strip())

    handle_startendtag = handle_starttag


def scan(html: str) -> Page:
    """The ids and links of one HTML page."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    return scanner.page


def check_links(outputs: Output, base_url: str, sources: dict[str, Source] | None = None,
                out_name: str = "_site", unchecked: tuple[str, ...] = ()) -> list[SiteError]:
    """Every broken internal link of the site in ``outputs`` (site-relative path → content).

    ``sources`` maps a page's output path to the Markdown it was rendered from, for error lines.
    Links to output paths starting with one of ``unchecked`` (pages of documents with errors,
    which were not rendered) are not checked.
    """
    pages = {path: scan(_text(value)) for path, value in outputs.items() if path.endswith(".html")}
    errors = []
    for path, page in sorted(pages.items()):
        seen: dict[str, int] = {}  # broken URL → how many times this page used it so far
        for link in page.links:
            problem = _problem(path, link.url, outputs, pages, base_url, unchecked)
            if problem is not None:
                seen[link.url] = seen.get(link.url, 0) + 1
                errors.append(_locate(path, link, problem, (sources or {}).get(path), out_name,
                                      seen[link.url]))
    return errors


def _text(value: bytes | Path) -> str:
    data = value.read_bytes() if isinstance(value, Path) else value
    return data.decode("utf-8", errors="replace")


def _problem(page: str, url: str, outputs: Output, pages: dict[str, Page],
             base_url: str, unchecked: tuple[str, ...] = ()) -> str | None:
    """Why ``url`` on ``page`` does not resolve, or None when it does (or is external, or leads
    to an ``unchecked`` page)."""
    target = _target(page, url, base_url)
    if target is None or target[0].startswith(unchecked):
        return None
    path, fragment = target
    if path.startswith("../") or path == "..":
        return "points above the site's root"
    if path not in outputs and path.endswith(".html"):
        folder = path.removesuffix("index.html").rstrip("/")
        return f"no page '{folder or '/'}' in the site" if path.endswith("index.html") \
            else f"no file '{path}' in the site"
    if path not in outputs:
        if path + "/index.html" in outputs:
            path += "/index.html"
        else:
            return f"no file '{path}' in the site"
    fragment = unquote(fragment)
    if fragment in NEVER_MISSING or path not in pages or fragment in pages[path].ids:
        return None
    hint = did_you_mean(fragment, pages[path].ids)
    where = "this page" if path == page else f"'{path.removesuffix('index.html') or '/'}'"
    return f"no anchor '#{fragment}' on {where}" + (f" ({hint})" if hint else "")


def _target(page: str, url: str, base_url: str) -> tuple[str, str] | None:
    """The site-relative output path and fragment ``url`` points to; None for external URLs."""
    if url.startswith(base_url):
        url = urlsplit(base_url).path + url[len(base_url):]
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    path = unquote(parts.path)
    base_path = urlsplit(base_url).path or "/"
    if not path:
        return page, parts.fragment
    if path.startswith("/"):
        if not path.startswith(base_path):
            return "../" + path.lstrip("/"), parts.fragment
        resolved = path[len(base_path):]
    else:
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
        resolved = "" if resolved == "." else resolved + ("/" if path.endswith("/") else "")
    if resolved == "" or resolved.endswith("/"):
        resolved += "index.html"
    return resolved, parts.fragment


def _locate(page: str, link: Link, problem: str, source: Source | None,
            out_name: str, occurrence: int = 1) -> SiteError:
    """The error at the Markdown line that holds the ``occurrence``-th use of the link (the
    last one if the page has more uses than the Markdown), else at the built page's line."""
    message = f"broken link '{link.url}': {problem}"
    lines = [number for number, text in enumerate(LINE_BREAK.split(source.text), start=1)
             for _ in range(text.count(link.url)) if number >= source.body_line] if source else []
    if lines:
        return SiteError(source.path, lines[min(occurrence, len(lines)) - 1], message)
    return SiteError(f"{out_name}/{page}", link.line, message,
                     "in the built page: the link comes from a template or a directive")
