"""Dataset examples on unit pages: ``[units] dataset = "NAME"``.

Every full unit page (atlas layers, referenced units) shows its nine top examples beside its
feature visualisation, as an HTML grid of crops with their activations. They come from the
same sharded scan as the articles' ``dataset-examples`` figures (one scan of a dataset for
every layer asked for), frozen in the store: a fresh ``_site`` builds ``--frozen`` without
torch. The fixture is tests/sites/valid/datasets with an atlas of ``planted/relu1``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SITES, child_env, thread_cli

FIXTURE = SITES / "valid" / "datasets"
UNITS = '\n[units]\natlas = ["planted/relu1"]\ndataset = "procedural"\n'
OUTPUT = REPO / "test-output" / "browser"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]


def _site(target: Path, units: str = UNITS) -> Path:
    shutil.copytree(FIXTURE, target)
    with (target / "site.toml").open("a") as config:
        config.write(units)
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str]:
    """The fixture with unit pages that show examples, built once (output kept)."""
    site = _site(tmp_path_factory.mktemp("units") / "site")
    # Seeded with the demo's committed store: the relu1 icons, negatives and diversity grids
    # the unit pages share with the demo are not computed again (34 s → 15 s); the scans of
    # this fixture's datasets and their examples are.
    shutil.copytree(REPO / "figures" / "store", site / "figures" / "store")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    return site, result.output


def _examples(page: str) -> list[tuple[str, float]]:
    """(title, value) of each example tile a unit page shows."""
    found = re.findall(r'<li class="example" title="([^"]*)">.*?'
                       r'<span class="example-value">([-0-9.]+)</span>', page, re.DOTALL)
    return [(title, float(value)) for title, value in found]


def test_an_unknown_units_dataset_is_an_error_at_its_line(tmp_path: Path) -> None:
    site = _site(tmp_path / "site", '\n[units]\natlas = ["planted/relu1"]\n'
                                    'dataset = "procedurl"\n')
    result = thread_cli("check", "--root", site)
    assert result.exit_code == 1
    line = (site / "site.toml").read_text().splitlines().index('dataset = "procedurl"') + 1
    assert f"site.toml:{line}: units.dataset: unknown dataset 'procedurl'" in result.output
    assert "did you mean 'procedural'?" in result.output
    assert "Traceback" not in result.output


@pytest.mark.torch
def test_one_scan_serves_the_articles_and_every_atlas_unit(built) -> None:
    """The article's relu2 figure and relu1's eight unit pages share one scan of three
    shards (plus one of the photos folder); each page shows exactly the top 9 of one
    in-process scan of relu1, best first."""
    from figures.datasets import Procedural
    from figures.planted import planted_model
    from figures.scan import scan

    site, output = built
    assert output.count("computed figure dataset-scan") == 4, output
    single = scan(planted_model(), Procedural(96, 0, 32), ["relu1"], 0, 96, 9, 16)
    lists = single["layers"]["relu1"]["positive"]
    assert len(lists) == 8
    for unit, best in enumerate(lists):
        page = (site / "_site" / "units" / "planted" / "relu1" / str(unit) / "index.html")
        shown = _examples(page.read_text())
        assert [value for _, value in shown] == [round(row[0], 2) for row in best]
        assert [int(re.search(r"image (\d+)", t)[1]) for t, _ in shown] == \
            [row[1] for row in best]
        assert 'id="dataset-examples"' in page.read_text()
        assert "96 scanned" in page.read_text()


@pytest.mark.torch
def test_edge_units_show_edges_and_lines_at_their_orientation(built) -> None:
    """What a reader sees: the planted edge unit 0's top crops are oriented stimuli (edges,
    lines, curve flanks), not noise or frequency boundaries alone."""
    site, _ = built
    page = (site / "_site" / "units" / "planted" / "relu1" / "0" / "index.html").read_text()
    kinds = [title.split()[0] for title, _ in _examples(page)]
    assert len(kinds) == 9 and sum(k in ("edge", "line", "curve") for k in kinds) >= 7, kinds


@pytest.mark.torch
def test_a_fresh_site_builds_frozen_without_torch(built, tmp_path: Path) -> None:
    """The examples are frozen in the store: a copy of the site with its store, no output
    and no torch builds every unit page with them."""
    site = Path(shutil.copytree(built[0], tmp_path / "copy", ignore=shutil.ignore_patterns(
        "_site", ".thread-cache")))
    blocked = ("import sys\nfor name in ('torch', 'torchvision', 'lucent'):\n"
               "    sys.modules[name] = None\n"
               "from generator.cli import main\nmain(sys.argv[1:])\n")
    done = subprocess.run([sys.executable, "-c", blocked, "build", "--root", str(site),
                           "--frozen"], env=child_env(), capture_output=True, text=True,
                          check=False, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    for unit in range(8):
        page = site / "_site" / "units" / "planted" / "relu1" / str(unit) / "index.html"
        assert len(_examples(page.read_text())) == 9


LAYOUT = """() => {
  const box = el => el.getBoundingClientRect();
  const tiles = [...document.querySelectorAll('.example img')];
  const viz = document.querySelector('.unit-figure img');
  return {scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth,
          tiles: tiles.map(img => ({w: box(img).width, h: box(img).height, left: box(img).left,
                                    right: box(img).right, top: box(img).top,
                                    loaded: img.naturalWidth > 0})),
          values: [...document.querySelectorAll('.example-value')].map(
            el => ({h: box(el).height, text: el.textContent})),
          viz: viz ? {right: box(viz).right, top: box(viz).top, bottom: box(viz).bottom} : null};
}"""


@pytest.mark.torch
@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 360])
def test_the_examples_grid_is_readable_at_phone_and_desktop_widths(built, width: int) -> None:
    """Chromium at 360 and 1280 px: nine tiles of at least 48 CSS px, each with its value under
    it, inside the viewport (rows wrap, nothing scrolls sideways); at 1280 px the grid sits
    beside the feature visualisation, at 360 px below it; a tap on the caption's "What each image
    shows" lists what each crop shows (a tooltip needs a mouse). Screenshots land in
    test-output/browser/unit-examples-WIDTH.png."""
    from playwright.sync_api import sync_playwright

    page_file = built[0] / "_site" / "units" / "planted" / "relu1" / "0" / "index.html"
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(page_file.as_uri())
            page.evaluate("() => { for (const img of document.images) img.loading = 'eager'; }")
            page.wait_for_load_state("load")
            page.wait_for_function("[...document.images].every(i => i.complete)")
            layout = page.evaluate(LAYOUT)
            page.locator(".unit-pair").screenshot(path=OUTPUT / f"unit-examples-{width}.png")
            listed = page.locator(".example-list li")
            closed = listed.first.is_visible()
            page.locator(".example-list summary").click()  # a tap: no hover on a phone
            shown = [(item.inner_text(), item.bounding_box()) for item in listed.all()]
        finally:
            browser.close()
    tiles = layout["tiles"]
    assert len(tiles) == 9 and all(t["loaded"] for t in tiles)
    assert all(t["w"] >= 48 and t["h"] >= 48 for t in tiles), tiles
    assert layout["scroll"] <= layout["inner"]
    assert all(t["left"] >= 0 and t["right"] <= layout["inner"] for t in tiles)
    assert all(v["h"] > 0 and re.fullmatch(r"-?\d+\.\d\d", v["text"]) for v in layout["values"])
    assert not closed and [text for text, _ in shown] == [
        f"{title}: {value:.2f}" for title, value in _examples(page_file.read_text())]
    assert all(box["x"] >= 0 and box["x"] + box["width"] <= layout["inner"] for _, box in shown)
    viz, first = layout["viz"], tiles[0]
    if width >= 1000:
        assert first["left"] >= viz["right"] and first["top"] < viz["bottom"]  # beside
    else:
        assert first["top"] >= viz["bottom"]  # below


def test_the_demo_unit_pages_show_frozen_examples(tmp_path: Path) -> None:
    """The demo site (``[units] dataset = "procedural"``) builds ``--frozen`` from its committed
    store: every relu1 atlas page and the referenced curve unit conv2:0 show nine examples."""
    from tests.conftest import copy_demo

    site = copy_demo(tmp_path / "demo")
    result = thread_cli("build", "--root", site, "--frozen")
    assert result.exit_code == 0, result.output
    units = site / "_site" / "units" / "planted"
    pages = [units / "relu1" / str(i) / "index.html" for i in range(8)]
    for page in pages + [units / "conv2" / "0" / "index.html"]:
        assert len(_examples(page.read_text())) == 9, page
    curves = [title.split()[0] for title, _ in
              _examples((units / "conv2" / "0" / "index.html").read_text())]
    assert curves.count("curve") >= 6, curves
