"""Run many independent page renders across processes, results in order, bytes unchanged;
and run the pipeline with fewer garbage-collector passes.

The render stage calls :func:`run_all` with one zero-argument task per page. On a site with
enough pages, on a system that can ``fork``, and from a single-threaded process (``thread serve``
runs builds beside server threads, where forking is unsafe), the tasks run in forked worker
processes: they inherit the loaded and resolved site copy-on-write, so nothing but each page's
bytes crosses a process boundary — shipping parsed tokens would cost more than parsing them.

Tasks must be pure: return their output and change nothing that a later task or stage reads,
because a change made in a worker is lost with it. A task that raises is run again in this process
so its exception (a :class:`~generator.errors.BuildFailed`, say) surfaces exactly as in a serial
build. ``THREAD_JOBS=1`` turns parallelism off; ``THREAD_JOBS=N`` sets the worker count.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

JOBS_VARIABLE = "THREAD_JOBS"
MIN_TASKS_PER_WORKER = 32
"""Below this many tasks per worker, forking costs more than it saves."""
CHUNKS_PER_WORKER = 4
"""Tasks are handed out in this many contiguous chunks per worker, to even out uneven pages."""



class _Failed:
    """What a worker returns for a task that raised (picklable, unlike the exception may be)."""

_tasks: Sequence[Callable[[], object]] = ()
"""The tasks of the current :func:`run_all`, inherited by forked workers (never pickled)."""


GC_FIRST_THRESHOLD = 50_000
"""Allocations between young-generation collections during a build (Python's default: 700).

Parsing 1,000 articles creates ~650,000 tokens, nearly all kept until the build ends; with the
default, the collector re-scans them so often that it costs a quarter of the load stage."""


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect garbage less often inside the block; the previous thresholds come back after."""
    previous = gc.get_threshold()
    gc.set_threshold(GC_FIRST_THRESHOLD, 20, 10)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def jobs() -> int:
    """Worker processes to use: ``THREAD_JOBS`` if set, else the CPUs this process may run on."""
    value = os.environ.get(JOBS_VARIABLE, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def workers_for(count: int) -> int:
    """How many workers ``count`` tasks get here; 1 means run them in this process."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return 1
    return max(1, min(jobs(), count // MIN_TASKS_PER_WORKER))


def run_all(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """``[task() for task in tasks]``, computed across forked processes when that pays off."""
    workers = workers_for(len(tasks))
    if workers < 2:
        return [task() for task in tasks]
    results = _in_workers(tasks, workers)
    return [task() if isinstance(result, _Failed) else result for task, result in zip(tasks, results)]


def _in_workers(tasks: Sequence[Callable[[], T]], workers: int) -> list:
    import multiprocessing

    global _tasks
    size = max(1, -(-len(tasks) // (workers * CHUNKS_PER_WORKER)))
    chunks = [(start, min(start + size, len(tasks))) for start in range(0, len(tasks), size)]
    _tasks = tasks
    gc.freeze()  # keep the collector from touching (and so copying) the inherited objects
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return [result for part in pool.map(_run_chunk, chunks, chunksize=1) for result in part]
    finally:
        gc.unfreeze()
        _tasks = ()


def _run_chunk(bounds: tuple[int, int]) -> list:
    """In a worker: run one chunk; a failure is marked and re-run by the parent."""
    start, stop = bounds
    results = []
    for task in _tasks[start:stop]:
        try:
            results.append(task())
        except Exception:  # noqa: BLE001 (re-raised in the parent by running it again)
            results.append(_Failed())
    return results
