"""Shared fixtures: fixture sites on disk and the real CLI, run in-process; torch tests.

Tests that compute figures are marked ``torch``. Without the figures extra (a pull request's
``pip install -e '.[dev]'``) they skip, with the reason in the summary; ``make test`` sets
``THREAD_REQUIRE_TORCH=1``, which turns such a skip into a failure, so CI never passes by
skipping them.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

# Tests compute tiny figures (a 4-channel CNN at 64 px): torch's second intra-op thread gains
# nothing there, and on a busy machine (two pytest-xdist workers, or a build's own workers on
# 2 cores) it cost 10x (one feature-viz job: 1.2 s with one thread, 11.4 s with two). Set before
# torch is imported anywhere; child processes (builds, workers) inherit it.
for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

from generator.cli import main

SITES = Path(__file__).parent / "sites"
REPO = Path(__file__).resolve().parent.parent
FIGURES_EXTRA = ("torch", "torchvision", "lucent")
"""The modules of the ``figures`` extra that torch tests import."""
REQUIRE_TORCH = "THREAD_REQUIRE_TORCH"
"""Set to 1 (``make test`` does): a torch test that would skip fails instead."""


def importable(module: str) -> bool:
    """Whether ``import module`` can work, without importing it (torch takes seconds)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


@functools.cache
def missing_figures_extra() -> tuple[str, ...]:
    return tuple(m for m in FIGURES_EXTRA if not importable(m))


def torch_required() -> bool:
    return os.environ.get(REQUIRE_TORCH, "") not in ("", "0")


def without_torch_message() -> str:
    return (f"needs {', '.join(missing_figures_extra())}, which cannot be imported "
            "(install the figures extra: pip install -e '.[figures]')")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``torch`` tests when the figures extra is missing, unless make test requires it;
    ``ray`` tests likewise without the cluster extra, ``gpu`` tests without a CUDA device."""
    if missing_figures_extra() and not torch_required():
        skip = pytest.mark.skip(reason=without_torch_message())
        for item in items:
            if item.get_closest_marker("torch"):
                item.add_marker(skip)
    if not importable("ray") and not ray_required():
        skip = pytest.mark.skip(reason=WITHOUT_RAY)
        for item in items:
            if item.get_closest_marker("ray"):
                item.add_marker(skip)
    gpu = [item for item in items if item.get_closest_marker("gpu")]
    reason = no_gpu_reason() if gpu else None
    for item in gpu if reason else []:
        item.add_marker(pytest.mark.skip(reason=reason))
    run_once(config, items)
    share_out(items)


PR_JOB_PROOF = ("tests/test_workflows_torchless.py::"
                "test_the_pull_request_job_passes_without_torch_and_skips_torch_tests")
"""Runs the pull-request job, whose pytest step runs every test not marked torch, ray, gpu or
browser (and not in that file) in an environment without the figures and cluster extras."""
RUN_TWICE = "THREAD_RUN_TWICE"
"""Set to 1 to run the torch-free tests here as well as inside the pull-request job's proof."""
HERE_ONLY = ("torch", "ray", "gpu", "browser")


def run_once(config: pytest.Config, items: list[pytest.Item]) -> None:
    """When the PR-job proof is selected (``make test``), each torch-free test runs once: inside
    that proof, without torch, where a contributor's pull request runs it. Running them here
    too doubled the suite's time (it must stay under 10 minutes on 2 cores)."""
    if os.environ.get(RUN_TWICE, "") not in ("", "0"):
        return
    if not any(item.nodeid == PR_JOB_PROOF for item in items):
        return
    proof_file = PR_JOB_PROOF.partition("::")[0]
    inside = [item for item in items if not item.nodeid.startswith(proof_file)
              and not any(item.get_closest_marker(mark) for mark in HERE_ONLY)]
    if inside:
        config.hook.pytest_deselected(items=inside)
        chosen = set(map(id, inside))
        items[:] = [item for item in items if id(item) not in chosen]


def share_out(items: list[pytest.Item]) -> None:
    """For ``make test``'s pytest-xdist workers (``--dist loadfile``: a file's tests share a
    worker, so one Ray cluster or one built site serves a whole module): ``slow`` tests first,
    so the file of the longest one starts at once and runs beside the rest, not after them;
    ``browser`` tests last: their Chromium lives for the worker's session, and its threads keep
    :mod:`generator.parallel` from forking in any test that runs after them there."""
    items.sort(key=lambda item: (item.get_closest_marker("slow") is None,
                                 item.get_closest_marker("browser") is not None))  # stable


