"""Figure builders: the registry, the context and outputs they see, and the jobs that run them.

A builder is a plain function in the site's ``figures/`` package, registered with
``@builder("name")``. Its typed parameters (pydantic-validated) become the options of a directive
``name`` usable in Markdown. It receives an explicit :class:`FigureContext` — no globals — and
returns a :class:`FigureOutput`. This module never imports torch: builders and models import it
inside their own functions, so a site whose figure store is fresh builds without it.

A job is a pure, serialisable function of (builder, parameters, model fingerprints): the
:class:`Executor` seam lets another backend (Ray, a queue) run it on another machine.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import json
import os
import pkgutil
import random
import sys
import tempfile
import time
import traceback
import typing
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, create_model

from generator.errors import SiteError

PACKAGE = "figures"
INSTALLED_FIGURES = Path(__file__).resolve().parent.parent / PACKAGE
"""The ``figures`` package shipped beside ``generator`` (built-in models, shared helpers)."""
RESERVED = {"alt", "layout", "label", "credit"}
"""Directive options every builder figure shares with the static ``figure`` directive."""
TOOLCHAIN = ("torch", "torchvision", "torch-lucent")
"""Distributions whose versions are recorded with every figure (compared when installed)."""


# --- what a builder sees and returns ---------------------------------------------------------

@dataclass
class FigureImage:
    """A raster image: a PIL image or an array (H×W, H×W×3/4; uint8, or floats in [0, 1])."""

    data: Any
    width: int | None = None
    """Display width in CSS pixels; default: the image's own width (×4 if pixelated and small)."""
    pixelated: bool = False
    """Upscale with nearest neighbour, for pixel-exact images such as weights."""


@dataclass
class FigureOutput:
    """Everything a builder produces; the store keeps it, the page embeds it."""

    alt: str
    """Alt text describing what the figure shows (a directive's ``:alt:`` overrides it)."""
    caption: str = ""
    """Default caption in Markdown (a directive's body overrides it)."""
    images: list[FigureImage] = field(default_factory=list)
    """The first image is the figure; later ones (one per unit, say) are stored for reuse."""
    svg: str | None = None
    vega_lite: Any = None
    """A Vega-Lite spec: a dict, or an Altair chart (anything with ``to_dict()``)."""
    data: Any = None
    """JSON-serialisable data published beside the figure."""


class Progress(Protocol):
    def __call__(self, done: float, total: float = 1.0) -> None: ...


@dataclass
class FigureContext:
    """What a running builder may use; passed explicitly so builders stay pure functions."""

    out: Path
    """A private, empty folder; files the builder writes here are stored with the figure."""
    models: ModelRegistry
    device: str
    """'cpu', 'cuda' or 'mps', already resolved."""
    seed: int
    """Seed of python, numpy and torch RNGs (the builder's ``seed`` parameter, else 0)."""
    progress: Progress


class ModelRegistry:
    """Models from ``[models.NAME]`` in site.toml, loaded on first use onto the job's device."""

    def __init__(self, specs: dict[str, dict], root: Path, device: str):
        self.specs, self.root, self.device = specs, root, device
        self._loaded: dict[str, Any] = {}

    def __getitem__(self, name: str):
        if name not in self._loaded:
            from figures.models import load_model

            self._loaded[name] = load_model(self.specs[name], self.root, self.device)
        return self._loaded[name]


# --- the builder registry --------------------------------------------------------------------

@dataclass(frozen=True)
class Builder:
    name: str
    fn: Callable[..., FigureOutput]
    module: str
    params: type[BaseModel]
    """Validates and canonicalises the builder's parameters."""
    fields: dict = field(default_factory=dict, compare=False)
    """The parameters as pydantic field definitions, for the directive's options model."""

    @property
    def model_params(self) -> list[str]:
        """Parameters that name a model of the registry (called ``model`` or ``*_model``)."""
        return [p for p in self.params.model_fields if p == "model" or p.endswith("_model")]


BUILDERS: dict[str, Builder] = {}


def builder(name: str):
    """Register ``fn(ctx, **params) -> FigureOutput`` as the builder (and directive) ``name``."""
    def register(fn):
        fields = param_fields(name, fn)
        config = ConfigDict(extra="forbid", frozen=True)
        params = create_model(f"{name}-params", __config__=config, **fields)
        BUILDERS[name] = Builder(name, fn, fn.__module__, params, fields)
        return fn
    return register


