"""The commands a contributor uses: help, new, check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, copy_site, thread_cli


@pytest.mark.parametrize("command", [[], ["build"], ["serve"], ["new"], ["check"]])
def test_every_command_explains_itself(command: list[str]) -> None:
    result = thread_cli(*command, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.output and "--root" in result.output or not command


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "generator", "--help"], capture_output=True,
                            text=True, cwd=REPO, check=True)
    assert "Build Distill-style research threads" in result.stdout


def test_new_thread_article_and_comment_build(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    assert thread_cli("new", "thread", "optics", "--root", site).exit_code == 0
    assert thread_cli("new", "article", "lenses", "--thread", "optics", "--root", site).exit_code == 0
    assert thread_cli("new", "comment", "on-lenses", "--thread", "optics", "--root", site).exit_code == 0
    assert thread_cli("build", "--root", site).exit_code == 0
    assert (site / "_site/optics/lenses/index.html").is_file()
    comment = (site / "_site/optics/on-lenses/index.html").read_text()
    assert "kind-comment" in comment


def test_new_never_overwrites_and_needs_a_thread(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    before = (site / "content/demo/first.md").read_text()
    result = thread_cli("new", "article", "first", "--root", site)
    assert result.exit_code == 1
    assert result.stderr.startswith("content/demo/first.md: already exists")
    assert (site / "content/demo/first.md").read_text() == before
    thread_cli("new", "thread", "second-thread", "--root", site)
    result = thread_cli("new", "article", "x", "--root", site)
    assert result.exit_code == 1 and "say which thread with --thread" in result.stderr
    result = thread_cli("new", "article", "Bad Name", "--thread", "demo", "--root", site)
    assert result.exit_code == 1 and "lowercase letters" in result.stderr


def test_check_passes_on_the_demo_site_and_writes_nothing(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    result = thread_cli("check", "--root", site)
    assert result.exit_code == 0, result.output
    assert not (site / "_site").exists()


def test_the_console_prints_error_text_as_written() -> None:
    """Rich would turn `:label:` into an emoji: error text reaches the terminal unchanged."""
    from generator.cli import console

    with console.capture() as captured:
        console.print("label a figure with :label: first", markup=False)
    assert captured.get() == "label a figure with :label: first\n"
