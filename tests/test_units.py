"""Unit references (``{unit}``), unit pages, model indexes and their errors (issue 6)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO, SITES, thread_cli

ARTICLE = """---
title: {title}
authors:
  - name: Ada Lovelace
published: {date}
---

Unit {{unit}}`tiny/conv1:0` and {{unit}}`tiny/conv1:3`, then {{unit}}`tiny/conv2:1`.
"""


@pytest.fixture(scope="module")
def unit_site(tmp_path_factory) -> Path:
    """The figures fixture site with two articles that reference units of the tiny model."""
    site = tmp_path_factory.mktemp("units") / "site"
    shutil.copytree(SITES / "valid/figures", site)
    folder = next(p.parent for p in (site / "content").rglob("thread.md"))
    (folder / "units-a.md").write_text(ARTICLE.format(title="Units A", date="2025-05-01"))
    (folder / "units-b.md").write_text(ARTICLE.format(title="Units B", date="2025-05-02")
                                       .replace(", then {unit}`tiny/conv2:1`", ""))
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    return site


def test_every_referenced_unit_has_a_page_with_its_icon(unit_site: Path) -> None:
    pages = sorted(p.parent.relative_to(unit_site / "_site/units").as_posix()
                   for p in (unit_site / "_site/units").rglob("index.html"))
    assert pages == ["tiny", "tiny/conv1/0", "tiny/conv1/3", "tiny/conv2/1"]
    html = (unit_site / "_site/units/tiny/conv1/3/index.html").read_text()
    icon = re.search(r'<img src="([^"]+\.png)" alt="Feature visualisation of unit 3', html)
    assert icon and (unit_site / "_site/units/tiny/conv1/3" / icon.group(1)).resolve().is_file()
    index = (unit_site / "_site/units/tiny/index.html").read_text()
    assert index.count('<li><a href="conv1/') == 2 and 'href="conv2/1/"' in index


def test_backlinks_list_exactly_the_referencing_articles(unit_site: Path) -> None:
    def backlinks(unit: str) -> list[str]:
        html = (unit_site / f"_site/units/tiny/{unit}/index.html").read_text()
        listing = html[html.index('class="backlinks"'):html.index("</ul>", html.index('class="backlinks"'))]
        return re.findall(r'<a href="[^"]+">([^<]+)</a>', listing)

    assert backlinks("conv1/0") == ["Units A", "Units B"]
    assert backlinks("conv2/1") == ["Units A"]


def test_reference_renders_a_link_with_an_icon_card(unit_site: Path) -> None:
    folder = next((unit_site / "_site").glob("*/units-a"))
    html = (folder / "index.html").read_text()
    card = re.search(r'<a class="unit-link" href="(\.\./\.\./units/tiny/conv1/0/)"[^>]*>conv1:0</a>'
                     r'<span class="hover-card unit-card"[^>]*><img src="([^"]+)"', html)
    assert card and (folder / card.group(2)).resolve().is_file()


@pytest.mark.parametrize(("reference", "message"), [
    ("tiny/conv1:9", "unit 9 does not exist: tiny/conv1 has units 0-3"),
    ("tiny/conv3:0", "model 'tiny' has no layer 'conv3' (did you mean 'conv2'?)"),
    ("tinny/conv1:0", "unknown model 'tinny' in unit reference (did you mean 'tiny'?)"),
    ("tiny-conv1-0", "unit reference 'tiny-conv1-0' must look like model/layer:index"),
])
def test_bad_reference_is_a_path_line_error(unit_site: Path, tmp_path: Path, reference: str,
                                            message: str) -> None:
    site = tmp_path / "site"
    shutil.copytree(unit_site, site, ignore=shutil.ignore_patterns("_site"))
    article = next(site.rglob("units-b.md"))
    article.write_text(article.read_text() + f"\nAnd a bad one: {{unit}}`{reference}`.\n")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 1
    where = article.relative_to(site).as_posix()
    assert result.stderr.splitlines()[0].startswith(f"{where}:10: {message}")


def test_demo_units_have_pages(tmp_path: Path) -> None:
    result = thread_cli("build", "--root", REPO, "--out", tmp_path / "out", "--frozen")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out/units/planted/relu1/4/index.html").is_file()
    html = (tmp_path / "out/units/planted/relu1/4/index.html").read_text()
    assert "Planting Features" in html and "Curve Detectors From Edges" in html
