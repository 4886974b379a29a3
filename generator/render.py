"""Jinja environment and page contexts: resolved objects in, ``{output path: bytes}`` out."""

from __future__ import annotations

import datetime as dt
import posixpath
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType

from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
    select_autoescape,
)
from jinja2.bccache import Bucket
from markupsafe import Markup

from generator import citations, markdown
from generator.config import CONFIG_NAME, Config, config_line
from generator.content import Article, Content, Document, Thread
from generator.embeds import banner_path, is_banner
from generator.errors import BuildFailed, SiteError
from generator.resolve import Asset, Resolver, teaser
from generator.toc import table_of_contents

BUILTIN_THEME = Path(__file__).resolve().parent.parent / "theme"


def theme_dir(root: Path, config: Config) -> Path:
    """The site's theme folder: ``theme.dir``, else ``theme/`` beside site.toml, else built-in."""
    if config.theme.dir:
        folder = root / config.theme.dir
        if not (folder / "templates").is_dir():
            problem = "has no templates/ folder" if folder.is_dir() else "is not a folder"
            raise BuildFailed([SiteError(CONFIG_NAME, config_line(root, ("theme", "dir")),
                                         f"theme.dir: '{config.theme.dir}' {problem}",
                                         "a theme folder holds templates/ and static/")])
        return folder
    local = root / "theme"
    return local if (local / "templates").is_dir() else BUILTIN_THEME


def relative_url(page: str, target: str) -> str:
    """URL of ``target`` as seen from ``page`` (both site-relative, directories end in '/')."""
    target_path, _, fragment = target.partition("#")
    base = posixpath.dirname(page) if not page.endswith("/") else page.rstrip("/")
    rel = _relpath(target_path or ".", base or ".")
    is_dir = not target_path or target_path.endswith("/")
    rel = "./" if rel == "." else rel + ("/" if is_dir else "")
    return rel + (f"#{fragment}" if fragment else "")


def _relpath(path: str, start: str) -> str:
    """``posixpath.relpath`` for site-relative paths, without its ``abspath`` calls (a site
    with 10,000 unit pages makes millions of links)."""
    path, start = posixpath.normpath(path), posixpath.normpath(start)
    if path.startswith("..") or start.startswith(".."):
        return posixpath.relpath(path, start)
    ours = [] if path == "." else path.split("/")
    theirs = [] if start == "." else start.split("/")
    common = 0
    while common < min(len(ours), len(theirs)) and ours[common] == theirs[common]:
        common += 1
    return "/".join([".."] * (len(theirs) - common) + ours[common:]) or "."


def long_date(value: dt.date | None) -> str:
    return f"{value:%B} {value.day}, {value.year}" if value else ""


class _CompiledTemplates(BytecodeCache):
    """Compiled templates kept for the life of the process, keyed by name and source checksum.

    ``thread serve`` builds again after every edit, and one process may build many sites (the
    test suite builds hundreds of copies of the same theme): a template is compiled once per
    distinct source, wherever its file is. An edited template has a new checksum, so it is
    compiled afresh. Code compiled from another copy of the same source gets this file's name,
    so errors and tracebacks point at the template that was loaded."""

    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}

    def get_bucket(self, environment: Environment, name: str, filename: str | None,
                   source: str) -> Bucket:
        checksum = self.get_source_checksum(source)
        bucket = Bucket(environment, f"{name}\0{checksum}", checksum)
        self.load_bytecode(bucket)
        if bucket.code is not None and filename and bucket.code.co_filename != filename:
            bucket.code = _renamed(bucket.code, filename)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self.stored.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.stored[bucket.key] = bucket.bytecode_to_string()


