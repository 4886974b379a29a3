"""A ``{ref}`` to a figure a builder made (issue 19) previews that figure's picture: from
another article (the demo's comment → the weight diagram of "Curve Detectors From Edges") and
in the same article (→ its feature-viz strip), at a height that leaves the caption in view."""

from __future__ import annotations

import pytest

from .test_hover_cards import open_tab

pytestmark = pytest.mark.browser

REFS = [
    ("planted/limits-of-planting/", "Curve Detectors From Edges, Figure 6",
     "The strongest inputs of curve unit 0"),
    ("planted/curves-from-edges/", "Figure 2", "Feature visualisations of the eight planted"),
]


@pytest.mark.parametrize(("page", "text", "caption"), REFS, ids=["other-article", "same-article"])
@pytest.mark.parametrize("touch", [False, True], ids=["1280", "360"])
def test_a_reference_to_a_builder_figure_previews_its_picture(browser, site, output_dir,
                                                              page: str, text: str,
                                                              caption: str, touch: bool) -> None:
    context, tab = open_tab(browser, site.url(page), touch=touch)
    try:
        holder = tab.locator(".has-card.crossref", has=tab.get_by_text(text, exact=True)).first
        link, card = holder.locator(".xref"), holder.locator(".hover-card")
        link.scroll_into_view_if_needed()
        link.tap() if touch else link.hover()
        assert card.is_visible()
        picture = card.locator("img")
        tab.wait_for_function("img => img.complete && img.naturalWidth > 0",
                              arg=picture.element_handle())
        shown = picture.bounding_box()
        assert 60 <= shown["height"] <= 221 and shown["width"] >= 60, shown
        assert caption in card.inner_text()
        box = card.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= tab.viewport_size["height"]
        name = "other" if "Edges," in text else "same"
        tab.screenshot(path=str(output_dir / f"figure-ref-card-{name}-{360 if touch else 1280}.png"))
    finally:
        context.close()
