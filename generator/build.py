"""The pipeline: an ordered list of named stages, load → resolve → render → write."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from generator import (
    cache,
    datasets,
    incremental,
    markdown,
    outputs,
    parallel,
    render_queue,
    scaffold,
    self_contained,
    units,
)
from generator.citations import attach_references
from generator.config import CONFIG_NAME, Config, config_line, load_config, toml_line
from generator.content import (
    Content,
    Document,
    Thread,
    document_url,
    load_content,
)
from generator.errors import BuildFailed, ErrorCollector, SiteError
from generator.links import check_links
from generator.myst import document_env
from generator.plan import FigurePlan, FigureRun, compute, load_plan, use_stored
from generator.render import Renderer, theme_dir
from generator.resolve import Resolver, check_documents
from generator.search import SearchFailed, index_search, keep_index
from generator.stages import Stages
from generator.write import Output, OutputRefused, output_problem, recover, write_site


@dataclass
class Build:
    root: Path
    out: Path | None = None
    live_reload: bool = False
    config: Config | None = None
    content: Content | None = None
    resolver: Resolver | None = None
    figure_run: FigureRun = field(default_factory=FigureRun)
    """How figure jobs run (--frozen, --workers, --device)."""
    plan: FigurePlan | None = None
    outputs: Output = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    use_cache: bool = False
    """Reuse what the last build left in ``.thread-cache/`` (``thread build`` and ``serve``)."""
    cache: cache.BuildCache = field(default_factory=cache.BuildCache)
    templates: cache.Templates | None = None
    sources: dict[str, str] = field(default_factory=dict)
    """Site-relative Markdown path → hash of its bytes."""
    reused: dict[int, tuple] = field(default_factory=dict)
    """id(document) → (document, record) for documents whose page the cache supplies."""
    written: list[str] = field(default_factory=list)
    prerendered: dict[int, tuple[Document, self_contained.Rendered]] = field(default_factory=dict)
    """id(document) → outputs of a self-contained document, rendered in the documents stage."""
    renderer: Renderer | None = None
    errors: ErrorCollector = field(default_factory=ErrorCollector)
    """Every stage's problems and warnings, reported together (see :func:`run`)."""
    keep_going: bool = False
    """``thread check``: after errors, check what does not depend on them too (the documents
    without errors are resolved, rendered and link-checked), then report everything at once."""
    warnings: list[SiteError] = field(default_factory=list)
    """Problems that did not stop the build (``thread check --strict`` fails on them)."""
    fingerprint: str = ""
    """The site's inputs when this build started (:func:`generator.cache.site_fingerprint`)."""
    seen: tuple[Path, str] | None = None
    """(output folder, fingerprint) from the CLI's look just before the build started."""
    search_digests: dict[str, str] = field(default_factory=dict)
    """Hash of the pages each search shard was built from (to skip re-indexing it)."""
    search_pending: Callable[[], Output] | None = None
    """The search index's files still being made by Pagefind (the write stage waits for them
    after staging the pages; :func:`run` at the end when no stage wrote)."""
    """Output paths this build wrote (an incremental build skips unchanged files)."""

    @property
    def out_dir(self) -> Path:
        return self.out or self.root / self.config.output_dir

    def broken_pages(self) -> tuple[str, ...]:
        """Output paths (or folders, ending in '/') of the pages that documents with errors
        would make: not rendered by ``thread check``, and links to them are not checked."""
        broken = self.errors.paths()
        loaded = {doc.source.path.as_posix(): doc for doc in self.content.documents()}
        pages = [loaded[path].url + "index.html" if path in loaded
                 else document_url(self.root, path)
                 for path in sorted(broken) if path in loaded or path.endswith(".md")]
        pages += [doc.url + "index.html" for doc in self.content.documents()
                  if doc.references_incomplete]  # a bibliography it cites from failed to load
        return tuple(sorted({page for page in pages if page}))


