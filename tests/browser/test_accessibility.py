"""axe-core (shipped inside axe-playwright-python) finds no serious or critical problem."""

from __future__ import annotations

import pytest

from .conftest import PAGE_TYPES, WIDTHS
from .visit import open_page

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def describe(violation: dict) -> str:
    targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
    return f"{violation['impact']}: {violation['id']} — {violation['help']} ({targets})"


@pytest.mark.parametrize("width", WIDTHS, ids=lambda w: f"{w}px")
@pytest.mark.parametrize("page_type", PAGE_TYPES)
def test_no_serious_accessibility_violations(browser, site, axe, page_type: str,
                                             width: int) -> None:
    context, page = open_page(browser, site.url(page_type), width)
    try:
        page.goto(site.url(page_type), wait_until="load")
        violations = axe.run(page).response["violations"]
    finally:
        context.close()
    blocking = [describe(v) for v in violations if v["impact"] in BLOCKING]
    assert not blocking, "\n".join(blocking)


@pytest.mark.parametrize("width", WIDTHS, ids=lambda w: f"{w}px")
def test_no_serious_accessibility_violations_in_any_article(browser, site, axe,
                                                           width: int) -> None:
    """Every article and comment: they hold the figures (tile grids, weight rows, charts)."""
    blocking = []
    for url in site.articles:
        context, page = open_page(browser, site.url(url), width)
        try:
            page.goto(site.url(url), wait_until="load")
            violations = axe.run(page).response["violations"]
        finally:
            context.close()
        blocking += [f"{url}: {describe(v)}" for v in violations if v["impact"] in BLOCKING]
    assert not blocking, "\n".join(blocking)
