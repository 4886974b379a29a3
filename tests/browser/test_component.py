"""The demo's interactive component (```{component}```): with JavaScript its slider changes the
arc and the units' activations; without, and in print, the fallback image shows; it requests
nothing from outside the site."""

from __future__ import annotations

import json

import pytest

from .conftest import REPO
from .visit import Visit, open_page, record

DATA = json.loads((REPO / "content/planted/widgets/curve-data.json").read_text(encoding="utf-8"))

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def component_page(built_site) -> str:
    """The URL of the demo article that embeds a component."""
    return next(a.url for t in built_site.content.threads for a in t.articles
                if "{component}" in a.source.body)


def values(tab) -> list[float]:
    return [float(v) for v in tab.locator(".curve-explorer-value [data-unit]").all_inner_texts()]


def stored(step: int) -> list[float]:
    """The four units' activations at the ``step``-th orientation, as the data file has them."""
    return [DATA["activations"][str(unit)][step] for unit in DATA["units"]]


def test_the_slider_changes_the_arc_and_the_activations(browser, site, component_page,
                                                        output_dir) -> None:
    url = site.url(component_page)
    seen = Visit(url, 1280)
    context, tab = open_page(browser, url, 1280)
    try:
        record(tab, seen, site.origin)
        tab.goto(url, wait_until="load")
        root = tab.locator(".component")
        root.scroll_into_view_if_needed()
        tab.wait_for_function("() => document.querySelector('.component').dataset.live")
        assert not tab.locator(".component-fallback").is_visible()  # replaced on screen
        slider = tab.get_by_label("Stimulus orientation")
        assert slider.get_attribute("max") == "15"
        first, arc = values(tab), tab.locator(".curve-explorer-stimulus path").get_attribute("d")
        assert len(first) == 4 and tab.locator(".curve-explorer-angle").inner_text() == "0°"
        assert first == pytest.approx(stored(0), abs=0.006)
        slider.focus()
        for _ in range(4):
            tab.keyboard.press("ArrowRight")
        assert tab.locator(".curve-explorer-angle").inner_text() == "90°"
        assert values(tab) != first
        assert values(tab) == pytest.approx(stored(4), abs=0.006)
        assert max(values(tab)) == values(tab)[1]  # unit 2 peaks at 90°
        assert tab.locator(".curve-explorer-stimulus path").get_attribute("d") != arc
        slider.fill("8")  # dragging to a value fires input like the keys do
        assert tab.locator(".curve-explorer-angle").inner_text() == "180°"
        root.screenshot(path=str(output_dir / "component-live.png"))
        tab.wait_for_load_state("networkidle")
    finally:
        context.close()
    assert seen.foreign_requests == [] and seen.failed_requests == []
    assert seen.console_errors == []


def test_without_javascript_the_fallback_shows(browser, site, component_page,
                                               output_dir) -> None:
    url = site.url(component_page)
    context, tab = open_page(browser, url, 1280, javascript=False)
    try:
        tab.goto(url, wait_until="load")
        fallback = tab.locator(".component-fallback")
        fallback.scroll_into_view_if_needed()
        assert fallback.is_visible()
        fallback.evaluate("img => img.decode()")
        assert fallback.evaluate("img => img.naturalWidth") > 0
        assert tab.locator(".curve-explorer").count() == 0
        tab.locator(".component-figure").screenshot(path=str(output_dir / "component-nojs.png"))
    finally:
        context.close()


def test_in_print_the_fallback_shows(browser, site, component_page) -> None:
    url = site.url(component_page)
    context, tab = open_page(browser, url, 1280)
    try:
        tab.goto(url, wait_until="load")
        tab.wait_for_function("() => document.querySelector('.component').dataset.live")
        tab.emulate_media(media="print")
        assert tab.locator(".component-fallback").is_visible()
        assert not tab.locator(".curve-explorer").is_visible()
    finally:
        context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_the_live_component_passes_axe_and_fits(browser, site, component_page,
                                                width: int) -> None:
    """axe once the component is live (the site-wide axe test may run before its data came)."""
    from axe_playwright_python.sync_playwright import Axe

    url = site.url(component_page)
    context, tab = open_page(browser, url, width)
    try:
        tab.goto(url, wait_until="load")
        tab.wait_for_function("() => document.querySelector('.component').dataset.live")
        violations = Axe().run(tab).response["violations"]
        overflow = tab.evaluate("() => document.scrollingElement.scrollWidth - innerWidth")
    finally:
        context.close()
    blocking = [f"{v['impact']}: {v['id']} {[n['target'] for n in v['nodes'][:3]]}"
                for v in violations if v["impact"] in ("serious", "critical")]
    assert not blocking, "\n".join(blocking)
    assert overflow <= 0