def param_fields(name: str, fn: Callable) -> dict[str, tuple]:
    """Pydantic fields of ``fn``'s parameters after the context; lists accept ``1, 2, 3``."""
    hints = typing.get_type_hints(fn, include_extras=True)
    fields = {}
    for param in list(inspect.signature(fn).parameters.values())[1:]:
        if param.name in RESERVED:
            raise TypeError(f"builder '{name}': parameter '{param.name}' is a reserved option")
        annotation = hints.get(param.name, Any)
        if typing.get_origin(annotation) in (list, tuple, set):
            annotation = typing.Annotated[annotation, BeforeValidator(_split_list)]
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (annotation, default)
    return fields


def _split_list(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.replace(",", " ").split() if part.strip()]
    return value


def discover(root: Path) -> dict[str, Builder]:
    """Import the modules of ``root/figures`` and of the built-in ``figures`` package that
    define builders, so they register; a site module shadows a built-in one of the same name.

    Only modules whose source uses ``@builder`` are imported, and builders import torch inside
    their functions: discovery stays cheap and torch-free. Earlier sites' modules are forgotten.
    """
    BUILDERS.clear()
    package = use_package(root) or _import(PACKAGE, INSTALLED_FIGURES / "__init__.py")
    folders = [Path(p) for p in package.__path__]  # the site's first, then the built-in ones
    for name in sorted({info.name for info in pkgutil.iter_modules([str(f) for f in folders])}):
        path = next(p for f in folders if (p := _module_path(f, name)).is_file())
        if _defines_builder(path):
            _import(f"{PACKAGE}.{name}", path)  # the site's module wins over a built-in one
    return dict(BUILDERS)


def _module_path(folder: Path, name: str) -> Path:
    package = folder / name / "__init__.py"
    return package if package.is_file() else folder / f"{name}.py"


_SITE_PATHS: list[str] = []
"""The site folder this process put on ``sys.path``, removed when another site is built."""


def use_package(root: Path):
    """Make ``root/figures`` the importable ``figures`` package (extended with the built-in one)."""
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    site_dir = str(root)
    sys.path[:] = [site_dir] + [p for p in sys.path if p != site_dir and p not in _SITE_PATHS]
    _SITE_PATHS[:] = [site_dir]
    importlib.invalidate_caches()
    if not (root / PACKAGE / "__init__.py").is_file():
        return None
    package = _import(PACKAGE, root / PACKAGE / "__init__.py")
    if INSTALLED_FIGURES.is_dir() and INSTALLED_FIGURES != (root / PACKAGE).resolve():
        package.__path__.append(str(INSTALLED_FIGURES))
    return package


def _defines_builder(path: Path) -> bool:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError:
        return True  # import it, so the user sees the syntax error with its line
    return any(isinstance(d, ast.Call) and getattr(d.func, "id", getattr(d.func, "attr", "")) == "builder"
               for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
               for d in node.decorator_list)


def _import(module: str, path: Path):
    try:
        return importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001 (any error in research code is the user's to fix)
        frame = next((f for f in reversed(traceback.extract_tb(exc.__traceback__))
                      if Path(f.filename).resolve() == path.resolve()), None)
        line = getattr(exc, "lineno", None) if isinstance(exc, SyntaxError) else None
        raise SiteError(path, line or (frame.lineno if frame else None),
                        f"cannot import figure builders: {type(exc).__name__}: {exc}") from None


# --- jobs ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    """Everything needed to compute one figure, in plain data (picklable, JSON-able)."""

    key: str
    root: str
    builder: str
    params: dict
    models: dict[str, dict]
    """Registry entries (site.toml ``[models.NAME]``) of the models the builder may load."""
    fingerprints: dict[str, str]
    device: str = "auto"


@dataclass
class JobResult:
    key: str
    files: dict[str, bytes] = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    error: str | None = None


ProgressSink = Callable[[str, float], None]


def run_job(job: Job, sink: ProgressSink | None = None) -> JobResult:
    """Import the builder, seed every RNG, run it and encode its outputs; never raises."""
    try:
        use_package(Path(job.root))
        discover(Path(job.root))
        spec = BUILDERS[job.builder]
        params = spec.params.model_validate(job.params).model_dump()
        device = resolve_device(job.device)
        seed = int(params.get("seed", 0))
        seed_everything(seed)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="figure-") as scratch:
            ctx = FigureContext(Path(scratch), ModelRegistry(job.models, Path(job.root), device),
                                device, seed, lambda done, total=1.0: (sink or _no_sink)(
                                    job.key, done / total if total else 1.0))
            output = spec.fn(ctx, **params)
            files, manifest = encode_output(output, Path(scratch))
        manifest.update(builder=job.builder, params=job.params, models=job.fingerprints,
                        versions=installed_versions(), seed=seed, device=device,
                        seconds=round(time.perf_counter() - started, 3))
        return JobResult(job.key, files, manifest)
    except ModuleNotFoundError as exc:
        return JobResult(job.key, error=f"{exc} (install the figures extra: "
                                        "pip install -e '.[figures]')")
    except Exception as exc:  # noqa: BLE001 (a failing builder fails only its figure)
        return JobResult(job.key, error=str(exc) or type(exc).__name__)


