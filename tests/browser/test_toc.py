"""The table of contents (front matter toc: true): left of the text on a wide screen, as
Distill's, above it on a phone; each entry scrolls to its heading."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def toc_page(built_site) -> str:
    """The URL of the first article of the demo with a table of contents."""
    return next(a.url for t in built_site.content.threads for a in t.articles if a.meta.toc)


def open_page(browser, site, url: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900})
    tab = context.new_page()
    tab.goto(site.url(url))
    return context, tab


def box(locator) -> dict:
    return locator.bounding_box()


@pytest.mark.parametrize("width", [1280, 360])
def test_toc_links_go_to_their_headings(browser, site, toc_page: str, width: int) -> None:
    context, tab = open_page(browser, site, toc_page, width)
    try:
        links = tab.locator(".d-toc a")
        count = links.count()
        assert count >= 3
        for index in range(count):
            link = links.nth(index)
            anchor = link.get_attribute("href").removeprefix("#")
            heading = tab.locator(f"[id='{anchor}']")
            assert heading.evaluate("el => /^H[23]$/.test(el.tagName)")
            assert heading.inner_text().strip() == link.inner_text().strip()
            link.click()
            tab.wait_for_function("id => location.hash === '#' + id", arg=anchor)
            top = heading.evaluate("el => el.getBoundingClientRect().top")
            assert -2 <= top <= 120, f"{anchor} at {top}px after its link was followed"
            tab.evaluate("window.scrollTo(0, 0)")
    finally:
        context.close()


def test_toc_is_beside_the_text_on_a_wide_screen(browser, site, toc_page: str,
                                                  output_dir) -> None:
    context, tab = open_page(browser, site, toc_page, 1280)
    try:
        toc, text = box(tab.locator(".d-toc")), box(tab.locator(".d-body > p").first)
        assert toc["x"] + toc["width"] <= text["x"] + 1, "contents overlap the text"
        assert toc["x"] >= 0
        assert abs(toc["y"] - text["y"]) < 60, "contents not beside the first paragraph"
        tab.screenshot(path=str(output_dir / "toc-1280.png"), full_page=False)
    finally:
        context.close()


def test_toc_is_above_the_text_on_a_phone(browser, site, toc_page: str, output_dir) -> None:
    context, tab = open_page(browser, site, toc_page, 360)
    try:
        toc, text = box(tab.locator(".d-toc")), box(tab.locator(".d-body > p").first)
        assert toc["y"] + toc["height"] <= text["y"], "contents not above the text"
        assert abs(toc["x"] - text["x"]) < 2 and toc["width"] <= 360
        assert tab.evaluate("document.documentElement.scrollWidth") <= 360
        tab.locator(".d-toc").screenshot(path=str(output_dir / "toc-360.png"))
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 360])
def test_articles_with_the_new_parts_pass_axe(browser, built_site, site, width: int) -> None:
    """axe on every demo article, not only the one the page-type test visits: the contents,
    author notes, banner, hover box and outset columns are spread over several."""
    from axe_playwright_python.sync_playwright import Axe

    from .test_accessibility import BLOCKING, describe

    blocking = []
    for url in site.articles:
        context, tab = open_page(browser, site, url, width)
        try:
            violations = Axe().run(tab).response["violations"]
        finally:
            context.close()
        blocking += [f"{url}: {describe(v)}" for v in violations if v["impact"] in BLOCKING]
    assert not blocking, "\n".join(blocking)
