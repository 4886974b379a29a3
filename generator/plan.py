"""A build's figures: which store entries its directives need, what to compute, how it is
reported, and store maintenance (``thread figures list`` / ``gc``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from generator.datasets import job_datasets
from generator.errors import SiteError
from generator.figures import INSTALLED_FIGURES, PACKAGE, Builder
from generator.jobs import Job, canonical_json, installed_versions, make_executor
from generator.ray_executor import ClusterUnavailable
from generator.registry import Registry, site_registry
from generator.store import HASH_SUFFIX, Damage, Entry

log = logging.getLogger(__name__)

# --- planning and running a build's figures --------------------------------------------------

@dataclass
class FigureUse:
    """One builder directive in an article, with the store key its inputs hash to."""

    call: Any
    job: Job
    entry: Any = None
    """The store :class:`~generator.store.Entry` once it exists, is intact and is current."""
    damage: Damage | None = None
    """Why the entry under the use's key cannot be used, when it exists but is damaged."""

    @property
    def where(self) -> str:
        return f"{self.call.path}:{self.call.line}"


@dataclass
class FigureRun:
    """How the figures stage runs: from the command line, defaults from site.toml."""

    frozen: bool = False
    """Fail, naming them, if any figure would need recomputing (deploy CI without a GPU)."""
    workers: int | None = None
    device: str | None = None
    reporter: Any = None
    """Receives ``start(uses)``, ``advance(key, fraction)``, ``finish(key, error)``, ``close()``."""
    executor: str | None = None
    """``local`` or ``ray`` (``--executor``; default: ``[figures] executor``)."""


