"""On a touch screen a tap on a reference opens its card (and a second tap closes it), so a
reader follows a cross-article reference or a unit reference by the link in its card's title
(issue 19): to the figure in the other article, or to the unit's page."""

from __future__ import annotations

import pytest

from .test_hover_cards import open_tab

pytestmark = pytest.mark.browser

FOLLOWED = [
    ("planted/limits-of-planting/", ".has-card.crossref", ".xref",
     "**/planted/curves-from-edges/#fig-weights", "Curve Detectors From Edges, Figure 6"),
    ("planted/curves-from-edges/", ".weight-diagram .has-card.unit-ref", ".unit-link",
     "**/units/planted/relu1/2/", "planted / relu1 / unit 2"),
    ("planted/planting-features/", ".has-card.hover-box .has-card.unit-ref", ".unit-link",
     "**/units/planted/relu1/0/", "planted / relu1 / unit 0"),  # a unit card in a hover box
]


@pytest.mark.parametrize(("page", "container", "trigger", "target", "title"), FOLLOWED,
                         ids=["cross-article-ref", "weight-diagram-input", "unit-in-hover-box"])
def test_a_tap_opens_the_card_and_its_title_leads_on(browser, site, output_dir, page: str,
                                                     container: str, trigger: str,
                                                     target: str, title: str) -> None:
    context, tab = open_tab(browser, site.url(page), touch=True)
    try:
        if "hover-box" in container:
            tab.locator(".has-card.hover-box .hover-link").first.tap()
        holder = tab.locator(container, has=tab.get_by_text(title, exact=True)).first
        holder.locator(trigger).first.tap()
        card = holder.locator(".hover-card").first
        assert card.is_visible() and tab.url == site.url(page)
        link = card.locator("a.card-title")
        assert link.inner_text() == title
        tab.screenshot(path=str(output_dir / f"card-link-{target.split('/')[-2]}-360.png"))
        link.tap()
        tab.wait_for_url(target)
        assert tab.locator("h1").is_visible()
    finally:
        context.close()
