"""Shared fixtures: fixture sites on disk and the real CLI, run in-process."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

SITES = Path(__file__).parent / "sites"
REPO = Path(__file__).resolve().parent.parent


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


def tree_digest(folder: Path) -> dict[str, str]:
    """Relative path → sha256 of every file under ``folder``."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