def _no_sink(key: str, fraction: float) -> None:
    pass


def resolve_device(wanted: str) -> str:
    """``auto`` → cuda, then mps, then cpu; anything else is used as given."""
    if wanted != "auto":
        return wanted
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    return "mps" if mps is not None and mps.is_available() else "cpu"


def seed_everything(seed: int) -> None:
    random.seed(seed)
    for name, call in (("numpy", "random.seed"), ("torch", "manual_seed")):
        module = sys.modules.get(name)
        if module is None:
            continue
        target = module
        for part in call.split("."):
            target = getattr(target, part)
        target(seed)


def installed_versions() -> dict[str, str | None]:
    """Versions of the figure toolchain, read from package metadata (imports nothing)."""
    from importlib.metadata import PackageNotFoundError, version

    versions: dict[str, str | None] = {}
    for name in TOOLCHAIN:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


# --- encoding outputs ------------------------------------------------------------------------

def encode_output(output: FigureOutput, scratch: Path) -> tuple[dict[str, bytes], dict]:
    """Files of one store entry (name → bytes) and the manifest's description of them."""
    if not isinstance(output, FigureOutput):
        raise TypeError(f"a builder must return FigureOutput, not {type(output).__name__}")
    files: dict[str, bytes] = {}
    images = [encode_image(image, f"image-{i}", files) for i, image in enumerate(output.images)]
    manifest: dict[str, Any] = {"alt": output.alt, "caption": output.caption, "images": images}
    if output.svg is not None:
        files["figure.svg"] = output.svg.encode("utf-8")
        manifest["svg"] = "figure.svg"
    if output.vega_lite is not None:
        spec = output.vega_lite.to_dict() if hasattr(output.vega_lite, "to_dict") else output.vega_lite
        files["chart.vl.json"] = canonical_json(spec).encode()
        files["chart.svg"] = vega_svg(spec).encode("utf-8")
        manifest["vega_lite"], manifest["vega_svg"] = "chart.vl.json", "chart.svg"
    if output.data is not None:
        files["data.json"] = canonical_json(output.data).encode()
        manifest["data"] = "data.json"
    for path in sorted(p for p in scratch.rglob("*") if p.is_file()):
        files["files/" + path.relative_to(scratch).as_posix()] = path.read_bytes()
    return files, manifest


