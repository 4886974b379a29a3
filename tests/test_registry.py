"""Registries per site (generator/registry.py): directives, roles and builders live on an
object made per build, so two sites built in one process never see each other's, and a name
registered twice is an error naming both places."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SITES, child_env, thread_cli, tree_digest

from generator import build as pipeline
from generator.directives import directive
from generator.errors import SiteError
from generator.registry import builtin_registry, site_registry

SEQUENCE = ("cheap-figures", "basic", "citations")


def prepared(site: str, tmp_path: Path) -> Path:
    """A copy of ``site`` whose figures are computed (their pages show compute times, so both
    builds compared must show the same stored figures)."""
    root = shutil.copytree(SITES / "valid" / site, tmp_path / "prepared" / site)
    cli(root)
    shutil.rmtree(root / "_site")
    shutil.rmtree(root / ".thread-cache", ignore_errors=True)
    return root


def cli(root: Path) -> None:
    """Build ``root`` in a fresh ``python -m generator`` process."""
    subprocess.run([sys.executable, "-m", "generator", "build", "--root", str(root)],
                   env=child_env(), check=True, capture_output=True)


def test_sites_built_one_after_another_in_one_process_match_each_built_alone(tmp_path: Path):
    sources = {site: prepared(site, tmp_path) for site in SEQUENCE}
    together = {}
    for site in SEQUENCE:  # one process: this one
        root = shutil.copytree(sources[site], tmp_path / "one" / site)
        pipeline.run(root, use_cache=True)
        together[site] = tree_digest(root / "_site")
    for site in SEQUENCE:
        root = shutil.copytree(sources[site], tmp_path / "alone" / site)
        cli(root)
        assert together[site] == tree_digest(root / "_site"), site


def test_a_builder_of_one_site_is_unknown_to_the_next(tmp_path: Path):
    cheap = shutil.copytree(SITES / "valid" / "cheap-figures", tmp_path / "a")
    assert thread_cli("build", "--root", cheap).exit_code == 0
    basic = shutil.copytree(SITES / "valid" / "basic", tmp_path / "b")
    article = next((basic / "content").rglob("*.md"))
    article.write_text(article.read_text(encoding="utf-8") + "\n```{cheap-image}\n```\n",
                       encoding="utf-8")
    result = thread_cli("build", "--root", basic)
    assert result.exit_code == 1
    assert "unknown directive 'cheap-image'" in result.output


def test_each_site_gets_its_own_registry():
    first, second = site_registry(SITES / "valid" / "cheap-figures"), builtin_registry()
    assert "cheap-image" in first.directives and "cheap-image" in first.builders
    assert "cheap-image" not in second.directives
    assert first.directives["figure"] is second.directives["figure"]  # the same marked function


def test_a_name_registered_twice_is_an_error_naming_both():
    registry = builtin_registry()

    @directive("figure")
    def another_figure(call, ctx) -> str:
        return ""

    with pytest.raises(SiteError) as raised:
        registry.add_directive(another_figure.__directive__, __name__)
    assert "directive 'figure' is registered twice: by generator.directives.figure and by " \
        f"{__name__}" in str(raised.value.message)


def test_a_builder_named_like_a_builtin_directive_is_an_error(tmp_path: Path):
    root = shutil.copytree(SITES / "valid" / "cheap-figures", tmp_path / "s")
    module = root / "figures" / "cheap.py"
    module.write_text(module.read_text(encoding="utf-8").replace('@builder("cheap-chart")',
                                                                 '@builder("aside")'),
                      encoding="utf-8")
    result = thread_cli("build", "--root", root)
    assert result.exit_code == 1
    assert "directive 'aside' is registered twice: by generator.directives.aside and by " \
        "figures.cheap" in result.output
    assert "figures/cheap.py" in result.output
