"""The pull-request and deploy jobs pass where the figures and cluster extras are not installed.

Each job's own ``run:`` commands, read from its workflow file, run in a fresh copy of the
repository, in processes that cannot import torch, torchvision, lucent or anything only they
brought in: what a runner has after ``pip install -e '.[dev]'`` (or ``pip install .``).

The install steps (``apt-get``, ``python -m venv``, ``pip install``) are not run: they would
download ~3 GB of torch-free wheels again, or need a network. This machine's virtualenv stands in
for the one they make: it is the copy's ``.venv`` and first on ``PATH``, the copy is first on
``PYTHONPATH`` (where an editable install puts it), and a ``sitecustomize.py`` before it hides
the figures extra from the import system and from ``importlib.metadata``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from conftest import REPO, REQUIRE_RAY, REQUIRE_TORCH
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

WORKFLOWS = REPO / ".github" / "workflows"
INSTALL = re.compile(r"\bpip install\b|\bapt-get\b|-m venv\b")
"""A step that installs: the shared virtualenv stands in for it (see the module docstring)."""
VENV_BOOTSTRAP = {"pip", "setuptools"}
"""What ``python -m venv`` puts in every virtualenv on Python 3.11."""
THIS_FILE = Path(__file__).resolve().relative_to(REPO).as_posix()

BLOCKER = '''"""Written by {this_file}: this interpreter lacks the figures extra, as if
its virtualenv had been made by `pip install -e '.[dev]'`."""
import re
import sys
from importlib.machinery import PathFinder

MODULES = {modules!r}
DISTRIBUTIONS = {distributions!r}


def canonical(name):
    return re.sub(r"[-_.]+", "-", name or "").lower()


class WithoutFiguresExtra:
    """The path finder, blind to the figures extra's modules and distributions."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in MODULES:
            return None
        return PathFinder.find_spec(name, path, target)

    def find_distributions(self, *args, **kwargs):
        return (dist for dist in PathFinder.find_distributions(*args, **kwargs)
                if canonical(dist.metadata["Name"]) not in DISTRIBUTIONS)

    def invalidate_caches(self):
        PathFinder.invalidate_caches()


