"""The formula set (tests/sites/valid/maths) as Chromium draws it, measured where a reader looks.

Screenshots of the whole page at a phone's and a laptop's width land in
``test-output/browser/maths-formulas-{360,1280}.png`` for a person to look at.
"""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Iterator

import pytest
from PIL import Image

from generator import build as pipeline

from .conftest import REPO, WIDTHS, ensure_installed, serve_folder
from .test_html_valid import JAVA, vnu_jar

pytestmark = pytest.mark.browser

FIXTURE = REPO / "tests/sites/valid/maths"
PAGE = "maths/formulas/"


@pytest.fixture(scope="module")
def maths_site(tmp_path_factory: pytest.TempPathFactory) -> pipeline.Build:
    return pipeline.run(FIXTURE, out=tmp_path_factory.mktemp("maths") / "site")


@pytest.fixture(scope="module")
def maths_url(maths_site: pipeline.Build) -> Iterator[str]:
    """The fixture site, served under its base path; the formulas page's URL."""
    with serve_folder(maths_site.out_dir, "/maths/") as origin:
        yield f"{origin}/maths/{PAGE}"


@pytest.fixture(scope="module")
def pages(browser, maths_url, output_dir):
    """One loaded page per width (fonts ready), screenshotted whole."""
    opened = {}
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 900}, device_scale_factor=2)
        requests: list[str] = []
        page.on("request", lambda request, seen=requests: seen.append(request.url))
        page.goto(maths_url)
        page.evaluate("document.fonts.ready.then(() => true)")
        page.screenshot(path=str(output_dir / f"maths-formulas-{width}.png"), full_page=True)
        opened[width] = (page, requests)
    yield opened
    for page, _ in opened.values():
        page.close()


def ink(locator) -> int:
    """Dark pixels in a screenshot of one element: how much a reader sees of it."""
    image = Image.open(io.BytesIO(locator.screenshot())).convert("L")
    return sum(image.point(lambda v: 1 if v < 128 else 0).histogram()[1:2])


def test_the_maths_font_is_loaded_from_the_site(pages) -> None:
    page, requests = pages[1280]
    faces = page.evaluate("[...document.fonts].map(f => [f.family, f.status])")
    assert ['"Latin Modern Math"', "loaded"] in faces or ["Latin Modern Math", "loaded"] in faces
    assert any(url.endswith("/static/fonts/latinmodern-math.otf") for url in requests)
    assert all(url.startswith("http://127.0.0.1:") for url in requests)


def test_sized_delimiters_grow_and_a_closing_one_before_a_superscript_too(pages) -> None:
    page, _ = pages[1280]
    plain = page.locator('mo[stretchy="false"]', has_text="(").first.bounding_box()["height"]
    # the formula \big(a + b\big)^2 \quad \Big(a + b\Big)^2 ... (the only one with \Bigg)
    sizes = page.evaluate("""() => {
      const math = document.querySelector('mo[minsize="2.470em"]').closest('math');
      return ['1.2em', '1.623em', '2.047em', '2.470em'].map(size => {
        const [open, close] = math.querySelectorAll(`mo[minsize="${size}"]`);
        return [open.getBoundingClientRect().height, close.getBoundingClientRect().height,
                close.closest('msup') ? 'msup' : close.parentElement.localName];
      });
    }""")
    heights = [opening for opening, _, _ in sizes]
    assert plain < heights[0] < heights[1] < heights[2] < heights[3]
    assert heights[1] > 1.5 * plain  # \Big( is half as tall again as (
    for opening, closing, parent in sizes:  # \Big)^2: the ) carries the 2 and is as tall as (
        assert closing == pytest.approx(opening, abs=0.5) and parent == "msup"