class FigurePlan:
    """The site's builders, model registry and store, and the figures its articles use."""

    def __init__(self, root: Path, config, registry: Registry):
        from generator.store import FigureStore

        self.root, self.config, self.registry = root, config, registry
        self.builders: dict[str, Builder] = registry.builders
        self.store = FigureStore(root / config.figures.store)
        self.uses: list[FigureUse] = []
        self._fingerprints: dict[str, str] = {}
        self._sources: dict[str, str] = {}
        self.registered: dict[tuple[str, str], dict] = {}
        """(key, manifest digest) → the entry's files as assets (see :func:`_assets`)."""
        """Builder module → digest of its source (hashed once: a site plans thousands)."""
        self.search = [p for p in (root / PACKAGE, INSTALLED_FIGURES) if p.is_dir()]
        self.toolchain: dict[tuple[str, str, str], set[str]] = {}
        """(distribution, recorded version, installed version) → keys of stored figures."""
        self.reported: set[tuple[str, str, str]] = set()
        self.computed: list[str] = []
        """Keys of the figures this build computed and stored."""
        self.dataset_fingerprints: dict[str, str] = {}
        """``[datasets.NAME]`` → its fingerprint, computed once per build (generator/datasets.py)."""

    def schedule(self, call, params: dict) -> FigureUse:
        """Key a directive's figure and add it to the build's uses (nothing is computed yet)."""
        use = self.prepare(call, params)
        self.uses.append(use)
        return use

    def picture(self, key: str):
        """The asset that stands for the figure stored under ``key`` in a cross-reference's
        card: its first picture (the whole figure), else its chart's or its SVG; None while
        the figure is not stored."""
        use = next((u for u in self.uses if u.job.key == key and u.entry is not None
                    and "assets" in u.call.data), None)
        if use is None:
            return None
        manifest = use.entry.manifest
        images = manifest.get("images") or []
        name = images[0]["png"] if images else manifest.get("vega_svg") or manifest.get("svg")
        return use.call.data["assets"].get(name) if name else None

    def prepare(self, call, params: dict) -> FigureUse:
        """Key a directive's figure without scheduling it; raises SiteError for unknown models."""
        from generator.store import figure_key, source_digest

        spec = self.builders[call.name]
        names = [params[p] for p in spec.model_params if params.get(p) is not None]
        fingerprints = {name: self.fingerprint(name, call) for name in names}
        if spec.module not in self._sources:
            self._sources[spec.module] = source_digest(spec.module, self.search)
        datasets, settings = job_datasets(self, spec, params, call)
        key = figure_key(spec.name, self._sources[spec.module], canonical_json(params),
                         fingerprints | datasets)
        models = {name: self.config.models[name].model_dump() for name in names}
        device = self.config.figures.device
        return FigureUse(call, Job(key, str(self.root), spec.name, params, models, fingerprints,
                                   device, settings))

    def fingerprint(self, name: str, call) -> str:
        if name not in self.config.models:
            from generator.errors import did_you_mean

            known = sorted(self.config.models)
            raise SiteError(call.path, call.line, f"unknown model '{name}'",
                            did_you_mean(name, known) or
                            f"add [models.{name}] to site.toml; known: {', '.join(known) or 'none'}")
        if name not in self._fingerprints:
            try:
                self._fingerprints[name] = model_fingerprint(self.config.models[name], self.root,
                                                             self.search)
            except FileNotFoundError as exc:
                raise SiteError(call.path, call.line, f"model '{name}': file not found: "
                                f"{exc.filename}") from None
        return self._fingerprints[name]

    def attach(self, select: Callable[[FigureUse], bool] | None = None) -> list[FigureUse]:
        """Look every use (or the ``select``ed ones) up in the store, verified; returns those to
        compute (missing or damaged). An entry made with other toolchain versions is used, and
        noted for :meth:`toolchain_warnings`."""
        versions = installed_versions()
        stale = []
        for use in filter(select, self.uses) if select else self.uses:
            found = self.store.read(use.job.key)
            use.entry = found if isinstance(found, Entry) else None
            use.damage = found if isinstance(found, Damage) else None
            if use.entry is None:
                stale.append(use)
            else:
                for change in use.entry.toolchain_changes(versions):
                    self.toolchain.setdefault(change, set()).add(use.job.key)
        return stale

    def toolchain_warnings(self) -> list[SiteError]:
        """One warning per toolchain version that stored figures were computed with and this
        host does not have (each reported once per build): the figures are kept, not
        recomputed on every build."""
        warnings = []
        for (name, recorded, have), keys in sorted(self.toolchain.items()):
            if (name, recorded, have) in self.reported:
                continue
            self.reported.add((name, recorded, have))
            count = f"{len(keys)} stored figure{'s were' if len(keys) > 1 else ' was'}"
            warnings.append(SiteError(
                self.config.figures.store, None, f"{count} computed with {name} {recorded}; "
                f"this host has {name} {have}. They are kept and used as they are",
                "delete their entries to recompute them with this host's versions: "
                f"{', '.join(sorted(keys)[:3])}{', ...' if len(keys) > 3 else ''}",
                warning=True))
        return warnings

    def shown(self, path: Path) -> str:
        """A store path as the user knows it: relative to the site root."""
        return Path(os.path.relpath(path, self.root)).as_posix()


def model_fingerprint(model, root: Path, search: list[Path]) -> str:
    """Hash of a model's weights file, or of its recipe (source, weights, factory code)."""
    from generator.store import digest, file_digest, source_digest

    kind, _, rest = model.source.partition(":")
    parts = [model.source, model.weights or "", model.factory or ""]
    factory = (model.factory or "").removeprefix("python:")
    if kind == "builtin":
        from figures.models import BUILTIN

        factory = BUILTIN[rest]
    if kind == "file":
        parts.append(file_digest(root / rest))
    module = factory.partition(":")[0]
    if module == PACKAGE or module.startswith(PACKAGE + "."):
        parts.append(source_digest(module, search))
    return digest(*parts)[:16]


def load_plan(root: Path, config) -> FigurePlan:
    """The site's registry (built-ins, its builders, a directive per builder) and an empty
    plan of figures (load stage)."""
    return FigurePlan(root, config, site_registry(root))