REQUIRE_RAY = "THREAD_REQUIRE_RAY"
"""Set to 1 (``make test`` does): a ``ray`` test that would skip (no ray) fails instead."""
WITHOUT_RAY = ("needs ray, which cannot be imported (install the cluster extra: "
               "pip install -e '.[cluster]')")
GPU_DEVICE = "THREAD_GPU_DEVICE"
"""The device ``gpu`` tests compare against the CPU: ``cuda`` unless set (``cpu`` checks the
tests themselves on a machine without a GPU)."""


def ray_required() -> bool:
    return os.environ.get(REQUIRE_RAY, "") not in ("", "0")


def gpu_device() -> str:
    return os.environ.get(GPU_DEVICE) or "cuda"


def no_gpu_reason() -> str | None:
    """Why ``gpu`` tests cannot run here, or None (torch is imported only when one is
    collected)."""
    if missing_figures_extra():
        return without_torch_message()
    import torch

    if gpu_device() == "cuda" and not torch.cuda.is_available():
        return "needs a CUDA device (none is available here)"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Under ``THREAD_REQUIRE_TORCH=1``, a ``torch`` test without the figures extra fails at
    once, before its fixtures try to compute figures."""
    if item.get_closest_marker("torch") and missing_figures_extra() and torch_required():
        pytest.fail(f"{without_torch_message()}; {REQUIRE_TORCH}=1 (make test) does not let "
                    "torch tests skip", pytrace=False)
    if item.get_closest_marker("ray") and not importable("ray") and ray_required():
        pytest.fail(f"{WITHOUT_RAY}; {REQUIRE_RAY}=1 (make test) does not let ray tests skip",
                    pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """Under ``THREAD_REQUIRE_TORCH=1``, a test file that skips at import while the figures extra
    is missing (``pytest.importorskip("torch")``) is a collection error, not a skip."""
    report = yield
    if (report.skipped and isinstance(collector, pytest.Module) and torch_required()
            and missing_figures_extra()):
        report.outcome = "failed"
        report.longrepr = (f"{collector.nodeid} skipped at import: {without_torch_message()}; "
                           f"{REQUIRE_TORCH}=1 (make test) does not let torch tests skip")
    return report


def copy_site(target: Path, overlay: str | None = None, base: str = "basic") -> Path:
    """Copy a valid fixture site to ``target``, then an invalid case's files over it."""
    shutil.copytree(SITES / "valid" / base, target)
    if overlay:
        shutil.copytree(SITES / "invalid" / overlay, target, dirs_exist_ok=True)
        (target / "expected.txt").unlink(missing_ok=True)
    return target


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return copy_site(tmp_path / "site")


def thread_cli(*args: str):
    """Run the ``thread`` command as a user would, in this process."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


DEMO_PARTS = ("site.toml", "content", "figures", "theme")
"""What the demo site is made of (its committed figure store is under figures/)."""


def copy_demo(target: Path) -> Path:
    """A copy of the demo site at ``target``; its committed store is fresh, so nothing computes."""
    target.mkdir(parents=True)
    for part in DEMO_PARTS:
        if (REPO / part).is_dir():
            shutil.copytree(REPO / part, target / part,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(REPO / part, target / part)
    return target


def inception_home(folder: Path) -> Path:
    """A torch home at ``folder`` whose hub cache holds InceptionV1 with random weights (seed 0):
    the real loading code runs, with no download."""
    import torch
    from lucent.modelzoo import inceptionv1

    (folder / "hub" / "checkpoints").mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(inceptionv1().state_dict(), folder / "hub" / "checkpoints" / "inception5h.pth")
    return folder


def build_site(site: Path, *args: str):
    """``thread build --root site ...`` in this process."""
    return thread_cli("build", "--root", site, *args)


def built_copy(source: Path, target: Path) -> Path:
    """A copy of the fixture site ``source`` at ``target``, built once (figures computed)."""
    shutil.copytree(source, target)
    result = build_site(target)
    assert result.exit_code == 0, result.output
    return target


def tree_digest(folder: Path) -> dict[str, str]:
    """Relative path → sha256 of every file under ``folder``."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a ``python -m generator`` child: this checkout first on the path,
    and whatever else the parent has there kept (the torch-less job's import blocker)."""
    path = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}