sys.meta_path[:] = [WithoutFiguresExtra() if f is PathFinder else f for f in sys.meta_path]
'''


def installs(extra: str) -> set[str]:
    """Canonical names of the distributions ``pip install '.[extra]'`` brings, as found here."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    todo = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"][extra]]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        requirement = todo.pop()
        name, extras = canonicalize_name(requirement.name), frozenset(requirement.extras)
        if (name, extras) in seen or not installed(name):
            continue
        seen.add((name, extras))
        needs = map(Requirement, metadata.distribution(name).requires or [])
        todo += [r for r in needs if r.marker is None
                 or any(r.marker.evaluate({"extra": e}) for e in {"", *extras})]
    return {name for name, _ in seen}


def installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def write_blocker(folder: Path) -> Path:
    """A folder whose ``sitecustomize.py`` hides what only the figures and cluster extras
    install (torch, lucent, ray, ...): a pull request's runner installs ``.[dev]`` alone."""
    distributions = (installs("figures") | installs("cluster")) - installs("dev") - VENV_BOOTSTRAP
    modules = {module for module, dists in metadata.packages_distributions().items()
               if {canonicalize_name(d) for d in dists} <= distributions}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(BLOCKER.format(
        this_file=THIS_FILE, modules=sorted(modules), distributions=sorted(distributions)))
    return folder


def fresh_copy(target: Path) -> Path:
    """The repository's files as a clone of the next commit would have them: tracked files and
    new ones not ignored, without .venv, caches or build output."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], capture_output=True, check=False)
    if listed.returncode != 0:
        pytest.skip(f"{REPO} is not a git checkout: {listed.stderr.decode().strip()}")
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (REPO / name).is_file():  # a tracked file deleted in the work tree is gone here too
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)
    (target / ".venv").symlink_to(sys.prefix, target_is_directory=True)
    return target


def job_commands(workflow: str, job: str) -> list[tuple[str, str]]:
    """(name, command) of each ``run:`` step of a job that does not install anything."""
    steps = yaml.safe_load((WORKFLOWS / workflow).read_text())["jobs"][job]["steps"]
    return [(step.get("name", step["run"]), step["run"]) for step in steps
            if "run" in step and not INSTALL.search(step["run"])]


def torchless_env(tmp_path: Path, copy: Path, pytest_options: str = "") -> dict[str, str]:
    """The environment of a job's step: this virtualenv without the figures extra."""
    env = {k: v for k, v in os.environ.items()
           if k not in (REQUIRE_TORCH, REQUIRE_RAY, "PYTEST_ADDOPTS", "PYTHONPATH")}
    blocker = write_blocker(tmp_path / "blocker")
    env["PYTHONPATH"] = os.pathsep.join([str(blocker), str(copy)])
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTEST_ADDOPTS"] = f"--basetemp={tmp_path / 'pytest'} -p no:cacheprovider {pytest_options}"
    # The fuzz campaign runs in full in this suite; here it only has to pass without torch.
    env.setdefault("THREAD_FUZZ_EXAMPLES", "10")
    return env


def run_job(workflow: str, job: str, tmp_path: Path, pytest_options: str = "") -> dict[str, str]:
    """Run a job's commands in a fresh copy as its runner's shell does; command → output."""
    copy = fresh_copy(tmp_path / "repo")
    env = torchless_env(tmp_path, copy, pytest_options)
    outputs = {}
    for name, command in job_commands(workflow, job):
        result = subprocess.run(["bash", "-e", "-c", command], cwd=copy, env=env,
                                capture_output=True, text=True, timeout=1200, check=False)
        outputs[command] = result.stdout + result.stderr
        failed = [line for line in outputs[command].splitlines()
                  if line.startswith(("FAILED ", "ERROR "))]
        assert result.returncode == 0, (f"{workflow}: {name!r} failed:\n" + "\n".join(failed)
                                        + "\n" + outputs[command][-3000:])
    return outputs


def test_the_blocker_hides_the_figures_extra(tmp_path: Path) -> None:
    code = ("import importlib.metadata as m, importlib.util as u, generator.cli, jinja2\n"
            "for name in ('torch', 'torchvision', 'lucent', 'ray'):\n"
            "    assert u.find_spec(name) is None, name\n"
            "    try: __import__(name)\n"
            "    except ModuleNotFoundError: pass\n"
            "    else: raise AssertionError(name)\n"
            "try: m.version('torch')\n"
            "except m.PackageNotFoundError: print('hidden')\n")
    env = torchless_env(tmp_path, REPO)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0 and result.stdout == "hidden\n", result.stderr


@pytest.mark.slow  # the whole suite again, without torch: started first (see conftest.share_out)
def test_the_pull_request_job_passes_without_torch_and_skips_torch_tests(tmp_path: Path) -> None:
    # The browser tests need Chromium and Java (the job installs them) and do not touch torch.
    # This file is left out: it would run itself again. Under `make test` this is the one run
    # of every torch-free test (conftest.run_once), so every failure is reported (no -x).
    outputs = run_job("pull-request.yml", "check", tmp_path,
                      f'-m "not browser" --ignore={THIS_FILE}')
    [report] = [out for command, out in outputs.items() if "pytest" in command]
    assert re.search(r"^\d+ passed, \d+ skipped", report.splitlines()[-1]), report[-3000:]
    assert re.search(r"^SKIPPED \[\d+\] tests/test_figures_models\.py:\d+: needs torch, "
                     r"torchvision, lucent, which cannot be imported", report, re.MULTILINE), report
    assert re.search(r"^SKIPPED \[\d+\] tests/test_builders\.py:\d+: could not import 'torch'",
                     report, re.MULTILINE), report
    assert re.search(r"^SKIPPED \[\d+\] tests/test_ray\.py:\d+: needs ray", report,
                     re.MULTILINE), report


def test_the_deploy_job_builds_the_site_without_torch(tmp_path: Path) -> None:
    commands = [command for _, command in job_commands("deploy.yml", "build")]
    assert "thread build --frozen" in commands
    run_job("deploy.yml", "build", tmp_path)
    assert (tmp_path / "repo" / "_site" / "index.html").is_file()


@pytest.mark.parametrize("test", [
    "tests/test_figures_models.py::test_unit_names_follow_lucent",  # marked torch
    "tests/test_builders.py",  # pytest.importorskip("torch") at import
])
def test_make_test_fails_a_torch_test_that_would_skip(tmp_path: Path, test: str) -> None:
    env = torchless_env(tmp_path, REPO) | {REQUIRE_TORCH: "1"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", test], cwd=REPO, env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0 and f"\nERROR {test} - " in result.stdout, result.stdout
    assert "needs torch, torchvision, lucent, which cannot be imported" in result.stdout
    assert "THREAD_REQUIRE_TORCH=1 (make test) does not let torch tests skip" in result.stdout
    assert "skipped" not in result.stdout.splitlines()[-1]
