"""Every page type, at a phone's and a laptop's width, loads cleanly and keeps its layout.

Each (page, width) is loaded once; the tests below assert on what that visit saw.
"""

from __future__ import annotations

import pytest

from .conftest import PAGE_TYPES, WIDTHS
from .visit import Visit, visit

pytestmark = pytest.mark.browser

SLACK = 1.0  # px of rounding allowed when comparing boxes


@pytest.fixture(scope="package")
def visits(browser, site, output_dir):
    """``get(page, width)``: the cached visit of a page type or site-relative URL."""
    seen: dict[tuple[str, int], Visit] = {}

    def get(page: str, width: int) -> Visit:
        url = site.url(page)
        if (url, width) not in seen:
            name = (page.strip("/").replace("/", "-") or "home") + f"-{width}.png"
            seen[url, width] = visit(browser, url, width, site.origin,
                                     screenshot=output_dir / name)
        return seen[url, width]

    return get


every_width = pytest.mark.parametrize("width", WIDTHS, ids=lambda w: f"{w}px")
every_page = pytest.mark.parametrize("page_type", PAGE_TYPES)


@every_page
@every_width
def test_every_image_loads(visits, page_type: str, width: int) -> None:
    assert visits(page_type, width).broken_images == []


@every_page
@every_width
def test_no_console_errors(visits, page_type: str, width: int) -> None:
    assert visits(page_type, width).console_errors == []


@every_page
@every_width
def test_no_failed_requests(visits, page_type: str, width: int) -> None:
    assert visits(page_type, width).failed_requests == []


@every_page
@every_width
def test_no_request_leaves_the_local_server(visits, page_type: str, width: int) -> None:
    assert visits(page_type, width).foreign_requests == []


@every_page
@every_width
def test_body_never_scrolls_sideways(visits, page_type: str, width: int) -> None:
    geometry = visits(page_type, width).geometry
    assert geometry["scrollWidth"] <= geometry["innerWidth"], geometry


@every_page
@every_width
def test_screenshot_is_saved_for_review(visits, page_type: str, width: int) -> None:
    screenshot = visits(page_type, width).screenshot
    assert screenshot.is_file() and screenshot.stat().st_size > 1000


@every_page
def test_page_answers_with_its_status(visits, page_type: str) -> None:
    assert visits(page_type, 1280).status == (404 if page_type == "404" else 200)


def test_every_layout_column_is_exercised_by_the_demo_site(visits, site) -> None:
    layouts = {p["layout"] for url in site.articles for p in visits(url, 1280).geometry["placed"]}
    assert {"l-page", "l-screen", "l-gutter"} <= layouts


@every_width
def test_figures_sit_in_their_layout_column(visits, site, width: int) -> None:
    for url in site.articles:
        geometry = visits(url, width).geometry
        for placed in geometry["placed"]:
            problem = misplaced(placed, geometry["text"], geometry["clientWidth"], wide=width >= 1000)
            assert problem is None, f"{url} at {width}px: <{placed['tag']} class={placed['layout']}> "\
                                    f"{problem}: {placed} vs text {geometry['text']}"


def misplaced(box: dict, text: dict, viewport: float, wide: bool) -> str | None:
    """Why ``box`` is not where its layout class puts it, relative to the text column."""
    if box["left"] < -SLACK or box["right"] > viewport + SLACK:
        return "sticks out of the viewport"
    layout = box["layout"]
    if layout == "l-screen" and (box["left"] > SLACK or box["right"] < viewport - SLACK):
        return "does not span the viewport"
    if layout == "l-page" and wide and not (box["left"] < text["left"] and
                                            box["right"] > text["right"]):
        return "is not wider than the text column on both sides"
    if layout == "l-page" and box["width"] < text["width"] - SLACK:
        return "is narrower than the text column"
    if layout == "l-gutter" and wide and box["left"] < text["right"]:
        return "is not to the right of the text"
    if layout == "l-gutter" and not wide and (box["left"] < text["left"] - SLACK or
                                              box["right"] > text["right"] + SLACK):
        return "is not in the text column on a narrow screen"
    return None