def compute(plan: FigurePlan, resolver, run: FigureRun,
            select: Callable[[FigureUse], bool] | None = None,
            register: bool = True) -> list[SiteError]:
    """Run the jobs of stale figures (each once), store results, register assets for pages.

    ``select`` limits the run to some uses (the unit checks need ``model-layers`` first);
    ``register=False`` publishes nothing (a build's intermediates, such as dataset scans)."""
    stale = plan.attach(select)
    if run.frozen and stale:
        return [_stale_error(plan, u) for u in stale]
    for damage in {u.damage.key: u.damage for u in stale if u.damage is not None}.values():
        log.warning("%s %s; computing the figure again", plan.shown(damage.file), damage.reason)
    errors = _run_stale(plan, stale, run) if stale else []
    plan.attach()
    plan.store.clean_temporary()
    damage = _bundle_damage(plan) if run.frozen else None
    if damage is not None:  # --frozen makes nothing, and never publishes a damaged bundle
        return errors + [damage]
    if register:
        _register(plan, resolver, lambda: vega_bundle(plan.store))
    return errors


def _bundle_damage(plan: FigurePlan) -> SiteError | None:
    charts = [u for u in plan.uses if u.entry is not None and u.entry.manifest.get("vega_lite")]
    damage = plan.store.read_cached(bundle_name()) if charts else None
    if not isinstance(damage, Damage):
        return None
    return SiteError(charts[0].call.path, charts[0].call.line, "the vega bundle "
                     f"{plan.shown(damage.file)} {damage.reason}",
                     "run thread build without --frozen to make it again")


def use_stored(plan: FigurePlan, resolver) -> None:
    """``thread check``'s figures: what the store holds, computing and writing nothing (a chart
    whose vega bundle is not stored yet counts as not computed)."""
    plan.attach()
    bundle = plan.store.read_cached(bundle_name())  # damaged: as if not stored
    _register(plan, resolver, lambda: bundle if isinstance(bundle, Path) else None)


def _register(plan: FigurePlan, resolver, bundle: Callable[[], Path | None]) -> None:
    """Give each stored figure its assets, and charts the vega bundle."""
    charts = [u for u in plan.uses if u.entry is not None and u.entry.manifest.get("vega_lite")]
    script = bundle() if charts else None
    for use in charts if script is None else []:
        use.entry = None
    script_asset = resolver.asset(script) if script is not None else None
    for use in plan.uses:
        if use.entry is not None:
            use.call.data["assets"] = _assets(plan, resolver, use.entry)
            if use.entry.manifest.get("vega_lite"):
                use.call.data["bundle"] = script_asset


def _assets(plan: FigurePlan, resolver, entry: Entry) -> dict:
    """An entry's files as assets, hashed once per build however many uses and rounds of
    computing show it."""
    known = plan.registered.get((entry.key, entry.digest))
    if known is None:
        known = plan.registered[(entry.key, entry.digest)] = {
            name: resolver.asset(entry.path(name), entry.manifest["sha256"][name])
            for name in entry.manifest["files"] if not name.startswith("files/")}
    return known


def _stale_error(plan: FigurePlan, use: FigureUse) -> SiteError:
    """Why ``--frozen`` cannot publish a figure: no entry, or a damaged one."""
    where, name, damage = use.call, use.call.name, use.damage
    if damage is not None:
        return SiteError(where.path, where.line, f"figure '{name}': store entry "
                         f"{plan.shown(plan.store.folder / damage.key)} is damaged: "
                         f"{plan.shown(damage.file)} {damage.reason}",
                         "run thread build without --frozen to compute it again")
    return SiteError(where.path, where.line, f"figure '{name}' is stale (key {use.job.key} is "
                     f"not in {plan.config.figures.store}/)",
                     "run thread build without --frozen where torch is installed")