def _renamed(code: CodeType, filename: str) -> CodeType:
    """``code`` and the functions compiled inside it (blocks, macros), as if from ``filename``."""
    consts = tuple(_renamed(c, filename) if isinstance(c, CodeType) else c
                   for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


COMPILED = _CompiledTemplates()


def create_environment(templates: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates),
        bytecode_cache=COMPILED,
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["long_date"] = long_date
    return env


@dataclass
class PageContext:
    """What directives, roles and templates may ask while one page renders."""

    config: Config
    content: Content
    page: str
    """This page's site-relative URL, e.g. ``circuits/curve-detectors/``."""
    document: Document | None = None
    absolute: bool = False
    """Use root-relative links (the 404 page is served at any path)."""
    resolver: Resolver | None = None
    templates: Environment | None = None
    cards: int = 0
    """Hover cards rendered so far on this page, for unique, deterministic ids."""
    once: set = field(default_factory=set)
    """What a page shows in full only once (a hover box's first card holds its footnotes'
    anchors)."""

    def url(self, target: str) -> str:
        if self.absolute:
            return self.base_path + target
        return relative_url(self.page, target)

    def absolute_url(self, target: str = "") -> str:
        return self.config.base_url + target

    @property
    def base_path(self) -> str:
        return "/" + self.config.base_url.split("://", 1)[1].partition("/")[2]

    def teaser(self, article: Article) -> Asset | None:
        """The image that stands for ``article`` (generator/resolve.py's ``teaser``)."""
        return teaser(self.resolver, article) if self.resolver is not None else None

    def og_image(self) -> str:
        """Absolute URL of this page's ``og:image``: an article's teaser, or a thread's first
        article's; '' if none."""
        doc = self.document
        articles = doc.articles if isinstance(doc, Thread) else [doc] \
            if isinstance(doc, Article) else []
        found = next((t for t in map(self.teaser, articles) if t is not None), None)
        return self.absolute_url(found.url) if found else ""

    def preview_image(self, preview: dict) -> str | None:
        """URL of the picture in a cross-reference's card (a label's ``preview`` or
        ``summary``): a figure's image, or a builder figure's stored picture, found by its key
        only now, after the figures stage; None if it has none."""
        if preview.get("image"):
            return self.url(preview["image"])
        plan = self.resolver.plan if self.resolver is not None else None
        asset = plan.picture(preview["figure"]) if plan and preview.get("figure") else None
        return self.url(asset.url) if asset is not None else None

    def unit_icon(self, model: str, layer: str, index: int) -> str | None:
        """URL of a unit's feature-viz icon, from the figure store."""
        from generator.units import icon_asset

        asset = icon_asset(self.resolver.unit_jobs, model, layer, index)
        return self.url(asset.url) if asset else None

    def unit_url(self, model: str, layer: str, index: int) -> str:
        from generator.units import unit_url

        return self.url(unit_url(model, layer, index))

    def next_card(self) -> int:
        self.cards += 1
        return self.cards

    def card(self, kind: str, **values) -> str:
        """A hover card from the theme's ``partials/cards.html`` macro named ``kind``."""
        macro = getattr(self.templates.get_template("partials/cards.html").module, kind)
        return str(macro(ctx=self, **values)).strip()

    def footnote(self, footnote_id: int) -> Markup:
        """Footnote ``footnote_id`` as inline HTML for its card: paragraphs joined by <br>."""
        paragraphs, inside = [], False
        for token in self.document.tokens:
            if token.type == "footnote_open":
                inside = token.meta["id"] == footnote_id
            elif token.type == "footnote_close":
                inside = False
            elif inside and token.type == "inline":
                paragraphs.append(self.markdown([token]))
        return Markup("<br>").join(paragraphs)

    def markdown(self, tokens: list, inline: bool = False, preview: bool = False) -> Markup:
        """Render parsed tokens of this document; ``inline`` drops a lone paragraph's <p>;
        ``preview`` (a card repeating a caption) leaves out the ids the original carries."""
        if inline and len(tokens) == 3 and tokens[0].type == "paragraph_open":
            tokens = tokens[1:2]
        env = dict(self.document.env) if self.document else {}
        env["context"] = self
        env["preview"] = preview
        return Markup(markdown.render(tokens, env))


class Renderer:
    """Renders every page of a resolved site into memory."""

    def __init__(self, config: Config, content: Content, templates: Path, resolver: Resolver,
                 live_reload: bool = False):
        self.config, self.content, self.resolver = config, content, resolver
        self.env = create_environment(templates)
        self.templates = templates
        self.env.globals.update(config=config, site=content, live_reload=live_reload,
                                recorded=self.recorded)

    def recorded(self, kind: str) -> list:
        """``(document, entry)`` of every document's recorded entries of ``kind``, for
        site-wide listings (generator/document_state.py)."""
        return self.resolver.recorded(kind) if self.resolver is not None else []

    def context(self, page: str, document: Document | None = None, absolute: bool = False):
        return PageContext(self.config, self.content, page, document, absolute, self.resolver,
                           self.env)

    def page(self, template: str, url: str, document: Document | None = None, **extra) -> bytes:
        ctx = self.context(url, document, absolute=extra.pop("absolute", False))
        body = extra.pop("body", None)
        if body is None:
            body = ctx.markdown(document.tokens) if document is not None else Markup("")
        try:
            html = self.env.get_template(template).render(ctx=ctx, doc=document, body=body, **extra)
        except TemplateError as exc:
            raise template_error(exc, self.templates) from None
        return html.encode("utf-8")

    def article(self, article: Article) -> bytes:
        """An article page: body, then the appendix (marked sections, notes, references, citation)."""
        template = page_template(article)
        ctx = self.context(article.url, article)
        body, appendix, notes = split_appendix(article.tokens)
        figure, body = split_banner(body)
        toc = table_of_contents(body) if article.meta.toc else []
        banner = self.banner(article)
        banner_figure = ctx.markdown(figure)  # first: its cards come first in the page
        cited = self.resolver.bibliography(article)
        url = ctx.absolute_url(article.url)
        return self.page(template, article.url, article, thread=article.thread,
                         affiliations=affiliations_of(article, self.config),
                         toc=toc, banner=banner, banner_figure=banner_figure,
                         body=ctx.markdown(body), appendix_sections=ctx.markdown(appendix),
                         footnotes=ctx.markdown(notes), references=cited,
                         credits=self.resolver.credits.get(id(article), []),
                         citation=self.citation(article),
                         scholar_references=[citations.scholar_reference(r) for _, r in cited],
                         jsonld=citations.scholarly_jsonld(article, self.config, url,
                                                           [r for _, r in cited]))

    def banner(self, article: Article):
        """The banner image's site file (registered by the resolve stage), or None."""
        if article.meta.banner is None:
            return None
        return self.resolver.asset(banner_path(self.resolver.root, article))

    def citation(self, document: Article | Thread) -> citations.WorkCitation:
        """How to cite an article (its authors) or a thread (all its participants)."""
        if isinstance(document, Thread):
            names = citations.thread_participants(
                [a.name for art in document.articles for a in art.meta.authors],
                document.meta.participants)
        else:
            names = [author.name for author in document.meta.authors]
        return citations.cite_work(names, document.meta.title, self.config.journal_name,
                                   document.meta.published,
                                   self.config.base_url + document.url, document.meta.doi)

    def thread(self, thread: Thread) -> bytes:
        """The thread page: its introduction, the article list (after the prose of an
        ``## Articles & Comments`` section, if thread.md has one), then its other sections."""
        ctx = self.context(thread.url, thread)
        intro, listing, sections = split_thread(thread.tokens)
        cited = self.resolver.bibliography(thread)
        citation = self.citation(thread)
        return self.page("thread.html", thread.url, thread, thread=thread, citation=citation,
                         references=cited, body=ctx.markdown(intro),
                         listing=ctx.markdown(listing) if listing is not None else None,
                         sections=ctx.markdown(sections),
                         entry_affiliations=lambda a: ", ".join(self.affiliation_names(a)),
                         scholar_references=[citations.scholar_reference(r) for _, r in cited],
                         jsonld=citations.thread_jsonld(thread, self.config, citation.names,
                                                        [r for _, r in cited]))

    def unit(self, model: str, layer: str, index: int) -> bytes:
        """A unit's page: its visualisations, strongest weights and the articles that reference
        it (a unit shown only beside those gets a simpler page, see generator/unit_pages.py)."""
        from generator.unit_pages import unit_page
        from generator.units import unit_url

        refs = self.resolver.units.get((model, layer, index), [])
        backlinks = list({id(call.document): call.document for call in refs}.values())
        return self.page("unit.html", unit_url(model, layer, index), None, model=model,
                         layer=layer, index=index, backlinks=backlinks,
                         unit=unit_page(self.resolver, model, layer, index))

    def model(self, model: str) -> bytes:
        """A model's index: every unit with a page, by layer in network order."""
        from generator.unit_pages import model_index

        return self.page("model.html", f"units/{model}/", None, model=model,
                         layers=model_index(self.resolver, model))

    def affiliation_names(self, article: Article) -> list[str]:
        names = (self.config.affiliations[key].name
                 for author in article.meta.authors for key in author.affiliations)
        return list(dict.fromkeys(names))

    def feed(self, url: str, title: str, articles: list[Article]) -> bytes:
        entries = sorted(articles, key=lambda a: (a.meta.updated or a.meta.published, a.url),
                         reverse=True)
        updated = max((a.meta.updated or a.meta.published for a in articles), default=None)
        return self.page("feed.xml", url, None, title=title, entries=entries, updated=updated)


def page_template(document: Document) -> str:
    """The template a document's own page renders with."""
    if isinstance(document, Thread):
        return "thread.html"
    if isinstance(document, Article):
        return "comment.html" if document.meta.kind == "comment" else "article.html"
    return "page.html"


def template_error(exc: TemplateError, templates: Path) -> BuildFailed:
    """A theme template problem as ``theme/templates/x.html:line: message``."""
    if isinstance(exc, TemplateSyntaxError) and exc.filename:
        return BuildFailed([SiteError(_shown(exc.filename), exc.lineno, exc.message or str(exc))])
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename.startswith(str(templates))]
    where = frames[-1] if frames else None
    return BuildFailed([SiteError(_shown(where.filename) if where else templates,
                                  where.lineno if where else None, f"template error: {exc}")])


