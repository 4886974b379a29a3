"""Layout columns of figures: Distill's l-body-outset, l-page-outset and l-middle too."""

from __future__ import annotations

from pathlib import Path

import pytest
from article_fixture import AUTHORS, article_site, page

FIGURE = "```{{figure}} images/banner.png\n:alt: Arcs.\n:layout: {layout}\n\nCaption.\n```\n"


@pytest.mark.parametrize("layout", ["body-outset", "page-outset", "middle"])
def test_figure_takes_the_outset_columns(tmp_path: Path, layout: str) -> None:
    site, result = article_site(tmp_path, AUTHORS, FIGURE.format(layout=layout), images=True)
    assert result.exit_code == 0, result.output
    assert f'<figure class="l-{layout}">' in page(site)


def test_unknown_layout_names_the_columns(tmp_path: Path) -> None:
    _, result = article_site(tmp_path, AUTHORS, FIGURE.format(layout="wide"), images=True)
    assert result.exit_code == 1
    assert ("content/demo/first.md:11: option ':layout:' of directive 'figure': Input should be "
            "'body', 'body-outset', 'middle', 'page', 'page-outset', 'screen', 'gutter' or "
            "'banner'"
            in result.output)


def test_theme_styles_every_layout() -> None:
    css = (Path(__file__).resolve().parents[1] / "theme" / "static" / "style.css").read_text()
    for layout in ("body", "body-outset", "middle", "page", "page-outset", "screen", "gutter",
                   "banner"):
        assert f".l-grid > .l-{layout} {{ grid-column:" in css, layout
