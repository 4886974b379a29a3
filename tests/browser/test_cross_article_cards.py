"""Cross-article references and citations of the site's own articles (issue 19), in a browser:
the demo's comment refers to a figure of another article and cites two articles by slug."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

COMMENT = "planted/limits-of-planting/"


@pytest.fixture
def tab(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(site.url(COMMENT), wait_until="load")
    yield page
    context.close()


def test_a_reference_to_another_articles_figure_previews_and_leads_there(tab, site) -> None:
    holder = tab.locator(".has-card.crossref").first
    link, card = holder.locator(".xref"), holder.locator(".hover-card")
    assert link.inner_text() == "Curve Detectors From Edges, Figure 1"
    assert not card.is_visible()
    link.hover()
    assert card.is_visible()
    picture = card.locator("img")
    picture.scroll_into_view_if_needed()
    tab.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    assert "rotationally equivariant" in card.inner_text()
    link.click()
    tab.wait_for_url("**/planted/curves-from-edges/#fig-curve-family")
    assert tab.locator("#fig-curve-family").is_visible()


def test_citing_an_article_by_slug_shows_its_entry(tab) -> None:
    holder = tab.locator(".has-card.citation").first
    holder.locator(".cite-link").hover()
    card = holder.locator(".hover-card")
    assert card.is_visible()
    text = card.inner_text()
    assert "Planting Features: A Network Built by Hand" in text
    assert "Curve Detectors From Edges" in text
    entry = tab.locator("#ref-curves-from-edges")
    assert entry.locator("a").get_attribute("href").endswith("/planted/curves-from-edges/")


def test_the_comment_names_the_article_it_answers(tab) -> None:
    answers = tab.locator(".responds-to")
    assert answers.inner_text().startswith("A comment on Planting Features")
    answers.locator("a").click()
    tab.wait_for_url("**/planted/planting-features/")
    listed = tab.locator(".responses").inner_text()  # the heading is set in capitals
    assert listed.lower().startswith("comments on this article")
    assert "Comment: What Planted Circuits Cannot Tell Us — Rosa Achterberg" in listed
