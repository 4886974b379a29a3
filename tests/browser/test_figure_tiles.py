"""Figures made of many small tiles stay readable on a phone (issue 17): each weight-diagram
input is its own icon and heatmap, at least 48 CSS px at 360 and 1280 px, named, with the range
of its weights and the colour scale under the rows."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

ARTICLE = "planted/curves-from-edges/"
MIN_TILE = 48

TILES = """() => [...document.querySelectorAll('.weight-diagram')].map(figure => ({
  tiles: [...figure.querySelectorAll('.weight-tiles img')].map(img => {
    const r = img.getBoundingClientRect();
    return {width: r.width, height: r.height, right: r.right, natural: img.naturalWidth};
  }),
  labels: [...figure.querySelectorAll('.weight-label')].map(el =>
    el.querySelector('.unit-link, .unit-name').textContent + ' ' +
    el.querySelector('.weight-range').textContent),
  bar: (() => { const bar = figure.querySelector('.weight-scale-bar');
                const r = bar.getBoundingClientRect();
                return {width: r.width, background: getComputedStyle(bar).backgroundImage}; })(),
  scale: figure.querySelector('.weight-scale').textContent,
  width: document.documentElement.clientWidth,
}))"""


def measure(browser, url: str, width: int, script: str):
    """``script``'s answer on ``url`` at ``width`` px, once every image has loaded."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        tab = context.new_page()
        tab.goto(url)
        tab.evaluate("document.querySelectorAll('img').forEach(img => img.loading = 'eager')")
        tab.wait_for_load_state("networkidle")
        return tab.evaluate(script)
    finally:
        context.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_weight_diagram_tiles_are_large_named_and_scaled(browser, site, width: int) -> None:
    figures = measure(browser, site.url(ARTICLE), width, TILES)
    assert figures, "the article has no weight diagram laid out as rows"
    for figure in figures:
        assert len(figure["tiles"]) == 2 * len(figure["labels"]) >= 2  # an icon and a heatmap
        for tile in figure["tiles"]:
            assert tile["natural"] > 0, "a tile did not load"
            assert min(tile["width"], tile["height"]) >= MIN_TILE, tile
            assert tile["right"] <= figure["width"], f"a tile runs off a {width} px screen"
        for label in figure["labels"]:  # "relu1:2 −0.66 … +0.66"
            assert re.fullmatch(r"relu1:\d+ −?\d\.\d\d … \+?\d\.\d\d", label), label
        assert "−1 inhibits" in figure["scale"] and "+1 excites" in figure["scale"]
        assert figure["bar"]["width"] >= 80
        colours = re.findall(r"rgb\((\d+), (\d+), (\d+)\)", figure["bar"]["background"])
        assert len(colours) == 5
        blue, red = (tuple(int(v) for v in c) for c in (colours[0], colours[-1]))
        assert blue[2] > blue[0] and red[0] > red[2], "the scale runs blue (−1) to red (+1)"


SPRITES = """() => [...document.querySelectorAll('.tile-grid .tile')].map(tile => {
  const r = tile.getBoundingClientRect(), style = getComputedStyle(tile);
  return {width: r.width, height: r.height, label: tile.getAttribute('aria-label'),
          image: style.backgroundImage, rendering: style.imageRendering,
          shown: tile.closest('li') ? tile.closest('li').querySelector('.tile-label').textContent
                                    : tile.closest('tr').querySelector('th').textContent};
})"""


@pytest.mark.parametrize("width", [360, 1280])
def test_banding_and_nmf_tiles_are_large_and_labelled(browser, site, width: int) -> None:
    """The banding plot's units and the NMF factors are windows onto one stored picture each:
    at least 48 CSS px, pixelated, each named (unit, and factor for NMF)."""
    tiles = measure(browser, site.url("planted/a-banded-layer/"), width, SPRITES)
    assert len(tiles) == 8 + 4 * 3  # eight conv3 units; four units × three factors
    for tile in tiles:
        assert min(tile["width"], tile["height"]) >= MIN_TILE, tile
        assert tile["image"].startswith("url(") and tile["rendering"] == "pixelated"
        assert tile["label"].startswith(tile["shown"]) and tile["shown"].startswith("conv3:")
    assert sum("factor" in tile["label"] for tile in tiles) == 12


STRIP = """() => [...document.querySelectorAll('.unit-strip li')].map(item => {
  const img = item.querySelector('img'), r = img.getBoundingClientRect();
  const link = item.querySelector('.unit-link');
  return {width: r.width, right: r.right, natural: img.naturalWidth, alt: img.alt,
          label: link ? link.textContent : item.textContent.trim()};
})"""


@pytest.mark.parametrize("width", [360, 1280])
def test_feature_viz_strips_name_every_unit_at_a_readable_size(browser, site, width: int
                                                              ) -> None:
    items = measure(browser, site.url(ARTICLE), width, STRIP)
    assert [item["label"] for item in items] == [f"conv2:{u}" for u in range(8)]
    for item in items:
        assert item["natural"] > 0 and item["alt"] == item["label"]
        assert item["width"] >= (90 if width == 360 else 120), item
        assert item["right"] <= width
