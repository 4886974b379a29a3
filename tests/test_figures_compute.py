"""``thread figures compute``: the figures the store lacks are computed, and nothing else (no
page, no build cache); ``thread build --frozen`` then publishes them. With ``--executor ray``
it runs on a cluster: tests/test_ray.py."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import SITES, thread_cli


def test_figures_compute_fills_the_store_and_a_frozen_build_publishes(tmp_path: Path) -> None:
    site = shutil.copytree(SITES / "valid" / "cheap-figures", tmp_path / "site")
    assert thread_cli("build", "--root", site, "--frozen").exit_code == 1

    result = thread_cli("figures", "compute", "--root", site, "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert "Computed 2 figures in" in result.output
    assert "every figure the site uses (2) is in figures/store/" in result.output
    assert len(list((site / "figures" / "store").glob("*/manifest.json"))) == 2
    assert list((site / "figures" / "store").glob("vega-bundle-*.js"))
    assert not (site / "_site").exists() and not (site / ".thread-cache").exists()

    again = thread_cli("figures", "compute", "--root", site)
    assert again.exit_code == 0 and "Computed 0 figures in" in again.output
    published = thread_cli("build", "--root", site, "--frozen")
    assert published.exit_code == 0, published.output
    assert "computed figure" not in published.output
    assert (site / "_site" / "demo" / "cheap" / "index.html").is_file()


def test_figures_compute_reports_a_failing_builder_at_its_directive(tmp_path: Path) -> None:
    site = shutil.copytree(SITES / "valid" / "cheap-figures", tmp_path / "site")
    article = site / "content" / "demo" / "cheap.md"
    article.write_text(article.read_text().replace(":shade: 40", ":shade: -1"))
    result = thread_cli("figures", "compute", "--root", site)
    assert result.exit_code == 1
    assert ("content/demo/cheap.md:11: figure builder 'cheap-image' failed: a shade is 0 or "
            "more") in result.output
    assert len(list((site / "figures" / "store").glob("*/manifest.json"))) == 1