def load(build: Build) -> None:
    """Read config, front matter and bibliographies; find the pages the cache can supply."""
    build.config = load_config(build.root)
    check_output_dir(build)
    try:
        build.plan = load_plan(build.root, build.config)
    except SiteError as exc:
        raise BuildFailed([exc]) from None
    if build.use_cache:  # thread build and serve: finish or undo a killed build's write first
        recover(build.out_dir.resolve())
        build.fingerprint = _fingerprint(build)
        salt = cache.salt((build.root / "site.toml").read_bytes(), build.live_reload)
        build.cache = cache.load(build.root, salt, str(build.out_dir.resolve()))
    build.templates = cache.Templates(theme_dir(build.root, build.config) / "templates")
    errors = build.errors  # raised with the Markdown errors, so all are reported at once
    build.content = load_content(build.root, build.config, errors,
                                 partial(incremental.known, build))
    attach_references(build.root, build.config, build.content, errors)
    errors.extend(outputs.clashes(build.content))
    errors.extend(scaffold.leftovers(build.root, build.content))
    for doc in build.content.documents():
        record = incremental.reusable(build, doc) if not errors.errors else None
        if record is not None:
            build.reused[id(doc)] = (doc, record)


def check_output_dir(build: Build) -> None:
    """Refuse, before anything is read or computed, an output folder whose replacement could
    destroy anything: the site root or an ancestor, an input, a folder the build did not make."""
    problem = output_problem(build.out_dir, build.root, site_inputs(build.root, build.config))
    if problem is None:
        return
    if build.out is not None:
        raise BuildFailed([SiteError("--out", None, f"'{build.out}' {problem}")])
    text = (build.root / CONFIG_NAME).read_text(encoding="utf-8", errors="replace")
    line = toml_line(text, ("output_dir",))
    raise BuildFailed([SiteError(CONFIG_NAME, line or 1, f"output_dir '{build.config.output_dir}' "
                                 f"{problem}", None if line else "output_dir defaults to _site")])


def site_inputs(root: Path, config: Config) -> list[Path]:
    """Every file and folder the build reads, which the output folder must stay clear of."""
    paths = [root / CONFIG_NAME, root / "content", root / "theme", root / "figures",
             root / config.figures.store, root / cache.FOLDER, root / ".git",
             theme_dir(root, config)]
    paths += [root / name for name in config.bibliography]
    paths += [root / model.source.partition(":")[2] for model in config.models.values()
              if model.source.startswith("file:")]
    return paths


def documents(build: Build) -> None:
    """Parse every document the cache cannot supply; self-contained ones are also checked and
    rendered right away, across processes (generator/self_contained.py). Problems are reported
    with those of the resolve stage."""
    errors = build.errors
    broken = errors.paths()  # parsed for their own errors, never rendered
    todo = [d for d in build.content.documents() if id(d) not in build.reused
            and not isinstance(d, Thread) and d.source.path.as_posix() not in broken]
    renderer = renderer_for(build)
    tasks = [partial(self_contained.process, build.root, build.plan, renderer, doc) for doc in todo]
    for doc, rendered in zip(todo, parallel.run_all(tasks)):
        if rendered is not None:
            build.prerendered[id(doc)] = (doc, rendered)
    for doc in build.content.documents():
        if id(doc) not in build.reused and id(doc) not in build.prerendered and not doc.env:
            parse(doc, errors, build.plan.registry)  # a worker parsed it, sent no tokens


def renderer_for(build: Build) -> Renderer:
    """One renderer per build, so templates compile once (per worker process)."""
    if build.renderer is None:
        templates = theme_dir(build.root, build.config) / "templates"
        build.renderer = Renderer(build.config, build.content, templates, build.resolver,
                                  build.live_reload)
    return build.renderer


def parse(doc, errors: ErrorCollector, registry) -> None:
    doc.tokens, doc.env = markdown.parse(doc.source.body, doc.source.path,
                                         doc.source.body_line - 1, errors,
                                         env=document_env(doc), registry=registry)


