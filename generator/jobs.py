"""Figure jobs: what runs a builder, and where.

A job is a pure, serialisable function of (builder, parameters, model fingerprints): it runs
in this process or in a pool of worker processes, and the :class:`Executor` seam lets another
backend (Ray, a queue) run it on another machine. Outputs are encoded here (PNG and WebP at 1×
and 2×, Vega-Lite charts with a static SVG) for the store.
"""

from __future__ import annotations

import io
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from pathlib import Path
from traceback import format_exc
from typing import Any, Protocol

from generator.figures import (
    TOOLCHAIN,
    Builder,
    DatasetRegistry,
    FigureContext,
    FigureImage,
    FigureOutput,
    ModelRegistry,
)
from generator.registry import builder_registry

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
    datasets: dict[str, dict] = field(default_factory=dict)
    """Settings (site.toml ``[datasets.NAME]``) of the datasets the builder may read."""
    inputs: dict = field(default_factory=dict)
    """Results of earlier jobs the builder receives as ``ctx.inputs`` (not keyed)."""


@dataclass
class JobResult:
    key: str
    files: dict[str, bytes] = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)
    error: str | None = None
    trace: str = ""
    """The failed builder's traceback."""
    host: str = ""
    """The machine a remote executor ran the job on ('' when it ran on this one)."""


ProgressSink = Callable[[str, float], None]


def run_job(job: Job, sink: ProgressSink | None = None,
            builders: dict[str, Builder] | None = None, models: dict | None = None) -> JobResult:
    """Run the builder (one of ``builders``, else of the job's site, discovered once per
    process), seed every RNG and encode its outputs; never raises. ``models`` keeps loaded
    models for the process's later jobs (see :class:`ModelRegistry`)."""
    try:
        spec = (builders if builders is not None else site_builders(job.root))[job.builder]
        params = spec.params.model_validate(job.params).model_dump()
        device = resolve_device(job.device)
        seed = int(params.get("seed", 0))
        seed_everything(seed)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="figure-") as scratch:
            registry = ModelRegistry(job.models, Path(job.root), device, job.fingerprints, models)
            ctx = FigureContext(Path(scratch), registry, device, seed,
                                lambda done, total=1.0: (sink or _no_sink)(
                                    job.key, done / total if total else 1.0),
                                DatasetRegistry(job.datasets, Path(job.root)), job.inputs)
            output = spec.fn(ctx, **params)
            files, manifest = encode_output(output, Path(scratch))
        manifest.update(builder=job.builder, params=job.params, models=job.fingerprints,
                        versions=computed_with(manifest), seed=seed, device=device,
                        seconds=round(time.perf_counter() - started, 3))
        return JobResult(job.key, files, manifest)
    except ModuleNotFoundError as exc:
        return JobResult(job.key, error=f"{exc} (install the figures extra: "
                                        "pip install -e '.[figures]')", trace=format_exc())
    except Exception as exc:  # noqa: BLE001 (a failing builder fails only its figure)
        return JobResult(job.key, error=str(exc) or type(exc).__name__, trace=format_exc())


@lru_cache(maxsize=1)
def site_builders(root: str) -> dict[str, Builder]:
    """The builders of the site at ``root``, for a worker process: its ``figures`` package is
    imported once, not once per job."""
    return builder_registry(Path(root)).builders


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
    return dict(_installed_versions())


@lru_cache(maxsize=1)
def _installed_versions() -> dict[str, str | None]:
    """Read once per process: reading metadata cost 0.14 s of a 1.1 s one-edit build (64 reads,
    one per store lookup round)."""
    from importlib.metadata import PackageNotFoundError, version

    versions: dict[str, str | None] = {}
    for name in TOOLCHAIN:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def computed_with(manifest: dict) -> dict[str, str | None]:
    """The toolchain versions a result records: vl-convert only when it drew a chart's SVG."""
    versions = installed_versions()
    if not manifest.get("vega_lite"):
        versions.pop("vl-convert-python", None)
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
    """Runs jobs one after another in this process (``workers = 0``; handy under a debugger),
    with the builders the build discovered."""

    builders: dict[str, Builder]

    def run(self, jobs: list[Job], sink: ProgressSink) -> Iterator[JobResult]:
        for job in jobs:
            yield run_job(job, sink, self.builders)


@dataclass
class PoolExecutor:
    """Runs independent jobs in parallel worker processes, forked from a fork server that has
    imported torch once (:data:`PRELOAD`); spawned where there is no fork server. Neither kind
    inherits an initialised CUDA, so both are safe with it."""

    workers: int

    def run(self, jobs: list[Job], sink: ProgressSink) -> Iterator[JobResult]:
        context = worker_context()
        queue = context.Manager().Queue() if jobs else None
        threads = max(1, (os.cpu_count() or 1) // self.workers)
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                 initializer=_prepare_worker,
                                 initargs=(dict(os.environ), threads)) as pool:
            pending = {pool.submit(_run_in_worker, job, queue) for job in jobs}
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(queue, sink)
                for future in done:
                    yield future.result()


PRELOAD = ("numpy", "PIL.Image", "torch", "torchvision", "lucent.optvis.objectives",
           "lucent.optvis.param", "lucent.optvis.transform")
"""What the fork server imports once for every worker of this process: importing torch,
torchvision and lucent is ~6 CPU-seconds, which a spawned worker paid again for every pool (each
build that computes figures, so each of ``thread serve``'s). A missing one is skipped."""


def worker_context() -> BaseContext:
    """The fork server's context (started once per process, on first use), else spawn's."""
    if "forkserver" not in get_all_start_methods():
        return get_context("spawn")
    context = get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))
    return context


def _prepare_worker(environ: dict[str, str], threads: int) -> None:
    """In a new worker, before it runs a job: the environment the build has now (the fork
    server keeps the one it started with), and this worker's share of the cores. Two workers
    with a thread per core each on 2 cores ran the demo's figures 5× slower (93 s vs 18 s)."""
    os.environ.clear()
    os.environ.update(environ)
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, str(threads))
    if "torch" in sys.modules:  # preloaded: it read no thread count yet, so set it
        try:
            sys.modules["torch"].set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
        except ValueError:
            pass


def _run_in_worker(job: Job, queue) -> JobResult:
    return run_job(job, lambda key, fraction: queue.put((key, fraction)))


def _drain(queue, sink: ProgressSink) -> None:
    while queue is not None and not queue.empty():
        sink(*queue.get_nowait())


def make_executor(workers: int | None, jobs: int, builders: dict[str, Builder]) -> Executor:
    """``workers=0`` runs inline; otherwise a pool of at most one worker per job and core."""
    if workers == 0:
        return InlineExecutor(builders)
    return PoolExecutor(max(1, min(workers or os.cpu_count() or 1, jobs)))


def job_as_json(job: Job) -> str:
    """The job as JSON: what another executor would ship to a remote worker."""
    return canonical_json(asdict(job))


