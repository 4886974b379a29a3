"""The render stage's work as a queue of typed jobs (zola's ``enum Job {Page, Section, Feed, …}``).

:func:`plan` lists every output of a resolved site as one small job — a fresh article, a page the
cache supplies, a feed, a unit page, a theme file — and :func:`run` turns the list into
``{output path: bytes or source file}``: one ``match`` on the job's type, no branches by kind
of document inside a render function. Article and page jobs, the bulk of a site, run across
processes (generator/parallel.py), and so do unit pages and model indexes (a model can have
thousands); the others run here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from generator import markdown, parallel, unit_pages, units
from generator.content import Article, Page, Thread
from generator.outputs import document_outputs
from generator.write import Output

if TYPE_CHECKING:
    from generator.config import Config
    from generator.content import Content
    from generator.render import Renderer
    from generator.resolve import Resolver


@dataclass(frozen=True)
class Home:
    """``index.html``: the site's front page."""


@dataclass(frozen=True)
class NotFound:
    """``404.html``, with root-relative links (it is served at any path)."""


@dataclass(frozen=True)
class ThreadPage:
    thread: Thread


@dataclass(frozen=True)
class Feed:
    """An Atom feed of ``articles`` (one per thread, one for the whole site)."""

    url: str
    title: str
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class ArticlePage:
    """A freshly rendered article's page (rendered across processes)."""

    article: Article


@dataclass(frozen=True)
class CitationFile:
    """An article's ``citation.bib``."""

    article: Article


@dataclass(frozen=True)
class PlainPage:
    """A freshly rendered page that is not an article (``about.md``; across processes)."""

    page: Page


@dataclass(frozen=True)
class Reused:
    """Files the cache vouches for: kept as they are in the output folder."""

    paths: tuple[str, ...]
    folder: Path


@dataclass(frozen=True)
class Prerendered:
    """A self-contained document's outputs, rendered in the documents stage."""

    outputs: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class UnitPage:
    model: str
    layer: str
    index: int


@dataclass(frozen=True)
class ModelIndex:
    model: str


@dataclass(frozen=True)
class Sitemap:
    pass


@dataclass(frozen=True)
class Robots:
    pass


@dataclass(frozen=True)
class PygmentsCss:
    """The stylesheet of highlighted code."""


@dataclass(frozen=True)
class Copied:
    """A file copied as it is: a theme static file or an asset a document embeds."""

    path: str
    source: Path


Job = (Home | NotFound | ThreadPage | Feed | ArticlePage | CitationFile | PlainPage | Reused
       | Prerendered | UnitPage | ModelIndex | Sitemap | Robots | PygmentsCss | Copied)
FORKED = (ArticlePage, PlainPage, UnitPage, ModelIndex)
"""The jobs run across processes: the bulk of a site, each pure (unit pages are assembled
before :func:`plan` returns, so workers only render them)."""


class Build(Protocol):
    """What :func:`plan` reads of a build (generator/build.py's ``Build`` has it all)."""

    config: Config | None
    content: Content | None
    resolver: Resolver | None
    reused: dict[int, tuple]
    prerendered: dict[int, tuple]

    @property
    def out_dir(self) -> Path: ...

    def broken_pages(self) -> tuple[str, ...]: ...


def plan(build: Build, static: Path) -> list[Job]:
    """Every output of the resolved site, in the order it is listed; ``static`` is the theme's
    static folder. Pages of documents with errors (``thread check``) are left out."""
    skipped = build.broken_pages()
    content, resolver = build.content, build.resolver
    jobs: list[Job] = [Home(), NotFound()]
    for thread in content.threads:
        if thread.url + "index.html" not in skipped:
            jobs.append(ThreadPage(thread))
        jobs.append(Feed(thread.url + "feed.xml", thread.meta.title, tuple(thread.articles)))
    jobs += [job for doc in content.documents() if doc.url + "index.html" not in skipped
             for job in document_jobs(build, doc)]
    jobs += [UnitPage(*unit) for unit in unit_pages.pages(resolver)]
    jobs += [ModelIndex(model) for model in sorted(unit_pages.index(resolver).models)]
    everything = tuple(a for t in content.threads for a in t.articles)
    jobs += [Feed("feed.xml", build.config.title, everything), Sitemap(), Robots(), PygmentsCss()]
    jobs += [Copied("static/" + path.relative_to(static).as_posix(), path)
             for path in sorted(p for p in static.rglob("*") if p.is_file())]
    jobs += [Copied(url, asset.source) for url, asset in resolver.assets.items()]
    return jobs


def document_jobs(build: Build, doc) -> list[Job]:
    """A document's own page: kept from the cache, rendered already, or to render now."""
    if id(doc) in build.reused:  # unchanged, and so is everything it shows: keep the file
        return [Reused(tuple(document_outputs(doc)), build.out_dir)]
    if id(doc) in build.prerendered:
        return [Prerendered(tuple(build.prerendered[id(doc)][1].outputs.items()))]
    if isinstance(doc, Article):
        return [ArticlePage(doc), CitationFile(doc)]
    if isinstance(doc, Page):
        return [PlainPage(doc)]
    return []  # a thread: its page and feed are listed with the threads


def render(renderer: Renderer, job: Job) -> Output:
    """The outputs of one job."""
    match job:
        case Home():
            return {"index.html": renderer.page("home.html", "", models=sorted(
                unit_pages.index(renderer.resolver).models))}
        case NotFound():
            return {"404.html": renderer.page("404.html", "404.html", absolute=True)}
        case ThreadPage(thread):
            return {thread.url + "index.html": renderer.thread(thread)}
        case Feed(url, title, articles):
            return {url: renderer.feed(url, title, list(articles))}
        case ArticlePage(article):
            return {article.url + "index.html": renderer.article(article)}
        case CitationFile(article):
            return {article.url + "citation.bib": renderer.citation(article).bibtex.encode()}
        case PlainPage(page):
            return {page.url + "index.html": renderer.page("page.html", page.url, page)}
        case Reused(paths, folder):
            return {path: folder / path for path in paths}
        case Prerendered(outputs):
            return dict(outputs)
        case UnitPage(model, layer, index):
            return {units.unit_url(model, layer, index) + "index.html":
                    renderer.unit(model, layer, index)}
        case ModelIndex(model):
            return {f"units/{model}/index.html": renderer.model(model)}
        case Sitemap():
            return {"sitemap.xml": renderer.page("sitemap.xml", "sitemap.xml",
                                                 extra_urls=sitemap_urls(renderer.resolver))}
        case Robots():
            return {"robots.txt": renderer.page("robots.txt", "robots.txt")}
        case PygmentsCss():
            return {"static/pygments.css": markdown.pygments_css().encode()}
        case Copied(path, source):
            return {path: source}
    raise TypeError(f"not a render job: {job!r}")


def sitemap_urls(resolver: Resolver) -> list[str]:
    """The sitemap's pages beyond the documents: each model's index, then each unit page."""
    models = [f"units/{model}/" for model in sorted(unit_pages.index(resolver).models)]
    return models + [units.unit_url(*unit) for unit in unit_pages.pages(resolver)]


def run(renderer: Renderer, jobs: list[Job]) -> Output:
    """Every job's outputs, in the order of ``jobs``: article and page jobs across processes
    (after the others), the rest in this process."""
    here = [render(renderer, job) if not isinstance(job, FORKED) else None for job in jobs]
    forked = [partial(render, renderer, job) for job in jobs if isinstance(job, FORKED)]
    results = iter(parallel.run_all(forked))
    out: Output = {}
    for made in here:
        out.update(made if made is not None else next(results))
    return out
