"""The header's search box finds articles from the self-hosted Pagefind index."""

from __future__ import annotations

import pytest

from .visit import Visit, open_page, record

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("page_type", "width"), [("home", 1280), ("article", 360)])
def test_typing_a_query_lists_matching_articles(browser, site, page_type: str,
                                                width: int) -> None:
    context, page = open_page(browser, site.url(page_type), width)
    seen = Visit(site.url(page_type), width)
    try:
        record(page, seen, site.origin)
        page.goto(site.url(page_type))
        page.get_by_role("textbox", name="Search the articles").fill("curve detectors")
        first = page.locator(".pagefind-ui__result-link").first
        first.wait_for(timeout=10_000)
        assert "Curve Detectors From Edges" in page.locator(".pagefind-ui__results").inner_text()
        with page.expect_navigation():
            first.click()
        assert page.url.startswith(site.origin + site.base_path)
        assert page.locator("h1").inner_text() != "Page not found"
    finally:
        context.close()
    assert seen.console_errors == [] and seen.failed_requests == []
    assert seen.foreign_requests == []


def test_only_articles_and_unit_pages_are_indexed(built_site) -> None:
    from generator.units import unit_url

    pages = [path for path in built_site.outputs if path.endswith("index.html")]
    marked = [path for path in pages if b"data-pagefind-body" in built_site.outputs[path]]
    articles = {a.url + "index.html" for t in built_site.content.threads for a in t.articles}
    unit_pages = {unit_url(*unit) + "index.html" for unit in built_site.resolver.units}
    assert unit_pages and set(marked) == articles | unit_pages
