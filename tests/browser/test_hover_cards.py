"""Hover cards (citations, footnotes, cross-references): hover, Tab focus and a tap show them.

HOOK for the hover-card work (issue 3): add one row per kind of card to ``CARDS``:
``(page type or site-relative URL, container selector, trigger selector, card selector)``.
The first ``container`` on the page holds both the ``trigger`` (what a reader points at) and
the ``card``. Until the list has rows these tests are skipped ("got empty parameter set").
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

CARDS: list[tuple[str, str, str, str]] = [
    ("article", ".has-card.citation", ".cite-link", ".hover-card"),
    ("article", ".has-card.footnote", ".footnote-ref a", ".hover-card"),
    ("article", ".has-card.crossref", ".xref", ".hover-card"),
    ("planted/curves-from-edges/", ".weight-diagram .has-card.unit-ref", ".unit-link",
     ".hover-card"),  # an input of a weight diagram: that unit's card
    ("planted/planting-features/", ".has-card.hover-box", ".hover-link",
     ".hover-card"),  # a hover box: Markdown with an image and a unit reference
]
MAX_TABS = 200


def open_tab(browser, url: str, touch: bool):
    viewport = {"width": 360, "height": 800} if touch else {"width": 1280, "height": 800}
    context = browser.new_context(viewport=viewport, has_touch=touch, is_mobile=touch)
    tab = context.new_page()
    tab.goto(url)
    return context, tab


def tab_to(tab, target) -> None:
    """Press Tab until ``target`` has the keyboard focus, as a keyboard user would."""
    for _ in range(MAX_TABS):
        tab.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target}")


@pytest.mark.parametrize(("page", "container", "trigger", "card"), CARDS)
@pytest.mark.parametrize("gesture", ["hover", "tab", "tap"])
def test_card_shows(browser, site, page: str, container: str, trigger: str, card: str,
                    gesture: str) -> None:
    context, tab = open_tab(browser, site.url(page), touch=gesture == "tap")
    try:
        holder = tab.locator(container).first
        target, shown = holder.locator(trigger).first, holder.locator(card).first
        assert not shown.is_visible()
        if gesture == "hover":
            target.hover()
        elif gesture == "tab":
            tab_to(tab, target)
        else:
            target.tap()
        assert shown.is_visible(), f"{gesture} on {trigger} did not show {card}"
        if gesture == "tap":
            target.tap()
            assert not shown.is_visible(), f"a second tap on {trigger} did not hide {card}"
    finally:
        context.close()
