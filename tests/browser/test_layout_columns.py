"""Figures in Distill's outset columns: body-outset and middle are wider than the text and
narrower than the page, page-outset wider than the page; on a phone all fit the screen."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser
LAYOUTS = ("body-outset", "middle", "page-outset")


@pytest.fixture(scope="module")
def layout_pages(built_site) -> dict[str, str]:
    """Layout → the URL of a demo article with a figure in that column."""
    found: dict[str, str] = {}
    for article in (a for t in built_site.content.threads for a in t.articles):
        text = article.source.text
        for layout in LAYOUTS:
            if f":layout: {layout}\n" in text:
                found.setdefault(layout, article.url)
    assert set(found) == set(LAYOUTS), "the demo uses every outset column"
    return found


def widths(browser, site, url: str, layout: str, width: int) -> dict[str, float]:
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        tab = context.new_page()
        tab.goto(site.url(url))
        return tab.evaluate("""layout => {
            const w = sel => document.querySelector(sel).getBoundingClientRect().width;
            const figure = document.querySelector('figure.l-' + layout).getBoundingClientRect();
            return {figure: figure.width, left: figure.left, right: figure.right,
                    text: w('.d-body > p'), page: w('.d-body > .thread-nav'),
                    screen: document.documentElement.clientWidth,
                    scroll: document.documentElement.scrollWidth};
        }""", layout)
    finally:
        context.close()


@pytest.mark.parametrize("layout", LAYOUTS)
def test_outset_columns_on_a_wide_screen(browser, site, layout_pages, layout: str) -> None:
    got = widths(browser, site, layout_pages[layout], layout, 1280)
    if layout == "page-outset":
        assert got["page"] < got["figure"] <= got["page"] + 96
    else:
        assert got["text"] < got["figure"] < got["page"]
    assert got["left"] >= 0 and got["right"] <= got["screen"]
    assert got["scroll"] <= got["screen"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_outset_columns_fit_a_phone(browser, site, layout_pages, layout: str) -> None:
    got = widths(browser, site, layout_pages[layout], layout, 360)
    assert got["left"] >= 0 and got["right"] <= got["screen"]
    assert got["scroll"] <= got["screen"]