def encode_image(image: FigureImage, stem: str, files: dict[str, bytes]) -> dict:
    """PNG and WebP at 1× and 2× of the display width; nearest neighbour when pixelated."""
    from PIL import Image

    picture = to_pil(image.data)
    width = image.width or (picture.width * max(1, 128 // picture.width) if image.pixelated
                            else picture.width)
    height = max(1, round(picture.height * width / picture.width))
    resample = Image.Resampling.NEAREST if image.pixelated else Image.Resampling.LANCZOS
    entry = {"width": width, "height": height, "pixelated": image.pixelated}
    for scale, suffix in ((1, ""), (2, "@2x")):
        resized = picture.resize((width * scale, height * scale), resample)
        for fmt, ext in (("PNG", "png"), ("WEBP", "webp")):
            buffer = io.BytesIO()
            resized.save(buffer, fmt, **({"lossless": True} if fmt == "WEBP" else {}))
            name = f"{stem}{suffix}.{ext}"
            files[name] = buffer.getvalue()
            entry[f"{ext}{suffix.replace('@', '_')}"] = name
    return entry


def to_pil(data: Any):
    """A PIL image from a PIL image or an array-like (floats are taken to lie in [0, 1])."""
    from PIL import Image

    if isinstance(data, Image.Image):
        return data.convert("RGBA" if "A" in data.getbands() else "RGB")
    import numpy as np

    array = np.asarray(data)
    if array.dtype != np.uint8:
        array = (np.clip(array, 0.0, 1.0) * 255).round().astype(np.uint8)
    return Image.fromarray(array)


def vega_svg(spec: dict) -> str:
    """The static SVG fallback of a Vega-Lite spec, for no-JS readers and print."""
    import vl_convert

    return vl_convert.vegalite_to_svg(spec)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


# --- executors -------------------------------------------------------------------------------

class Executor(Protocol):
    """Runs jobs and yields their results as they finish; ``sink`` receives progress."""

    def run(self, jobs: list[Job], sink: ProgressSink) -> Iterator[JobResult]: ...


@dataclass
class InlineExecutor:
    """Runs jobs one after another in this process (``workers = 0``; handy under a debugger)."""

    def run(self, jobs: list[Job], sink: ProgressSink) -> Iterator[JobResult]:
        for job in jobs:
            yield run_job(job, sink)


@dataclass
class PoolExecutor:
    """Runs independent jobs in parallel worker processes (spawned: safe with CUDA)."""

    workers: int

    def run(self, jobs: list[Job], sink: ProgressSink) -> Iterator[JobResult]:
        context = get_context("spawn")
        queue = context.Manager().Queue() if jobs else None
        threads = max(1, (os.cpu_count() or 1) // self.workers)
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                 initializer=_share_cores, initargs=(threads,)) as pool:
            pending = {pool.submit(_run_in_worker, job, queue) for job in jobs}
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(queue, sink)
                for future in done:
                    yield future.result()


def _share_cores(threads: int) -> None:
    """In a new worker, before torch loads: use this worker's share of the cores. Two workers
    with a thread per core each on 2 cores ran the demo's figures 5× slower (93 s vs 18 s)."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, str(threads))


def _run_in_worker(job: Job, queue) -> JobResult:
    return run_job(job, lambda key, fraction: queue.put((key, fraction)))


def _drain(queue, sink: ProgressSink) -> None:
    while queue is not None and not queue.empty():
        sink(*queue.get_nowait())


def make_executor(workers: int | None, jobs: int) -> Executor:
    """``workers=0`` runs inline; otherwise a pool of at most one worker per job and core."""
    if workers == 0:
        return InlineExecutor()
    return PoolExecutor(max(1, min(workers or os.cpu_count() or 1, jobs)))


def job_as_json(job: Job) -> str:
    """The job as JSON: what another executor would ship to a remote worker."""
    return canonical_json(asdict(job))


def validate_params(spec: Builder, values: dict) -> tuple[dict, ValidationError | None]:
    try:
        return spec.params.model_validate(values).model_dump(mode="json"), None
    except ValidationError as exc:
        return {}, exc


# --- planning and running a build's figures --------------------------------------------------

@dataclass
class FigureUse:
    """One builder directive in an article, with the store key its inputs hash to."""

    call: Any
    job: Job
    entry: Any = None
    """The store :class:`~generator.store.Entry` once it exists and is current."""

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


class FigurePlan:
    """The site's builders, model registry and store, and the figures its articles use."""

    def __init__(self, root: Path, config, builders: dict[str, Builder]):
        from generator.store import FigureStore

        self.root, self.config, self.builders = root, config, builders
        self.store = FigureStore(root / config.figures.store)
        self.uses: list[FigureUse] = []
        self._fingerprints: dict[str, str] = {}
        self.search = [p for p in (root / PACKAGE, INSTALLED_FIGURES) if p.is_dir()]

    def schedule(self, call, params: dict) -> FigureUse:
        """Key a directive's figure and add it to the build's uses (nothing is computed yet)."""
        use = self.prepare(call, params)
        self.uses.append(use)
        return use

    def prepare(self, call, params: dict) -> FigureUse:
        """Key a directive's figure without scheduling it; raises SiteError for unknown models."""
        from generator.store import figure_key, source_digest

        spec = self.builders[call.name]
        names = [params[p] for p in spec.model_params if params.get(p) is not None]
        fingerprints = {name: self.fingerprint(name, call) for name in names}
        key = figure_key(spec.name, source_digest(spec.module, self.search),
                         canonical_json(params), fingerprints)
        models = {name: self.config.models[name].model_dump() for name in names}
        device = self.config.figures.device
        return FigureUse(call, Job(key, str(self.root), spec.name, params, models, fingerprints,
                                   device))

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
        """Look every use (or the ``select``ed ones) up in the store; returns those to compute."""
        versions = installed_versions()
        stale = []
        for use in filter(select, self.uses) if select else self.uses:
            entry = self.store.get(use.job.key)
            use.entry = entry if entry is not None and entry.is_current(versions) else None
            if use.entry is None:
                stale.append(use)
        return stale


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
    """Discover the site's builders and register one directive per builder (load stage)."""
    from generator.directives import builder_figure

    builders = discover(root)
    builder_figure.register_all(builders)
    return FigurePlan(root, config, builders)


def compute(plan: FigurePlan, resolver, run: FigureRun,
            select: Callable[[FigureUse], bool] | None = None) -> list[SiteError]:
    """Run the jobs of stale figures (each once), store results, register assets for pages.

    ``select`` limits the run to some uses (the unit checks need ``model-layers`` first)."""
    stale = plan.attach(select)
    if run.frozen and stale:
        return [SiteError(u.call.path, u.call.line, f"figure '{u.call.name}' is stale "
                          f"(key {u.job.key} is not in {plan.config.figures.store}/)",
                          "run thread build without --frozen where torch is installed")
                for u in stale]
    errors = _run_stale(plan, stale, run) if stale else []
    plan.attach()
    plan.store.clean_temporary()
    for use in plan.uses:
        if use.entry is not None:
            use.call.data["assets"] = {name: resolver.asset(use.entry.path(name))
                                       for name in use.entry.manifest["files"]
                                       if not name.startswith("files/")}
    charts = [u for u in plan.uses if u.entry is not None and u.entry.manifest.get("vega_lite")]
    bundle = resolver.asset(vega_bundle(plan.store)) if charts else None
    for use in charts:
        use.call.data["bundle"] = bundle
    return errors


def _run_stale(plan: FigurePlan, stale: list[FigureUse], run: FigureRun) -> list[SiteError]:
    jobs = list({u.job.key: u.job for u in stale}.values())
    device = run.device or plan.config.figures.device
    jobs = [Job(**{**asdict(job), "device": device}) for job in jobs]
    workers = run.workers if run.workers is not None else plan.config.figures.workers
    reporter = run.reporter or SilentReporter()
    reporter.start(jobs)
    failures: dict[str, str] = {}
    try:
        for result in make_executor(workers, len(jobs)).run(jobs, reporter.advance):
            if result.error is None:
                plan.store.put(result.key, result.files, result.manifest)
            else:
                failures[result.key] = result.error
            reporter.finish(result.key, result.error)
    finally:
        reporter.close()
    return [SiteError(u.call.path, u.call.line, f"figure builder '{u.call.name}' failed: "
                      f"{failures[u.job.key]}") for u in stale if u.job.key in failures]


def vega_bundle(store) -> Path:
    """vega, vega-lite and vega-embed in one self-hosted script, cached in the store."""
    snippet = VEGA_SNIPPET
    return store.cached_file(f"vega-bundle-{_vl_convert_version()}.js",
                             lambda: __import__("vl_convert").javascript_bundle(snippet).encode())


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
    """``fresh``, ``stale`` (needs computing) or ``unreferenced``."""


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
            rows.append(StoreRow(key, entry.manifest.get("builder", "?"), "", "unreferenced"))
    return rows


def collect_garbage(plan: FigurePlan) -> list[str]:
    """Remove entries no article uses, old vega bundles and leftovers of killed builds."""
    used = {use.job.key for use in plan.uses}
    removed = [key for key in plan.store.stored_keys() if key not in used]
    for key in removed:
        plan.store.remove(key)
    bundles = sorted(plan.store.folder.glob("vega-bundle-*.js")) if plan.store.folder.is_dir() else []
    current = f"vega-bundle-{_vl_convert_version()}.js"
    for bundle in bundles:
        if bundle.name != current:
            bundle.unlink()
            removed.append(bundle.name)
    plan.store.clean_temporary()
    return removed


def _vl_convert_version() -> str:
    import importlib.metadata

    return importlib.metadata.version("vl-convert-python")
