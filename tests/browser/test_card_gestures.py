"""Hover cards close as a reader expects (issue 19), not only open: the mouse leaving, Escape
or Tab onwards, and a tap elsewhere each hide the card, for a hover box, a weight-diagram
input and a unit of a feature-viz strip. (tests/browser/test_hover_cards.py checks that each
gesture opens them.)"""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from .test_hover_cards import open_tab, tab_to

pytestmark = pytest.mark.browser

CARDS = [
    ("planted/planting-features/", ".has-card.hover-box", ".hover-link"),
    ("planted/curves-from-edges/", ".weight-diagram .has-card.unit-ref", ".unit-link"),
    ("planted/curves-from-edges/", ".unit-strip .has-card.unit-ref", ".unit-link"),
]
IDS = ["hover-box", "weight-diagram-input", "feature-viz-unit"]


@contextmanager
def card_on(browser, site, page: str, container: str, trigger: str, touch: bool = False):
    """(tab, the card's trigger, the card) on a fresh page; the tab's context closed after."""
    context, tab = open_tab(browser, site.url(page), touch=touch)
    try:
        holder = tab.locator(container).first
        yield tab, holder.locator(trigger).first, holder.locator(".hover-card").first
    finally:
        context.close()


@pytest.mark.parametrize(("page", "container", "trigger"), CARDS, ids=IDS)
def test_the_mouse_opens_a_card_keeps_it_over_the_card_and_closes_it_away(
        browser, site, page: str, container: str, trigger: str) -> None:
    with card_on(browser, site, page, container, trigger, touch=False) as (tab, target, card):
        target.hover()
        assert card.is_visible()
        link, box = target.bounding_box(), card.bounding_box()
        x = link["x"] + link["width"] / 2  # a reader moves straight down onto the card
        tab.mouse.move(x, box["y"] + 12, steps=int(box["y"] + 12 - link["y"]))  # 1 px a step
        assert card.is_visible(), "the card closed as the mouse moved onto it"
        tab.mouse.move(2, 2, steps=5)
        assert not card.is_visible(), "the card stayed open after the mouse left"


@pytest.mark.parametrize(("page", "container", "trigger"), CARDS, ids=IDS)
def test_escape_closes_a_card_and_tab_onwards_leaves_it_closed(
        browser, site, page: str, container: str, trigger: str) -> None:
    with card_on(browser, site, page, container, trigger, touch=False) as (tab, target, card):
        tab_to(tab, target)
        assert card.is_visible()
        tab.keyboard.press("Escape")
        assert not card.is_visible(), "Escape did not close the card"
        assert target.evaluate("el => el === document.activeElement")  # focus stays put
        tab.keyboard.press("Tab")
        assert not card.is_visible()
        tab.keyboard.press("Shift+Tab")  # back again: the card opens as the first time
        assert target.evaluate("el => el === document.activeElement")
        assert card.is_visible(), "the card did not open again after Escape"


@pytest.mark.parametrize(("page", "container", "trigger"), CARDS, ids=IDS)
def test_a_tap_elsewhere_closes_a_card(browser, site, page: str, container: str,
                                       trigger: str) -> None:
    with card_on(browser, site, page, container, trigger, touch=True) as (tab, target, card):
        target.tap()
        assert card.is_visible()
        assert tab.url == site.url(page), "the tap followed the link instead of opening"
        tab.locator("h1").tap()
        assert not card.is_visible(), "a tap elsewhere did not close the card"


def test_pointing_at_a_weight_diagram_inputs_tiles_shows_its_unit_card(browser, site) -> None:
    """Not only its name: the icon and the heatmap of an input open its card, as in the
    Circuits articles' weight diagrams, and it closes when the mouse leaves the row."""
    context, tab = open_tab(browser, site.url("planted/curves-from-edges/"), touch=False)
    try:
        row = tab.locator(".weight-diagram .weight-row").first
        card = row.locator(".unit-ref > .hover-card")
        for tile in row.locator(".weight-tiles img").all():
            tile.hover()
            assert card.is_visible(), "pointing at a tile did not show the unit's card"
            assert "planted / relu1 / unit" in card.inner_text()
            tab.mouse.move(2, 2)
            assert not card.is_visible()
    finally:
        context.close()
