"""A one-article site for the article-feature tests (TOC, banner, author notes, hover boxes,
layouts): the ``basic`` fixture site with ``content/demo/first.md`` replaced."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import build_site, copy_site

BANNER_PNG = Path(__file__).resolve().parents[1] / "content" / "planted" / "images" / "curve-family.png"


def article_site(tmp_path: Path, front: str, body: str, images: bool = False):
    """Build the site with ``first.md`` made of ``front`` (YAML lines after the title) and
    ``body``; returns (site folder, CLI result)."""
    site = copy_site(tmp_path / "site")
    folder = site / "content" / "demo"
    (folder / "first.md").write_text(f"---\ntitle: First Article\n{front}---\n\n{body}",
                                     encoding="utf-8")
    if images:
        (folder / "images").mkdir()
        shutil.copy(BANNER_PNG, folder / "images" / "banner.png")
    return site, build_site(site)


def page(site: Path) -> str:
    return (site / "_site" / "demo" / "first" / "index.html").read_text(encoding="utf-8")


AUTHORS = "authors:\n  - name: Ada Lovelace\n    affiliations: [lab]\npublished: 2025-01-02\n"
