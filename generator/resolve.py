"""The resolve stage's state: labels and numbers, assets to copy, and per-page lookups.

Directive and role ``check`` hooks run here, after every document is loaded and before any page
renders, so numbering is global and a dangling reference is an error with its line.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import escape

from generator import markdown
from generator.content import Document
from generator.directives import Call
from generator.document_state import DocumentState
from generator.embeds import check_embeds
from generator.errors import ErrorCollector, SiteError
from generator.myst import target_anchors
from generator.paths import OUTSIDE_HINT, inside_root, outside_message


@dataclass(frozen=True)
class Asset:
    """A file copied into the site under a content-addressed name."""

    source: Path
    url: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Label:
    kind: str
    """``figure``, ``equation`` or ``section``."""
    number: int
    document: Document
    anchor: str
    preview: dict = field(default_factory=dict, compare=False)
    """What a cross-reference card shows: an image, a caption or a title."""
    title: str = ""
    """The link text of an unnumbered target (a subsection's title); may be empty, and then
    ``{ref}`` must give its own text."""
    summary: dict = field(default_factory=dict, compare=False)
    """The preview as JSON (an image URL, caption HTML, a title): what a card in another
    article shows, since the label's record travels without its tokens (:func:`summary`)."""

    @property
    def text(self) -> str:
        return f"{self.kind.capitalize()} {self.number}" if self.number else self.title


@dataclass
class Resolver:
    root: Path
    errors: ErrorCollector
    assets: dict[str, Asset] = field(default_factory=dict)
    labels: dict[tuple[int, str], Label] = field(default_factory=dict)
    counters: dict[tuple[int, str], int] = field(default_factory=dict)
    cited: dict[int, dict[str, int]] = field(default_factory=dict)
    """Per document: citation key → number, in order of first appearance."""
    credits: dict[int, list[str]] = field(default_factory=dict)
    """Per document: credits of reused figures, for the Reuse appendix."""
    units: dict[tuple[str, str, int], list] = field(default_factory=dict)
    """(model, layer, index) → the ``{unit}`` calls that reference it, in document order."""
    unit_jobs: Any = None
    """The store uses behind unit icons and checks (generator/units.py)."""
    plan: Any = None
    """The build's :class:`~generator.plan.FigurePlan`: builder directives schedule jobs here."""

    states: dict[int, DocumentState] = field(default_factory=dict)
    """Per document: everything its directives and roles recorded (:meth:`record`)."""
    documents: dict[int, Document] = field(default_factory=dict)
    current: Document | None = None
    """The document whose directives and roles are being checked."""
    slugs: dict[str, Document] = field(default_factory=dict)
    """The site's threads and articles by slug, for cross-article references
    (:meth:`generator.content.Content.slugs`)."""

    def state(self, document: Document) -> DocumentState:
        if id(document) not in self.states:
            self.states[id(document)] = DocumentState()
            self.documents[id(document)] = document
        return self.states[id(document)]

    def record(self, document: Document, kind: str, value: Any, local: Any = None) -> Any:
        """The one way a directive or role records per-document state: ``value`` (JSON) joins
        the document's :class:`DocumentState`, and the site-wide lookups of a built-in kind are
        updated (:data:`MERGERS`). ``local`` is what only this process has (the call, a card's
        preview); it is None when a record from a worker or the cache is merged."""
        self.state(document).add(kind, value)
        merger = MERGERS.get(kind)
        return merger(self, document, value, local) if merger is not None else None

    def merge(self, document: Document, state: DocumentState) -> None:
        """Fold a document's record, made by a worker or kept by the cache, into this resolver:
        the same effect as checking the document here."""
        self.purge(document)
        for kind, values in state.entries.items():
            for value in values:
                self.record(document, kind, value)

    def purge(self, document: Document) -> None:
        """Forget everything ``document`` recorded (it is checked again, or merged anew)."""
        key = id(document)
        self.states.pop(key, None)
        self.documents.pop(key, None)
        self.cited.pop(key, None)
        self.credits.pop(key, None)
        self.labels = {k: v for k, v in self.labels.items() if k[0] != key}
        self.counters = {k: v for k, v in self.counters.items() if k[0] != key}
        for unit, refs in list(self.units.items()):
            refs[:] = [call for call in refs if call.document is not document]
            if not refs:
                del self.units[unit]
        if self.plan is not None:
            self.plan.uses[:] = [u for u in self.plan.uses if u.call.document is not document]

    def recorded(self, kind: str) -> list[tuple[Document, Any]]:
        """Every document's entries of ``kind``, by source path (a template's ``recorded``)."""
        documents = sorted(self.documents.values(), key=lambda d: d.source.path.as_posix())
        return [(doc, value) for doc in documents for value in self.states[id(doc)].get(kind)]

    def asset(self, source: Path, sha256: str | None = None) -> Asset:
        """Register a file to copy; the URL is derived from its content hash (``sha256``
        when the caller has verified it already: a figure store entry's files)."""
        url = asset_url(source, sha256)
        if url not in self.assets:
            self.assets[url] = Asset(source, url, *_image_size(source, sha256))
        asset = self.assets[url]
        if self.current is not None:
            self.record(self.current, "asset", {"path": self.relative(source), "url": url,
                                                "width": asset.width, "height": asset.height})
        return asset

    def relative(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return Path(os.path.relpath(path, self.root)).as_posix()

    def number(self, document: Document, kind: str, label: str | None,
               preview: dict | None = None) -> int:
        """Next number of ``kind`` in ``document``; registers ``label`` when given."""
        key = (id(document), kind)
        self.counters[key] = self.counters.get(key, 0) + 1
        if label:
            self.add_label(document, kind, label, self.counters[key], preview)
        return self.counters[key]

    def add_label(self, document: Document, kind: str, label: str, number: int,
                  preview: dict | None = None, title: str = "") -> None:
        """Register ``label``; ``number`` 0 is an unnumbered target shown by its ``title``."""
        self.record(document, "label", [kind, label, number, title, summary(preview or {})],
                    preview)

    def label(self, document: Document, name: str) -> Label | None:
        return self.labels.get((id(document), name))

    def cross_label(self, document: Document, target: Document, name: str) -> Label | None:
        """A label of another document, recorded with what ``document``'s card shows of it:
        a page reused from the cache is made again when that has changed
        (generator/incremental.py's ``stale_xrefs``)."""
        found = self.label(target, name)
        if found is not None:
            self.record(document, "xref", [target.url, name, shown(found)])
        return found

    def label_names(self, document: Document) -> set[str]:
        return {name for (doc, name) in self.labels if doc == id(document)}

    def cite(self, document: Document, key: str) -> int:
        """The citation number of ``key`` in ``document``, numbering on first use."""
        numbers = self.cited.get(id(document), {})
        if key not in numbers:
            self.record(document, "cite", key)
        return self.cited[id(document)][key]

    def bibliography(self, document: Document) -> list[tuple[int, object]]:
        """Cited references of ``document`` in citation order."""
        numbers = self.cited.get(id(document), {})
        return [(n, document.references[key]) for key, n in numbers.items()]

    def credit(self, document: Document, text: str) -> None:
        self.record(document, "credit", text)

    def schedule_figure(self, call: Call, params: dict):
        """Key a builder figure and schedule it (generator/plan.py); returns its use."""
        return self.record(call.document, "figure", {"builder": call.name, "params": params,
                                                     "line": call.line}, call)

    def unit(self, call: Call, unit: tuple[str, str, int]) -> None:
        """Record a ``{unit}`` reference, for the unit's page and the icon jobs."""
        self.record(call.document, "unit", [*unit, call.line, call.argument], call)


def _merge_asset(resolver: Resolver, document: Document, value: dict, local: Any) -> Asset:
    url = value["url"]
    if url not in resolver.assets:
        resolver.assets[url] = Asset(resolver.root / value["path"], url, value["width"],
                                     value["height"])
    return resolver.assets[url]


def _merge_cite(resolver: Resolver, document: Document, key: str, local: Any) -> None:
    numbers = resolver.cited.setdefault(id(document), {})
    numbers.setdefault(key, len(numbers) + 1)


def _merge_credit(resolver: Resolver, document: Document, text: str, local: Any) -> None:
    resolver.credits.setdefault(id(document), []).append(text)


def _merge_label(resolver: Resolver, document: Document, value: list, preview: Any) -> None:
    kind, name, number, *rest = value  # records made before targets had three items
    title = rest[0] if rest else ""
    shown = rest[1] if len(rest) > 1 else {}
    resolver.labels[(id(document), name)] = Label(kind, number, document, name, preview or {},
                                                  title, shown)


def _merge_figure(resolver: Resolver, document: Document, value: dict, call: Any):
    call = call or Call(value["builder"], document.source.path, value["line"],
                        kind="directive", document=document)
    use = resolver.plan.schedule(call, value["params"])
    value["key"] = use.job.key
    return use


def _merge_unit(resolver: Resolver, document: Document, value: list, call: Any) -> None:
    model, layer, index, line, argument = value
    call = call or Call("unit", document.source.path, line, argument, kind="role",
                        document=document, data={"unit": (model, layer, index)})
    resolver.units.setdefault((model, layer, index), []).append(call)


MERGERS: dict[str, Callable[[Resolver, Document, Any, Any], Any]] = {
    "asset": _merge_asset, "cite": _merge_cite, "credit": _merge_credit,
    "label": _merge_label, "figure": _merge_figure, "unit": _merge_unit}
"""How a built-in kind of :class:`DocumentState` entry updates the site-wide lookups (Sphinx's
``env-merge-info``); other kinds are only kept in the record, for ``recorded(kind)``."""


def asset_url(source: Path, sha256: str | None = None) -> str:
    """Where a copied file lands: named by the hash of its bytes, so a changed file moves."""
    digest = (sha256 or hashlib.sha256(source.read_bytes()).hexdigest())[:16]
    return f"assets/{digest}{source.suffix.lower()}"


def shown(label: Label) -> list:
    """What a card in another document shows of ``label`` (JSON): its document's title, its
    kind, number or title, and summary."""
    return [label.document.meta.title, label.kind, label.number, label.title, label.summary]


def summary(preview: dict) -> dict:
    """A label's preview as JSON: the image, a builder figure's store key and the title as
    they are, equation HTML as it is, the caption's tokens as inline HTML (text, emphasis,
    code and math; roles and links as their text)."""
    shown = {key: preview[key] for key in ("image", "figure", "html", "title")
             if preview.get(key)}
    if preview.get("caption_tokens"):
        shown["caption"] = "".join(_inline_html(token) for token in
                                   markdown.walk(preview["caption_tokens"]))
    return shown


_INLINE_TAGS = {"em_open": "<em>", "em_close": "</em>", "strong_open": "<strong>",
                "strong_close": "</strong>", "softbreak": " ", "hardbreak": " "}


def _inline_html(token) -> str:
    if token.type == "text" or token.type == "myst_role" and not (
            token.meta or {}).get("name", "").startswith("cite"):
        return str(escape(token.content))
    if token.type == "code_inline":
        return f"<code>{escape(token.content)}</code>"
    if token.type == "math_inline":
        return (token.meta or {}).get("html") or str(escape(token.content))
    return _INLINE_TAGS.get(token.type, "")


def number_labels(document: Document, resolver: Resolver) -> None:
    """Number labelled equations and every level-2 section, in document order."""
    sections = 0
    for token in document.tokens:
        if token.type == "math_block_label":
            number = resolver.number(document, "equation", token.info,
                                     {"html": (token.meta or {}).get("html", "")})
            token.meta = {**(token.meta or {}), "number": number}
        elif token.type == "heading_open" and token.tag == "h2":
            sections += 1
            label = (token.meta or {}).get("label")
            if label:
                resolver.add_label(document, "section", label, sections,
                                   {"title": (token.meta or {}).get("title", "")})
        elif token.type == "heading_open" and (token.meta or {}).get("label"):
            title = token.meta.get("title", "")
            resolver.add_label(document, "section", token.meta["label"], 0, {"title": title},
                               title)
    for name, kind, title in target_anchors(document.tokens):  # (label)= before a list...
        resolver.add_label(document, kind, name, 0, {"title": title} if title else None, title)


SIZES_KEPT = 1 << 16
"""How many image sizes :func:`_image_size` remembers by content hash (about 16 MB at most;
the demo's pages use 1,600 store images); past it the memory starts again."""
_sizes: dict[str, tuple[int | None, int | None]] = {}


def _image_size(path: Path, sha256: str | None = None) -> tuple[int | None, int | None]:
    """Width and height of an image file; ``(None, None)`` for a file Pillow cannot open.
    A file whose verified ``sha256`` is given (a store entry's) is opened once per process: a
    demo build opens 1,600 store images, and ``thread serve`` and the tests build again and
    again in one process."""
    if sha256 is not None and sha256 in _sizes:
        return _sizes[sha256]
    try:
        from PIL import Image

        with Image.open(path) as image:
            size: tuple[int | None, int | None] = image.size
    except OSError:  # not an image Pillow knows (SVG, PDF): no intrinsic size
        size = None, None
    if sha256 is not None:
        if len(_sizes) >= SIZES_KEPT:
            _sizes.clear()
        _sizes[sha256] = size
    return size


def check_documents(documents: list, resolver: Resolver, errors: ErrorCollector) -> None:
    """Check every directive, role, image and raw HTML of ``documents``; problems go to
    ``errors`` (the caller raises them with everyone else's)."""
    for doc in documents:  # labels first, so a reference may point forward
        resolver.current = doc
        number_labels(doc, resolver)
        check_calls(doc, "directive", resolver, errors)
        check_raw_html(doc, resolver, errors)
        check_embeds(doc, resolver, errors)
        check_teaser(doc, resolver, errors)
    for doc in documents:
        resolver.current = doc
        check_calls(doc, "role", resolver, errors)
    resolver.current = None


def check_teaser(doc, resolver: Resolver, errors: ErrorCollector) -> None:
    """An article's ``teaser:`` image: copied into the site and recorded (kind ``teaser``) for
    the thread page and its ``og:image``; a missing file is an error at its line."""
    name = getattr(getattr(doc, "meta", None), "teaser", None)
    if not name:
        return
    line = doc.source.line_of(("teaser",))
    path = inside_root(resolver.root, (resolver.root / doc.source.path).parent / name)
    if path is None:
        return errors.add(doc.source.path, line, outside_message("teaser image", name),
                          OUTSIDE_HINT)
    if not path.is_file():
        return errors.add(doc.source.path, line, f"teaser image not found: {name}",
                          "give the image's path relative to the article")
    resolver.record(doc, "teaser", resolver.asset(path).url)


def teaser(resolver: Resolver, document: Document) -> Asset | None:
    """The image that stands for an article: its ``teaser:``, else the first image it
    embeds (its first figure), else None."""
    state = resolver.states.get(id(document))
    if state is None:
        return None
    urls = state.get("teaser") + [a["url"] for a in state.get("asset")
                                  if a["url"].endswith(IMAGE_SUFFIXES)]
    return resolver.assets.get(urls[0]) if urls else None


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".svg", ".avif")


def check_raw_html(doc, resolver: Resolver, errors: ErrorCollector) -> None:
    """With ``raw_html = false`` in site.toml (a site open to outside contributions), HTML
    written into Markdown is an error at its line."""
    plan = resolver.plan
    if plan is None or plan.config.raw_html:
        return
    first: dict[int, str] = {}  # one error per line: its first tag (a closing tag adds nothing)
    for line, html in markdown.raw_html(doc.tokens, doc.env):
        first.setdefault(line, html)
    for line, html in first.items():
        snippet = html.strip().splitlines()[0][:60] if html.strip() else html
        errors.add(doc.source.path, line, f"raw HTML is not allowed on this site: {snippet}",
                   "write Markdown or use a directive (raw_html = false in site.toml)")


def check_calls(doc, kind: str, resolver: Resolver, errors: ErrorCollector) -> None:
    for call in calls(doc.tokens):
        if call.kind != kind:
            continue
        call.document = doc
        registry = doc.env["registry"]  # the one the document was parsed with
        spec = (registry.roles if kind == "role" else registry.directives)[call.name]
        if spec.check is not None:
            try:
                spec.check(call, resolver)
            except SiteError as exc:
                errors.extend([exc])


def calls(tokens: list):
    """Every directive or role call in document order, nested bodies included."""
    for token in tokens:
        call = (token.meta or {}).get("call")
        if call is not None and (call.kind == "role" or call.options is not None):
            yield call
            yield from calls(call.tokens)
        if token.children:
            yield from calls(token.children)
