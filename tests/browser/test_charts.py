"""Vega-Lite charts: drawn by the self-hosted vega bundle, with a static SVG when JS is off."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def chart_pages(built_site) -> list[str]:
    """Articles whose source uses a chart builder (the demo's tuning curves)."""
    return [a.url for t in built_site.content.threads for a in t.articles
            if "```{tuning-curve}" in a.source.text]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_every_chart_shows(browser, site, built_site, javascript: bool) -> None:
    pages = chart_pages(built_site)
    assert pages, "the demo site should have at least one chart"
    context = browser.new_context(java_script_enabled=javascript)
    try:
        tab = context.new_page()
        for page in pages:
            tab.goto(site.url(page))
            charts = tab.locator(".vega-chart")
            assert charts.count() >= 1
            for index in range(charts.count()):
                chart = charts.nth(index)
                chart.scroll_into_view_if_needed()
                if javascript:  # vega-embed draws the spec as SVG marks
                    chart.locator("svg.marks").first.wait_for(state="visible", timeout=10_000)
                else:  # the SVG rendered at build time stands in
                    fallback = chart.locator("img").first
                    fallback.wait_for(state="visible")
                    tab.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                          arg=fallback.element_handle())
    finally:
        context.close()