def _run_stale(plan: FigurePlan, stale: list[FigureUse], run: FigureRun) -> list[SiteError]:
    jobs = list({u.job.key: u.job for u in stale}.values())
    device = run.device or plan.config.figures.device
    jobs = [Job(**{**asdict(job), "device": device}) for job in jobs]
    workers = run.workers if run.workers is not None else plan.config.figures.workers
    executor = choose_executor(plan, run, workers, len(jobs))
    if isinstance(executor, SiteError):
        return [executor]
    reporter = run.reporter or SilentReporter()
    reporter.start(jobs)
    failures: dict[str, str] = {}
    try:
        for result in executor.run(jobs, reporter.advance):
            if result.error is None:
                plan.store.put(result.key, result.files, result.manifest)
                plan.computed.append(result.key)
            else:
                failures[result.key] = _failure(result)
            reporter.finish(result.key, result.error)
    except ClusterUnavailable as exc:
        return [_unreachable(plan, run, str(exc))]
    finally:
        reporter.close()
    return [SiteError(u.call.path, u.call.line, f"figure builder '{u.call.name}' failed"
                      f"{failures[u.job.key]}") for u in stale if u.job.key in failures]


def _failure(result) -> str:
    """How a failed job reads after ``figure builder 'x' failed``; a remote worker's traceback
    is logged whole, since the user cannot look on that machine."""
    if not result.host:
        return f": {result.error}"
    log.error("figure job %s failed on %s:\n%s", result.key, result.host, result.trace.rstrip())
    return f" on {result.host}: {result.error} (its traceback is above)"


def choose_executor(plan: FigurePlan, run: FigureRun, workers: int | None, count: int):
    """The executor of ``--executor``, else of ``[figures] executor``; a SiteError at the
    setting when it cannot run here (Ray not installed)."""
    if (run.executor or plan.config.figures.executor) == "local":
        return make_executor(workers, count, plan.builders)
    from generator.ray_executor import RayExecutor, ray_missing

    if ray_missing():
        return SiteError(*_setting(plan, run, "executor"), "executor 'ray' needs Ray, which is "
                         "not installed", "install the cluster extra: "
                         "pip install 'thread-generator[cluster]'")
    return RayExecutor(plan.root, plan.config, plan.config.figures.ray_address, workers)


def _unreachable(plan: FigurePlan, run: FigureRun, reason: str) -> SiteError:
    """The Ray cluster could not be joined (or a local instance started), at the setting."""
    address = plan.config.figures.ray_address
    if address:
        return SiteError(*_setting(plan, run, "ray_address"), f"cannot connect to the Ray "
                         f"cluster at '{address}': {reason}",
                         "start it (ray start --head) or correct [figures] ray_address; a "
                         "cluster with token authentication also needs RAY_AUTH_MODE=token")
    return SiteError(*_setting(plan, run, "executor"), f"cannot start a local Ray instance: "
                     f"{reason}", "set [figures] ray_address to join a running cluster")


def _setting(plan: FigurePlan, run: FigureRun, key: str) -> tuple[str, int | None]:
    """Where a ``[figures]`` setting came from: ``--executor``, or its line in site.toml."""
    from generator.config import CONFIG_NAME, toml_line

    if key == "executor" and run.executor:
        return "--executor", None
    text = (plan.root / CONFIG_NAME).read_text(encoding="utf-8-sig")
    return CONFIG_NAME, toml_line(text, ("figures", key))


def vega_bundle(store) -> Path:
    """vega, vega-lite and vega-embed in one self-hosted script, cached in the store (with its
    sha256 beside it: a damaged bundle is made again, never published)."""
    snippet, name = VEGA_SNIPPET, bundle_name()
    found = store.read_cached(name)
    if isinstance(found, Damage):
        log.warning("%s %s; making it again", found.file, found.reason)
    return store.cached_file(name,
                             lambda: __import__("vl_convert").javascript_bundle(snippet).encode())


def bundle_name() -> str:
    return f"vega-bundle-{_vl_convert_version()}.js"