def resolve(build: Build) -> None:
    """Number and check every directive and role use across the whole site; a document that
    already has an error is left out (its problems would only echo that one), the others are
    checked, so one round reports the problems of every file."""
    errors = build.errors
    build.resolver = Resolver(build.root, errors, slugs=build.content.slugs())
    build.resolver.plan = build.plan
    for doc, record in build.reused.values():
        build.resolver.merge(doc, record.state)
    for doc, rendered in build.prerendered.values():
        build.resolver.merge(doc, rendered.state)
    broken = errors.paths()
    remaining = [d for d in build.content.documents()
                 if id(d) not in build.reused and id(d) not in build.prerendered
                 and d.source.path.as_posix() not in broken]
    check_documents(remaining, build.resolver, errors)
    build.resolver.unit_jobs = schedule_units(build)
    late = incremental.stale_icons(build)  # a new reference elsewhere moved a layer's icons
    seen = {id(doc) for doc in late}
    late += [doc for doc in incremental.stale_xrefs(build) if id(doc) not in seen]  # a label
    for doc in late:
        incremental.forget(build, doc)
        parse(doc, errors, build.plan.registry)
    check_documents(late, build.resolver, errors)
    order = {id(doc): i for i, doc in enumerate(build.content.documents())}
    for refs in build.resolver.units.values():  # document order, however they were registered
        refs.sort(key=lambda call: (order[id(call.document)], call.line))
    if not build.keep_going:
        errors.raise_if_any()


def schedule_units(build: Build):
    try:
        return units.schedule(build.resolver, build.plan)
    except SiteError as exc:  # the site's own builders cannot take the unit jobs: stop here
        build.errors.extend([exc])
        build.errors.raise_if_any()


def compute_figures(build: Build) -> None:
    """Compute figures missing from the store (or fail if --frozen); keep every success.

    Models' layers come first, so unit references, the atlas and unit options are checked
    before any figure is computed; the layers plan the full unit shards, so the dataset scans
    that stale dataset-examples figures need, the articles' and the unit pages' alike, run
    once for all of them; then each round of unit shards plans the next (their weights plan
    the neighbours' icon shards)."""
    plan, resolver, run = build.plan, build.resolver, build.figure_run
    errors = compute(plan, resolver, run, select=units.is_layers_job)
    errors = errors or units.validate(resolver, resolver.unit_jobs)
    errors = errors or expand_units(build)[1]
    errors = errors or datasets.compute_scans(plan, resolver, run, compute)
    errors = errors or compute(plan, resolver, run)
    while not errors:
        added, errors = expand_units(build)
        if not added:
            break
        errors = errors or compute(plan, resolver, run)
    build.errors.extend(errors + plan.toolchain_warnings())
    build.errors.raise_if_any()


def expand_units(build: Build) -> tuple[int, list[SiteError]]:
    """Plan the unit shards the store now allows (:func:`units.expand`): (jobs added, errors,
    such as a ``[units] dataset`` folder that is gone)."""
    try:
        return units.expand(build.resolver, build.plan, build.resolver.unit_jobs), []
    except SiteError as exc:
        return 0, [exc]


def stored_figures(build: Build) -> None:
    """``thread check``'s figures stage: the figures the store holds, nothing computed; unit
    references and unit options are checked against the layers stored for their models."""
    use_stored(build.plan, build.resolver)
    build.errors.extend(units.validate(build.resolver, build.resolver.unit_jobs)
                        + build.plan.toolchain_warnings())


def render(build: Build) -> None:
    """Render every page, feed and listing into memory: one typed job per output
    (generator/render_queue.py)."""
    renderer = renderer_for(build)
    renderer.resolver = build.resolver
    jobs = render_queue.plan(build, theme_dir(build.root, build.config) / "static")
    build.outputs.update(render_queue.run(renderer, jobs))


def search(build: Build) -> None:
    """Index the rendered pages for full-text search (generator/search.py)."""
    if not build.config.search:
        return
    build.search_digests, pending = index_search(build.outputs, build.config.language,
                                                 build.cache, build.out_dir)
    build.search_pending = partial(search_bundle, build, pending)


def search_bundle(build: Build, pending) -> Output:
    """The re-indexed shards' files once Pagefind is done; its failure is the build's, at the
    ``search`` setting."""
    build.search_pending = None
    try:
        return pending()
    except SearchFailed as exc:
        raise BuildFailed([SiteError(CONFIG_NAME, config_line(build.root, ("search",)), str(exc),
                                     "search = false in site.toml builds without the index")])


