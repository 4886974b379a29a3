"""The Ray executor on a real local Ray cluster (no mocks): ``thread build --executor ray``
gives the same store entries and the same ``_site/`` as the local process pool, jobs ship no
path of the build machine, each Ray worker loads a model once, a worker's failure names its
host with its traceback, and a missing Ray or an unreachable cluster is a located error.

The cluster is started once for the module, in a child process (``ray.init(num_cpus=2)``);
builds join it with ``ray_address = "auto"``, as a build joins any running cluster.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SITES, child_env, thread_cli

from generator import build as pipeline
from generator.config import load_config
from generator.jobs import job_as_json
from generator.plan import FigureRun
from generator.ray_executor import portable, stage_site

HEAD = """
import sys, ray
ray.init(num_cpus=2, include_dashboard=False)
print(ray.get_runtime_context().gcs_address, flush=True)
sys.stdin.read()
ray.shutdown()
"""
TIME = re.compile(rb'<th scope="row">Time</th><td>[0-9.]+ s</td>')


@pytest.fixture(scope="module")
def cluster():
    """A local Ray cluster with 2 CPUs (its address), stopped after the module's tests."""
    head = subprocess.Popen([sys.executable, "-c", HEAD], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=child_env())
    address = head.stdout.readline().strip()
    if not address:
        head.kill()
        pytest.fail("the Ray head did not start")
    yield address
    head.stdin.close()
    head.wait(timeout=120)


def site_copy(tmp_path: Path, fixture: str, name: str, **figures: str | int) -> Path:
    """A copy of a fixture site with ``[figures]`` settings added (the same for every copy),
    and no search index: it indexes each figure's time (see :func:`contents`)."""
    site = shutil.copytree(SITES / "valid" / fixture, tmp_path / name)
    toml = site / "site.toml"
    text = "search = false\n" + toml.read_text()
    settings = "".join(f"{key} = {json.dumps(value)}\n" for key, value in figures.items())
    if "[figures]\n" in text:
        text = text.replace("[figures]\n", "[figures]\n" + settings)
    else:
        text += "\n[figures]\n" + settings
    toml.write_text(re.sub(r"(?m)^workers = \d+\n", "", text))
    return site


def line_of(site: Path, key: str) -> int:
    lines = (site / "site.toml").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.startswith(f"{key} ="))


def contents(folder: Path) -> dict[str, bytes]:
    """Every file's bytes, with the one thing two computations of a figure cannot share taken
    out: the seconds it took, in each manifest and in each page's "Reproduce" details."""
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.name == "manifest.json":
            manifest = json.loads(data)
            manifest.pop("seconds")
            data = json.dumps(manifest, sort_keys=True).encode()
        found[path.relative_to(folder).as_posix()] = TIME.sub(b"", data)
    return found


def assert_same_builds(local: Path, ray: Path) -> None:
    for folder in ("figures/store", "_site"):
        ours, theirs = contents(local / folder), contents(ray / folder)
        assert ours.keys() == theirs.keys(), folder
        assert [name for name in ours if ours[name] != theirs[name]] == [], folder


@pytest.mark.ray
def test_a_ray_build_equals_a_local_pool_build(tmp_path: Path, cluster: str) -> None:
    local = site_copy(tmp_path, "cheap-figures", "local", workers=2, ray_address="auto")
    ray = site_copy(tmp_path, "cheap-figures", "ray", workers=2, ray_address="auto")
    assert thread_cli("build", "--root", local, "--executor", "local").exit_code == 0
    result = thread_cli("build", "--root", ray, "--executor", "ray")
    assert result.exit_code == 0, result.output
    assert result.output.count("computed figure") == 2
    assert_same_builds(local, ray)


@pytest.mark.ray
@pytest.mark.torch
def test_torch_figures_from_a_model_file_equal_the_local_pools(tmp_path: Path,
                                                               cluster: str) -> None:
    """Three torch jobs, two on a ``file:`` model that travels with the jobs; each draws its
    image from the seeded torch RNG after loading its model, which an actor loads once."""
    local = site_copy(tmp_path, "ray-figures", "local", ray_address="auto")
    ray = site_copy(tmp_path, "ray-figures", "ray", ray_address="auto")
    assert thread_cli("build", "--root", local, "--executor", "local").exit_code == 0
    result = thread_cli("build", "--root", ray, "--executor", "ray")
    assert result.exit_code == 0, result.output
    assert_same_builds(local, ray)


