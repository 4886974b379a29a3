"""The article's ``dataset-examples`` figures are HTML (generator/directives/example_grid.py):
each unit's name, with its hover card, over a grid of its top crops, every crop at least 48 CSS
px on a 360 px phone, upscaled nearest-neighbour from the stored picture, with its activation
under it as text; nothing runs off the screen."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_figure_tiles import ARTICLE, MIN_TILE, measure

pytestmark = pytest.mark.browser

EXAMPLES = """async () => Promise.all([...document.querySelectorAll('.example-units')].map(
  async figure => {
    const sprite = getComputedStyle(figure.querySelector('.tile')).backgroundImage
      .slice(5, -2);
    const picture = new Image();
    picture.src = sprite;
    await picture.decode().catch(() => null);
    return {
      id: figure.closest('figure').id,
      loaded: picture.naturalWidth,
      width: document.documentElement.clientWidth,
      units: [...figure.querySelectorAll('.example-unit')].map(unit => ({
        name: unit.querySelector('.example-unit-name :is(.unit-link, .unit-name)').textContent,
        card: !!unit.querySelector('.has-card .unit-link'),
        tiles: [...unit.querySelectorAll('.example-tiles li')].map(item => {
          const tile = item.querySelector('.tile'), r = tile.getBoundingClientRect();
          const style = getComputedStyle(tile);
          return {width: r.width, height: r.height, left: r.left, right: r.right,
                  rendering: style.imageRendering, image: style.backgroundImage,
                  value: item.querySelector('.example-value').textContent,
                  label: tile.getAttribute('aria-label')};
        }),
      })),
    };
  }))"""


@pytest.mark.parametrize("width", [360, 1280])
def test_dataset_examples_are_named_grids_of_large_pixelated_crops(browser, site,
                                                                   width: int) -> None:
    figures = {f["id"]: f for f in measure(browser, site.url(ARTICLE), width, EXAMPLES)}
    assert set(figures) == {"fig-curve-examples", "fig-edge-examples"}
    for figure_id, (layer, k) in {"fig-curve-examples": ("conv2", 9),
                                  "fig-edge-examples": ("relu1", 6)}.items():
        figure = figures[figure_id]
        assert figure["loaded"] > 0, "the picture of crops did not load"
        assert [unit["name"] for unit in figure["units"]] == [f"{layer}:{u}" for u in range(8)]
        for unit in figure["units"]:
            assert unit["card"], f"{unit['name']} is not a link with its hover card"
            assert len(unit["tiles"]) == k
            for tile in unit["tiles"]:
                assert min(tile["width"], tile["height"]) >= MIN_TILE, tile
                assert 0 <= tile["left"] and tile["right"] <= figure["width"], tile
                assert tile["rendering"] == "pixelated" and tile["image"].startswith("url(")
                assert re.fullmatch(r"-?\d+\.\d\d", tile["value"]), tile
                assert tile["label"].startswith(f"{unit['name']} example ")
                assert tile["label"].endswith(f"activation {tile['value']}")
            values = [float(tile["value"]) for tile in unit["tiles"]]
            assert values == sorted(values, reverse=True), "examples are not best first"


def test_a_dataset_examples_unit_name_shows_its_hover_card(browser, site) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        tab = context.new_page()
        tab.goto(site.url(ARTICLE))
        holder = tab.locator("#fig-curve-examples .has-card.unit-ref").first
        card = holder.locator(".hover-card").first
        assert not card.is_visible()
        holder.locator(".unit-link").first.hover()
        card.wait_for(state="visible", timeout=5000)
        assert card.text_content().strip() == "planted / conv2 / unit 0"
    finally:
        context.close()