def search_done(build: Build) -> None:
    """Wait for the search bundle still being made, if any, and add it to the outputs."""
    if build.search_pending is not None:
        build.outputs.update(build.search_pending())


def search_later(build: Build) -> None:
    """``thread serve``'s first pass: the search index as the last build left it, so an edited
    page reloads before Pagefind runs; a second pass re-indexes what changed."""
    if build.config.search:
        build.search_digests = keep_index(build.outputs, build.cache, build.out_dir)
        build.fingerprint = ""  # the index may be behind the pages: no "nothing changed" yet


def links(build: Build) -> None:
    """``thread check``: every broken internal link or ``#anchor`` is an error."""
    search_done(build)  # pages link to the search bundle's scripts
    sources = {doc.url + "index.html": doc.source for doc in build.content.documents()}
    build.errors.extend(check_links(build.outputs, build.config.base_url, sources,
                                    Path(build.config.output_dir).name, build.broken_pages()))


def _fingerprint(build: Build) -> str:
    """The site's fingerprint as this build starts: the CLI's quick look computed it a moment
    ago for the same output folder (see ``seen``), or it is computed now."""
    if build.seen and not build.live_reload \
            and build.seen[0].resolve() == build.out_dir.resolve():
        return build.seen[1]
    return cache.site_fingerprint(build.root, build.out_dir, build.live_reload)


def write(build: Build) -> None:
    """Write the site (in one swap, or only the changed files when the cache knows the folder);
    then record what the next build may reuse."""
    previous = build.cache.outputs if build.use_cache and build.cache.outputs else None
    check_output_dir(build)  # again: the folder may have changed while the site was built
    try:
        stamps = write_site(build.outputs, build.out_dir, previous, build.written,
                            build.search_pending)
    except OutputRefused as exc:
        raise BuildFailed([SiteError(CONFIG_NAME, None, str(exc))]) from None
    if build.use_cache:
        records = {doc.source.path.as_posix(): build.reused[id(doc)][1] if id(doc) in build.reused
                   else incremental.new_record(build, doc)
                   for doc in build.content.documents() if not isinstance(doc, Thread)}
        if build.fingerprint != cache.site_fingerprint(build.root, build.out_dir,
                                                       build.live_reload):
            build.fingerprint = ""  # changed while building (new figures, edits): no fast path
        cache.save(build.root, cache.BuildCache(build.cache.salt, build.fingerprint, records,
                                                stamps, build.search_digests, build.cache.out_dir))


STAGES = Stages([("load", load), ("documents", documents), ("resolve", resolve),
                 ("figures", compute_figures), ("render", render), ("search", search),
                 ("write", write)])
PREVIEW_STAGES = STAGES.at("search", search_later)
"""``thread serve`` after an edit: the pages first, the search index kept as it was."""
CHECK_STAGES = STAGES.at("figures", stored_figures).disable("write").push("links", links)
"""``thread check``: the build minus writing, figures from the store only, then every internal
link and #anchor checked."""
COMPUTE_STAGES = STAGES.only("load", "documents", "resolve", "figures")
"""``figures compute``: the figures the store lacks, computed; no page rendered or written."""
RESOLVE_STAGES = STAGES.only("load", "documents", "resolve")
"""``figures list`` and ``figures gc``: what the site's documents use, nothing computed."""


def run(root: Path, stages=STAGES, **options) -> Build:
    """Run ``stages`` in order; a :class:`BuildFailed` from any stage stops before writing.

    Whatever stops the build, it reports the warnings found so far with its errors."""
    build = Build(root=root, **options)
    try:
        with parallel.fewer_collections():  # parsing allocates millions of objects, few cyclic
            for name, stage in stages:
                started = time.perf_counter()
                stage(build)
                build.timings[name] = time.perf_counter() - started
            search_done(build)  # no write stage took the search bundle: it joins the outputs
        build.errors.raise_if_any()
    except BuildFailed as failure:
        extra = [w for w in build.errors.warnings if w not in failure.errors]
        if extra:
            raise BuildFailed(failure.errors + extra) from None
        raise
    build.warnings = build.errors.warnings
    return build
