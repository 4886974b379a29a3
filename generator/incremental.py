"""Which documents a build may reuse from the last one, and what to record for the next.

The stages call these; the rules are in generator/cache.py's docstring. A reused document is
never parsed: its front matter comes from the cache, its :class:`DocumentState` (figure uses,
unit references, embedded files, whatever its directives recorded) is merged into the resolver
like a fresh document's (so figures, unit pages, assets and ``figures gc`` see the whole site),
and its page is taken from the output folder unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from generator import units
from generator.cache import DocRecord, digest, page_inputs
from generator.content import Article, Document, Thread
from generator.directives import Call
from generator.document_state import DocumentState
from generator.errors import SiteError
from generator.render import page_template
from generator.resolve import asset_url, shown

if TYPE_CHECKING:
    from generator.cache import BuildCache, Templates
    from generator.content import Content
    from generator.plan import FigurePlan
    from generator.resolve import Resolver


class Build(Protocol):
    """What these functions read of a build (generator/build.py's ``Build`` has it all)."""

    root: Path
    cache: BuildCache
    templates: Templates | None
    content: Content | None
    plan: FigurePlan | None
    resolver: Resolver | None
    sources: dict[str, str]
    reused: dict[int, tuple]

    @property
    def out_dir(self) -> Path: ...


def known(build: Build, path: Path, text: str):
    """Front matter the cache vouches for (load_content's ``known`` hook); hashes every file."""
    source = digest(text.encode("utf-8"))
    build.sources[path.as_posix()] = source
    record = build.cache.record(path, source)
    return record.meta if record is not None else None


def outputs_of(document: Document) -> list[str]:
    return [document.url + "index.html"] + ([document.url + "citation.bib"]
                                            if isinstance(document, Article) else [])


def reusable(build: Build, document: Document) -> DocRecord | None:
    """The record to reuse ``document``'s page from, if nothing it depends on changed.

    Icons and other documents' labels are checked later (:func:`stale_icons`,
    :func:`stale_xrefs`), once resolve has planned the unit shards and numbered every label."""
    if isinstance(document, Thread):
        return None
    record = build.cache.record(document.source.path, build.sources.get(
        document.source.path.as_posix(), ""))
    if record is None or not build.cache.kept(build.out_dir, record.outputs):
        return None
    state = record.state
    if page_inputs(document, record.template, state.get("cite"), build.templates,
                   build.content.threads) != record.inputs:
        return None
    for asset in state.get("asset"):
        try:
            if asset_url(build.root / asset["path"]) != asset["url"]:
                return None
        except OSError:
            return None
    return record if _figures_kept(build, document, record) else None


def _figures_kept(build: Build, document: Document, record: DocRecord) -> bool:
    """Every builder figure keys as before and its entry is the one the page shows (not
    missing, damaged or recomputed: another manifest digest)."""
    plan = build.plan
    figures = record.state.get("figure")
    if len(figures) != len(record.manifests):
        return False
    for figure, manifest in zip(figures, record.manifests):
        if figure["builder"] not in plan.builders:
            return False
        call = Call(figure["builder"], document.source.path, figure["line"], kind="directive",
                    document=document)
        try:
            use = plan.prepare(call, figure["params"])
        except SiteError:
            return False
        if use.job.key != figure.get("key") or entry_digest(build, use.job.key) != manifest:
            return False
    return True


def entry_digest(build: Build, key: str) -> str | None:
    """The manifest digest of the intact store entry under ``key``, else None."""
    entry = build.plan.store.get(key)
    return entry.digest if entry is not None else None


def forget(build: Build, document: Document) -> None:
    """A reused document that must be processed after all: its record leaves the build."""
    build.reused.pop(id(document), None)
    build.resolver.purge(document)


def stale_icons(build: Build) -> list[Document]:
    """Reused documents whose unit cards would now show icons from another shard or entry (one
    not yet computed or not yet planned is computed later: its bytes are not the ones the page
    shows)."""
    current = {use.job.key for use in units.icon_uses(build.resolver.unit_jobs)}
    return [doc for doc, record in build.reused.values()
            if any(key not in current or entry_digest(build, key) != manifest
                   for _, _, key, manifest in record.icons)]


def stale_xrefs(build: Build) -> list[Document]:
    """Reused documents that show another document's label (``{ref}`slug#label` ``) which is
    gone or shows differently now (renumbered, new caption or picture, retitled article)."""
    by_url = {doc.url: doc for doc in build.content.documents()}
    stale = []
    for doc, record in build.reused.values():
        for url, name, was in record.state.get("xref"):
            target = by_url.get(url)
            label = build.resolver.label(target, name) if target is not None else None
            if label is None or shown(label) != was:
                stale.append(doc)
                break
    return stale


def new_record(build: Build, document: Document) -> DocRecord:
    """What the next build needs to know about a document processed by this one."""
    resolver = build.resolver
    state = resolver.states.get(id(document), DocumentState())
    uses = [u for u in build.plan.uses if u.call.document is document
            and u.call.kind == "directive" and u.call.name in build.plan.builders]
    shards = [resolver.unit_jobs.shard(model, layer, index)
              for model, layer, index, *_ in state.get("unit")]
    icons = sorted({(s.model, s.layer, s.icons.job.key, _digest(s.icons)) if s else ("", "", "", "")
                    for s in shards})
    template = page_template(document)
    inputs = page_inputs(document, template, state.get("cite"), build.templates,
                         build.content.threads)
    return DocRecord(build.sources[document.source.path.as_posix()], document.meta, inputs,
                     template, state, [_digest(u) for u in uses], icons, outputs_of(document))


def _digest(use) -> str:
    """The manifest digest of the entry a use showed ('' if none: never matches again)."""
    return use.entry.digest if use.entry is not None else ""
