"""The Ray executor: figure jobs on a Ray cluster (``[figures] executor = "ray"``).

A job travels as plain data with no path of the build machine in it: its site root is ``.``,
the worker's working directory, which Ray fills with what jobs read from the site (its
``figures/`` code without the store, the weights the built-in trained CNN caches there, and
every ``file:`` model, all at their site-relative paths); nothing else of the site is shipped.
Each Ray worker is an actor that keeps the models it loaded for its later jobs. Progress comes
back through a Ray queue to the build's progress display, and results to the build, which
stores them as it stores local ones. Workers need thread-generator and the figures extra
installed (``pip install 'thread-generator[figures,cluster]'``), as every Ray node needs the
packages of the code it runs.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from generator.datasets import dataset_folders
from generator.figures import PACKAGE
from generator.jobs import Job, JobResult, ProgressSink, run_job

MODEL_CACHE = Path(PACKAGE, "store", "models")
"""Where ``builtin:trained-cnn`` caches its weights, relative to the site root
(figures/trained.py): shipped, so a worker does not train them again."""
PROGRESS_STEP = 0.02
"""A worker reports a job's progress when it has advanced this much (or finished)."""


class ClusterUnavailable(Exception):
    """Ray is missing, or the cluster cannot be reached; the message says which."""


def ray_missing() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return True
    return False


@dataclass
class RayExecutor:
    """Runs jobs on Ray actors: ``workers`` of them (default: one per CPU of the cluster, or
    per GPU when jobs run on cuda), never more than there are jobs."""

    root: Path
    config: object
    """The site's Config: its store, models and ``[figures]`` settings."""
    address: str | None = None
    workers: int | None = None

    def run(self, jobs: list[Job], sink: ProgressSink) -> Iterator[JobResult]:
        if not jobs:
            return
        with tempfile.TemporaryDirectory(prefix="thread-ray-") as folder:
            stage_site(self.root, self.config, Path(folder))
            with connected(self.address, folder):
                yield from self._dispatch(jobs, sink)

    def _dispatch(self, jobs: list[Job], sink: ProgressSink) -> Iterator[JobResult]:
        """Keep every actor busy with one job at a time; drain progress while waiting."""
        import ray
        from ray.util.queue import Queue

        queue = Queue(actor_options={"num_cpus": 0})
        options = actor_options(jobs[0].device)
        idle = [new_actor(options) for _ in range(self._count(jobs, options))]
        todo, busy = list(jobs), {}
        while todo or busy:
            while idle and todo:
                actor, job = idle.pop(), todo.pop(0)
                busy[actor.run.remote(asdict(portable(job)), queue)] = (actor, job)
            done, _ = ray.wait(list(busy), num_returns=1, timeout=0.2)
            drain(queue, sink)
            for ref in done:
                actor, job = busy.pop(ref)
                result, alive = collect(ref, job)
                idle.append(actor if alive else new_actor(options))
                yield result
        drain(queue, sink)

    def _count(self, jobs: list[Job], options: dict) -> int:
        import ray

        if self.workers:
            return min(self.workers, len(jobs))
        kind = "GPU" if options.get("num_gpus") else "CPU"
        return max(1, min(int(ray.cluster_resources().get(kind, 1)), len(jobs)))


def portable(job: Job) -> Job:
    """The job as shipped: its site root is the worker's working directory."""
    return replace(job, root=".")


def actor_options(device: str) -> dict:
    """A CPU per actor, and a GPU when jobs run on cuda (``auto``: when the cluster has one)."""
    import ray

    gpus = device == "cuda" or (device == "auto" and ray.cluster_resources().get("GPU", 0) > 0)
    return {"num_cpus": 1, "num_gpus": 1} if gpus else {"num_cpus": 1}


def new_actor(options: dict):
    import ray

    return ray.remote(FigureWorker).options(**options).remote()