def ink_span(page, selector: str, index: int = 0) -> tuple[float, float]:
    """Left and right of the ink of ``selector``'s ``index``-th element alone, in CSS px: every
    other glyph of its formula is made transparent for the screenshot."""
    element = page.locator(selector).nth(index)
    math = element.locator("xpath=ancestor::*[local-name()='math']")
    math.scroll_into_view_if_needed()
    box = math.bounding_box()
    math.evaluate("m => m.style.color = 'transparent'")
    element.evaluate("e => e.style.color = 'black'")
    try:
        shot = page.screenshot(clip=box)
    finally:
        element.evaluate("e => e.style.color = ''")
        math.evaluate("m => m.style.color = ''")
    image = Image.open(io.BytesIO(shot)).convert("L")
    left, _, right, _ = image.point(lambda v: 255 if v < 160 else 0).getbbox()
    scale = image.width / box["width"]
    return box["x"] + left / scale, box["x"] + right / scale


def test_a_big_delimiter_sits_close_to_what_it_encloses(pages) -> None:
    page, _ = pages[1280]
    # Chromium lays a stretchy ( out as wide as its widest variant (0.875em in Latin Modern)
    # and centres the one it draws; \big( x_t must not read "( x_t"
    big = ink_span(page, 'mo[minsize="1.2em"]')[1]
    after_big = ink_span(page, 'mo[minsize="1.2em"] + *')[0]
    plain = ink_span(page, 'mo[stretchy="false"]')[1]
    after_plain = ink_span(page, 'mo[stretchy="false"] + *')[0]
    assert after_big - big <= after_plain - plain + 2.0


def test_bold_letters_are_drawn_bold(pages) -> None:
    page, _ = pages[1280]
    intro = page.locator(".d-body > p").first
    bold, regular = intro.locator("mi", has_text="\U0001d431"), intro.locator("mi", has_text="x")
    assert bold.count() == 1 and regular.count() >= 1
    assert ink(bold) > 1.25 * ink(regular.first)


def test_k_w_reads_as_k_sub_w(pages) -> None:
    page, _ = pages[1280]
    k, w = page.evaluate("""() => [...document.querySelector('.d-body > p msub').children]
                                     .map(e => {
        const r = e.getBoundingClientRect();
        return {bottom: r.bottom, left: r.left, right: r.right,
                size: parseFloat(getComputedStyle(e).fontSize), text: e.textContent}; })""")
    assert (k["text"], w["text"]) == ("k", "w")
    assert w["size"] < 0.8 * k["size"]  # smaller,
    assert w["bottom"] > k["bottom"] + 1 and w["left"] >= k["right"] - 1  # lower, after the k


def test_a_cancelled_term_is_struck_through(pages) -> None:
    page, _ = pages[1280]
    assert page.locator("mrow.math-cancel").count() == 1
    cancelled = page.locator("mrow.math-cancel").element_handle()  # kept when its class goes
    struck = ink(cancelled)
    cancelled.evaluate("row => row.classList.remove('math-cancel')")
    assert struck > 1.2 * ink(cancelled)


def test_a_superscript_clears_a_slanted_letter(pages) -> None:
    page, _ = pages[1280]
    # W^h_{OV}: the h starts past the W's box, by the italic correction
    base, superscript = page.evaluate("""() => {
        const script = [...document.querySelectorAll('msubsup')].find(
            s => s.children[0].textContent === 'W' && s.children[2].textContent === 'h');
        return [script.children[0].getBoundingClientRect().right,
                script.children[2].getBoundingClientRect().left];
    }""")
    assert superscript >= base + 2


@pytest.mark.parametrize("width", WIDTHS, ids=lambda w: f"{w}px")
def test_wide_formulas_scroll_inside_their_box_not_the_page(pages, width: int) -> None:
    page, _ = pages[width]
    geometry = page.evaluate("""() => ({page: document.scrollingElement.scrollWidth,
                                        view: document.documentElement.clientWidth})""")
    assert geometry["page"] <= geometry["view"]


def test_the_formulas_page_is_valid_html(maths_site: pipeline.Build) -> None:
    java = ensure_installed(JAVA, "openjdk-17-jre-headless")
    page = maths_site.out_dir / PAGE / "index.html"
    checked = subprocess.run([str(java), "-jar", str(vnu_jar()), "--errors-only",
                              "--format", "json", str(page)],
                             capture_output=True, text=True, timeout=120, check=False)
    messages = json.loads(checked.stderr or checked.stdout)["messages"]
    assert [m["message"] for m in messages if m["type"] != "info"] == []