VEGA_SNIPPET = """
for (const el of document.querySelectorAll(".vega-chart[data-spec]")) {
  fetch(el.dataset.spec).then((r) => r.json()).then((spec) =>
    vegaEmbed(el, spec, {actions: false, renderer: "svg"})).catch(() => {});
}
"""


class SilentReporter:
    def start(self, jobs: list[Job]) -> None: ...
    def advance(self, key: str, fraction: float) -> None: ...
    def finish(self, key: str, error: str | None) -> None: ...
    def close(self) -> None: ...


class RichReporter:
    """A progress bar per figure job and one overall, with an ETA, on the given console."""

    def __init__(self, console):
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TimeRemainingColumn(), console=console, transient=True,
                                 disable=not console.is_terminal)
        self.console = console
        self.tasks: dict[str, Any] = {}

    def start(self, jobs: list[Job]) -> None:
        self.progress.start()
        self.overall = self.progress.add_task(f"{len(jobs)} figures", total=len(jobs))
        for job in jobs:
            self.tasks[job.key] = self.progress.add_task(f"  {job.builder} {job.key[:8]}", total=1)

    def advance(self, key: str, fraction: float) -> None:
        self.progress.update(self.tasks[key], completed=min(fraction, 1.0))

    def finish(self, key: str, error: str | None) -> None:
        self.progress.update(self.tasks[key], completed=1, visible=False)
        self.progress.advance(self.overall)
        self.console.print(f"{'[red]failed[/red]' if error else 'computed'} figure "
                           f"{self.progress.tasks[self.tasks[key]].description.strip()}")

    def close(self) -> None:
        self.progress.stop()


# --- store maintenance (thread figures list / gc) --------------------------------------------

@dataclass(frozen=True)
class StoreRow:
    key: str
    builder: str
    where: str
    """``path:line`` of the directives using the entry, or '' when none does."""
    state: str
    """``fresh``, ``stale`` (needs computing), ``unreferenced`` or ``damaged`` (unreferenced,
    and not readable or not matching its manifest)."""


def store_rows(plan: FigurePlan) -> list[StoreRow]:
    """Every figure the site uses and every entry in the store, with its state."""
    stale = {u.job.key for u in plan.attach()}
    used: dict[str, list[FigureUse]] = {}
    for use in plan.uses:
        used.setdefault(use.job.key, []).append(use)
    rows = [StoreRow(key, uses[0].job.builder, ", ".join(u.where for u in uses),
                     "stale" if key in stale else "fresh") for key, uses in used.items()]
    for key in plan.store.stored_keys():
        if key not in used:
            entry = plan.store.get(key)
            rows.append(StoreRow(key, entry.manifest["builder"], "", "unreferenced") if entry
                        else StoreRow(key, "?", "", "damaged"))
    return rows


def collect_garbage(plan: FigurePlan) -> list[str]:
    """Remove entries no article uses, old vega bundles and leftovers of killed builds."""
    used = {use.job.key for use in plan.uses}
    removed = [key for key in plan.store.stored_keys() if key not in used]
    for key in removed:
        plan.store.remove(key)
    folder = plan.store.folder
    found = sorted(folder.glob("vega-bundle-*")) if folder.is_dir() else []
    bundles = sorted({path.name.removesuffix(HASH_SUFFIX) for path in found})
    for bundle in bundles:
        if bundle != bundle_name():
            plan.store.remove_cached(bundle)
            removed.append(bundle)
    plan.store.clean_temporary()
    return removed


def _vl_convert_version() -> str:
    import importlib.metadata

    return importlib.metadata.version("vl-convert-python")


def verify_store(root: Path, config) -> tuple[int, list[SiteError]]:
    """``thread figures verify``: every entry and derived file of the store, each image decoded;
    returns how many were checked and an error per damaged one."""
    from generator.store import FigureStore

    checked, damaged = FigureStore(root / config.figures.store).verify()
    return checked, [SiteError(Path(os.path.relpath(d.file, root)).as_posix(), None, d.reason,
                               "run thread build to compute it again") for d in damaged]
