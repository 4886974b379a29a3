"""Which documents a build may reuse from the last one, and what to record for the next.

The stages call these; the rules are in generator/cache.py's docstring. A reused document is
never parsed: its front matter comes from the cache, its figure uses, unit references and
embedded files are re-registered from the record (so figures, unit pages, assets and
``figures gc`` see the whole site), and its page is taken from the output folder unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from generator.cache import DocRecord, PageDeps, digest, page_inputs
from generator.content import Article, Document, Thread
from generator.directives import Call
from generator.errors import SiteError
from generator.render import page_template
from generator.resolve import asset_url

if TYPE_CHECKING:
    from generator.build import Build


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

    Icons are checked later (:func:`stale_icons`): their keys depend on every reference."""
    if isinstance(document, Thread):
        return None
    record = build.cache.record(document.source.path, build.sources.get(
        document.source.path.as_posix(), ""))
    if record is None or not build.cache.kept(build.out_dir, record.outputs):
        return None
    deps = record.deps
    if page_inputs(document, deps.template, deps.cited, build.templates,
                   build.content.threads) != record.inputs:
        return None
    for path, url in zip(deps.assets, deps.asset_urls, strict=True):
        try:
            if asset_url(build.root / path) != url:
                return None
        except OSError:
            return None
    uses = _figure_uses(build, document, deps)
    if uses is None:
        return None
    build.reused_uses[id(document)] = uses
    return record


def _figure_uses(build: Build, document: Document, deps: PageDeps) -> list | None:
    """The document's figure uses, keyed again; None if a key moved or its entry is not the
    one the page shows (missing, damaged, recomputed: another manifest digest)."""
    plan, uses = build.figures, []
    for name, params, line, key, manifest in deps.figures:
        if name not in plan.builders:
            return None
        call = Call(name, document.source.path, line, kind="directive", document=document)
        try:
            use = plan.prepare(call, params)
        except SiteError:
            return None
        if use.job.key != key or entry_digest(build, key) != manifest:
            return None
        uses.append(use)
    return uses


def entry_digest(build: Build, key: str) -> str | None:
    """The manifest digest of the intact, current store entry under ``key``, else None."""
    entry = build.figures.store.get(key)
    return entry.digest if entry is not None and entry.is_current(build.versions) else None


def register(build: Build, document: Document, record: DocRecord) -> None:
    """Put a reused document's figures, unit references and files back into the build."""
    resolver = build.resolver
    build.figures.uses.extend(build.reused_uses.pop(id(document), []))
    for path in record.deps.assets:
        resolver.asset(build.root / path)
    for model, layer, index, line, argument in record.deps.units:
        call = Call("unit", document.source.path, line, argument, kind="role",
                    document=document, data={"unit": (model, layer, index)})
        resolver.units.setdefault((model, layer, index), []).append(call)


def forget(build: Build, document: Document) -> None:
    """Undo :func:`register` for a document that must be processed after all."""
    build.reused.pop(id(document), None)
    build.figures.uses[:] = [u for u in build.figures.uses if u.call.document is not document]
    for key, calls in list(build.resolver.units.items()):
        calls[:] = [c for c in calls if c.document is not document]
        if not calls:
            del build.resolver.units[key]


def stale_icons(build: Build) -> list[Document]:
    """Reused documents whose unit cards would now show icons from another job or entry (one
    not yet computed is computed later: its bytes are not the ones the page shows)."""
    icons = build.resolver.unit_jobs.icons
    return [doc for doc, record in build.reused.values()
            if any(icons.get((model, layer), (None,))[0] is None
                   or icons[(model, layer)][0].job.key != key
                   or entry_digest(build, key) != manifest
                   for model, layer, key, manifest in record.deps.icons)]


def new_record(build: Build, document: Document) -> DocRecord:
    """What the next build needs to know about a document processed by this one."""
    resolver, root = build.resolver, build.root
    assets = resolver.document_assets.get(id(document), [])
    units = [(*call.data["unit"], call.line, call.argument)
             for refs in resolver.units.values() for call in refs if call.document is document]
    deps = PageDeps(
        template=page_template(document),
        cited=list(resolver.cited.get(id(document), {})),
        assets=[p.relative_to(root).as_posix() for p in assets],
        asset_urls=[asset_url(p) for p in assets],
        figures=[(u.call.name, u.job.params, u.call.line, u.job.key, _digest(u))
                 for u in build.figures.uses if u.call.document is document
                 and u.call.kind == "directive" and u.call.name in build.figures.builders],
        units=sorted(units, key=lambda u: u[3]),
        icons=[(m, layer, use.job.key, _digest(use)) for (m, layer), use in sorted(
            {(m, layer): resolver.unit_jobs.icons[(m, layer)][0] for m, layer, *_ in units}
            .items())])
    inputs = page_inputs(document, deps.template, deps.cited, build.templates,
                         build.content.threads)
    return DocRecord(build.sources[document.source.path.as_posix()], document.meta, inputs,
                     deps, outputs_of(document))


def _digest(use) -> str:
    """The manifest digest of the entry a use showed ('' if none: never matches again)."""
    return use.entry.digest if use.entry is not None else ""