def _shown(filename: str) -> str:
    path = Path(filename)
    return path.relative_to(Path.cwd()).as_posix() if path.is_relative_to(Path.cwd()) else str(path)


LISTING_TITLES = {"articles & comments", "articles and comments"}
"""An ``##`` heading of thread.md with one of these titles holds prose for the article list."""


def split_thread(tokens: list) -> tuple[list, list | None, list]:
    """thread.md's tokens: before its first ``##``; the prose under ``## Articles & Comments``
    (None without that section); the other sections."""
    starts = [i for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]
    intro = tokens[:starts[0]] if starts else tokens
    listing, rest = None, []
    for start, end in zip(starts, [*starts[1:], len(tokens)]):
        title = " ".join(tokens[start + 1].content.split()).lower()
        if listing is None and title in LISTING_TITLES:
            listing = tokens[start + 3:end]  # heading_open, inline, heading_close
        else:
            rest += tokens[start:end]
    return intro, listing, rest


def split_appendix(tokens: list) -> tuple[list, list, list]:
    """Body tokens; level-2 sections marked ``{.appendix}``; the footnote list."""
    body, appendix, notes = [], [], []
    target = body
    for token in tokens:
        if token.type == "footnote_block_open":
            target = notes
        elif token.type == "heading_open" and token.tag == "h2" and target is not notes:
            target = appendix if "appendix" in str(token.attrGet("class") or "").split() else body
        target.append(token)
    return body, appendix, notes


def split_banner(tokens: list) -> tuple[list, list]:
    """The figure laid out as the banner (``:layout: banner``, at most one, checked by
    generator/embeds.py), and the other tokens."""
    banner = [token for token in tokens if token.level == 0 and is_banner(token)]
    return banner, [token for token in tokens if not any(token is b for b in banner)]


def affiliations_of(article: Article, config: Config) -> list:
    """Each author with their resolved affiliation objects, for the byline."""
    return [(author, [config.affiliations[key] for key in author.affiliations])
            for author in article.meta.authors]