@pytest.mark.ray
@pytest.mark.torch
def test_a_ray_worker_loads_each_model_once_and_reports_progress(tmp_path: Path,
                                                                   cluster: str) -> None:
    site = site_copy(tmp_path, "ray-figures", "site", ray_address="auto", workers=1)
    jobs = "".join(f"\n```{{model-loads}}\n:model: saved\n:job: {i}\n:alt: Loads.\n```\n"
                   for i in range(3))
    (site / "content" / "demo" / "loads.md").write_text(
        "---\ntitle: Loads\ndescription: Loads.\nauthors:\n  - name: Ada\n"
        f"published: 2025-01-03\n---\n{jobs}")
    (site / "content" / "demo" / "probes.md").unlink()
    reporter = Recorder()
    pipeline.run(site, figure_run=FigureRun(executor="ray", reporter=reporter))
    loads = [json.loads(path.read_text())["loads"]
             for path in (site / "figures" / "store").glob("*/data.json")]
    assert loads == [1, 1, 1]
    assert sorted(reporter.events) == sorted([("advance", key, 0.5) for key in reporter.keys]
                                             + [("finish", key, None) for key in reporter.keys])


class Recorder:
    """A progress display that remembers what it was told."""

    def start(self, jobs) -> None:
        self.keys, self.events = [job.key for job in jobs], []

    def advance(self, key: str, fraction: float) -> None:
        self.events.append(("advance", key, fraction))

    def finish(self, key: str, error: str | None) -> None:
        self.events.append(("finish", key, error))

    def close(self) -> None:
        pass


def test_jobs_ship_no_build_machine_path_and_only_what_they_read(tmp_path: Path) -> None:
    site = shutil.copytree(SITES / "valid" / "ray-figures", tmp_path / "site")
    (site / "figures" / "store" / "models").mkdir(parents=True)
    (site / "figures" / "store" / "models" / "trained-cnn-0.pt").write_bytes(b"weights")
    (site / "figures" / "store" / "0123").mkdir()
    (site / "PIL.py").write_text("raise SystemExit('the site root is not a package folder')\n")
    plan = pipeline.run(site, stages=pipeline.RESOLVE_STAGES).plan
    shipped = [job_as_json(portable(use.job)) for use in plan.uses]
    assert len(shipped) == 3
    assert not any(str(site) in job or str(tmp_path) in job for job in shipped)
    staged = tmp_path / "staged"
    stage_site(site, load_config(site), staged)
    assert sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*")
                  if p.is_file()) == ["figures/__init__.py", "figures/probe.py",
                                      "figures/store/models/trained-cnn-0.pt", "models/tiny.pt"]


@pytest.mark.ray
def test_a_worker_error_carries_its_host_and_traceback(tmp_path: Path, cluster: str,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    """The error names the host; the worker's traceback is logged (on stderr, where pytest does
    not capture logging) just before the errors are printed."""
    site = site_copy(tmp_path, "cheap-figures", "site", ray_address="auto")
    article = site / "content" / "demo" / "cheap.md"
    article.write_text(article.read_text().replace(":shade: 40", ":shade: -1"))
    result = thread_cli("build", "--root", site, "--executor", "ray")
    assert result.exit_code == 1
    assert (f"content/demo/cheap.md:11: figure builder 'cheap-image' failed on "
            f"{socket.gethostname()}: a shade is 0 or more (its traceback is above)"
            in result.output)
    logged = caplog.text
    assert f"failed on {socket.gethostname()}:\nTraceback (most recent call last)" in logged
    assert 'figures/cheap.py", line 19, in cheap_image' in logged
    assert "ValueError: a shade is 0 or more" in logged
    assert len(list((site / "figures" / "store").glob("*/manifest.json"))) == 1


def test_executor_ray_without_ray_is_an_error_at_the_setting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` does where it is missing
    site = site_copy(tmp_path, "cheap-figures", "site", executor="ray")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 1
    assert (f"site.toml:{line_of(site, 'executor')}: executor 'ray' needs Ray, which is not installed (install the "
            "cluster extra: pip install 'thread-generator[cluster]')") in result.output
    assert "Traceback" not in result.output
    local = site_copy(tmp_path, "cheap-figures", "local")
    result = thread_cli("build", "--root", local, "--executor", "ray")
    assert result.exit_code == 1
    assert "--executor: executor 'ray' needs Ray, which is not installed" in result.output
    assert thread_cli("build", "--root", site, "--executor", "local").exit_code == 0


@pytest.mark.ray
def test_an_unreachable_cluster_is_an_error_at_its_address(tmp_path: Path) -> None:
    site = site_copy(tmp_path, "cheap-figures", "site", executor="ray",
                     ray_address="127.0.0.1:1")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 1
    assert (f"site.toml:{line_of(site, 'ray_address')}: cannot connect to the Ray cluster at "
            "'127.0.0.1:1': nothing answers at 127.0.0.1:1") in result.output


@pytest.mark.ray
def test_figures_compute_on_ray_then_a_frozen_build_publishes(tmp_path: Path,
                                                              cluster: str) -> None:
    site = site_copy(tmp_path, "cheap-figures", "site", ray_address="auto")
    result = thread_cli("figures", "compute", "--root", site, "--executor", "ray")
    assert result.exit_code == 0, result.output
    assert "Computed 2 figures in" in result.output and not (site / "_site").exists()
    published = thread_cli("build", "--root", site, "--frozen")
    assert published.exit_code == 0, published.output