def collect(ref, job: Job) -> tuple[JobResult, bool]:
    """A finished job's result, and whether its actor lives on: a worker that died (killed,
    out of memory) fails only its job, with Ray's account of why."""
    import ray
    from ray.exceptions import RayActorError, RayError

    try:
        return ray.get(ref), True
    except RayActorError as exc:
        return JobResult(job.key, error=f"the Ray worker died: {_first_line(exc)}",
                         trace=str(exc), host="a Ray worker"), False
    except RayError as exc:
        return JobResult(job.key, error=f"Ray failed to run the job: {_first_line(exc)}",
                         trace=str(exc), host="a Ray worker"), True


def _first_line(exc: Exception) -> str:
    return next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)


def drain(queue, sink: ProgressSink) -> None:
    from ray.util.queue import Empty

    while True:
        try:
            sink(*queue.get_nowait())
        except Empty:
            return


class FigureWorker:
    """A Ray actor: runs jobs one at a time in the working directory Ray unpacked the site
    into, keeping the models it loaded for its later jobs."""

    def __init__(self) -> None:
        self.models: dict = {}
        self.host = socket.gethostname()

    def run(self, job: dict, queue) -> JobResult:
        here = replace(Job(**job), root=os.getcwd())
        result = run_job(here, Throttled(queue), models=self.models)
        result.host = self.host
        return result


class Throttled:
    """A progress sink that sends a job's progress through the queue in steps, not per call
    (a builder reports every optimisation step)."""

    def __init__(self, queue):
        self.queue, self.sent = queue, -1.0

    def __call__(self, key: str, fraction: float) -> None:
        if fraction >= 1.0 or fraction - self.sent >= PROGRESS_STEP:
            self.sent = fraction
            self.queue.put((key, fraction))


# --- what travels with the jobs ---------------------------------------------------------------

def stage_site(root: Path, config, folder: Path) -> None:
    """Copy what jobs read from the site into ``folder`` (Ray's working_dir), at the same
    site-relative paths: ``figures/`` without the store, the trained CNN's cached weights,
    every ``file:`` model and every folder dataset."""
    store = (root / config.figures.store).resolve()
    if (root / PACKAGE).is_dir():
        shutil.copytree(root / PACKAGE, folder / PACKAGE, ignore=_unshipped(store))
    files = [MODEL_CACHE] + [Path(model.source.partition(":")[2])
                             for model in config.models.values()
                             if model.source.startswith("file:")] + dataset_folders(config)
    for relative in files:
        source = root / relative
        if source.is_dir():
            shutil.copytree(source, folder / relative, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns(".tmp-*"))
        elif source.is_file():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / relative)


def _unshipped(store: Path):
    def ignore(directory: str, names: list[str]) -> list[str]:
        return [name for name in names if name == "__pycache__"
                or (Path(directory) / name).resolve() == store]
    return ignore


def check_reachable(address: str | None, timeout: float = 5.0) -> None:
    """Fail at once when nothing listens at a ``HOST:PORT`` address: Ray itself retries for
    minutes before giving up."""
    host, colon, port = (address or "").rpartition(":")
    if not colon or not port.isdigit() or "://" in host:
        return  # auto, a local instance, or a ray:// client address: Ray reports those itself
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ClusterUnavailable(f"nothing answers at {address} ({exc.strerror or exc})") \
            from None


@contextmanager
def connected(address: str | None, working_dir: str) -> Iterator[None]:
    """Connect to the cluster at ``address`` (None: start a local Ray instance) with
    ``working_dir`` shipped to every worker; disconnect (stopping a local instance) after."""
    import ray

    if ray.is_initialized():
        raise ClusterUnavailable("Ray is already initialised in this process; the build "
                                 "connects to the cluster itself")
    check_reachable(address)
    started = time.perf_counter()
    try:
        ray.init(address=address, runtime_env={"working_dir": working_dir},
                 include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ClusterUnavailable(_first_line(exc)) from None
    logging.getLogger(__name__).info("connected to Ray in %.1f s", time.perf_counter() - started)
    try:
        yield
    finally:
        ray.shutdown()
