"""The figure pipeline: builder directives, the content-addressed store, --frozen, jobs, gc.

The fixture site (tests/sites/valid/figures/) has three builder figures: two of
``tiny-activations`` (models ``tiny``, built in, and ``saved``, a state dict file) and one
``tiny-chart`` (Vega-Lite). It is computed once per session; each test works on a copy.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from multiprocessing import forkserver
from pathlib import Path

import pytest
from conftest import SITES, built_copy, thread_cli, tree_digest
from conftest import build_site as build

from generator.jobs import worker_context

FIGURES_SITE = SITES / "valid" / "figures"
ARTICLE = "content/demo/activations.md"
pytestmark = pytest.mark.torch  # every test computes the fixture site's figures


def store_keys(site: Path) -> set[str]:
    store = site / "figures" / "store"
    return {p.parent.name for p in store.glob("*/manifest.json")}


def manifest(site: Path, key: str) -> dict:
    return json.loads((site / "figures" / "store" / key / "manifest.json").read_text())


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.fixture(scope="session")
def computed(tmp_path_factory) -> Path:
    return built_copy(FIGURES_SITE, tmp_path_factory.mktemp("computed") / "site")


@pytest.fixture
def site(computed: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "site"
    shutil.copytree(computed, copy)
    return copy


def recomputed(site: Path, *args: str) -> list[dict]:
    """Build, and return the manifests of the entries this build added."""
    before = store_keys(site)
    result = build(site, *args)
    assert result.exit_code == 0, result.output
    return [manifest(site, key) for key in sorted(store_keys(site) - before)]


def test_three_builder_figures_build_with_images_chart_and_reproduce_note(site: Path) -> None:
    assert len(store_keys(site)) == 3
    page = (site / "_site" / "demo" / "activations" / "index.html").read_text()
    assert page.count('class="l-body builder-figure"') == 2
    assert page.count('class="l-page builder-figure"') == 1
    assert 'id="fig-first"' in page and "Figure 1:" in page
    assert page.count('<source type="image/webp" srcset="') == 2
    assert 'width="128" height="128" style="image-rendering: pixelated" loading="lazy"' in page
    assert "Channel 0 of <code>conv1</code>, upscaled" in page  # the directive's caption
    assert "Channel 1 of <code>conv1</code>." in page  # the builder's default caption
    assert 'alt="An 8 by 8 map of channel 1 of conv1."' in page  # the builder's alt text
    assert 'alt="Bars of each channel&#39;s mean activation."' in page  # the directive's
    assert page.count("Reproduce this figure") == 3
    assert ":model: saved" in page and "torch 2." in page
    bundle = next((site / "_site" / "assets").glob("*.js"))
    assert ".vega-chart[data-spec]" in bundle.read_text()[-2000:]
    assert f'src="../../assets/{bundle.name}"' in page


def test_weight_images_are_upscaled_pixel_exact(site: Path) -> None:
    from PIL import Image

    key = next(k for k in store_keys(site) if manifest(site, k)["builder"] == "tiny-activations")
    with Image.open(site / "figures" / "store" / key / "image-0@2x.png") as image:
        assert image.size == (256, 256)
        block = {image.getpixel((x, y)) for x in range(32) for y in range(32)}
    assert len(block) == 1, "nearest neighbour: each weight is one flat 32×32 block at 2×"


def test_chart_has_vega_lite_spec_and_static_svg_fallback(site: Path) -> None:
    key = next(k for k in store_keys(site) if manifest(site, k)["builder"] == "tiny-chart")
    entry = site / "figures" / "store" / key
    assert json.loads((entry / "chart.vl.json").read_text())["mark"] == "bar"
    assert (entry / "chart.svg").read_text().lstrip().startswith("<svg")


def test_second_build_recomputes_nothing_and_imports_no_torch(site: Path) -> None:
    store = tree_digest(site / "figures" / "store")
    code = ("import sys; from pathlib import Path; from generator import build; "
            f"build.run(Path({str(site)!r}), out=Path({str(site / 'again')!r})); "
            "print(sorted(m for m in ('torch', 'torchvision', 'lucent', 'numpy') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    assert tree_digest(site / "figures" / "store") == store
    assert tree_digest(site / "again") == tree_digest(site / "_site")


def test_editing_a_builder_recomputes_exactly_its_figures(site: Path) -> None:
    edit(site / "figures" / "chart.py", "    net = ctx.models[model]",
         "    net = ctx.models[model]  # edited")
    assert [m["builder"] for m in recomputed(site)] == ["tiny-chart"]


def test_editing_a_parameter_recomputes_exactly_that_figure(site: Path) -> None:
    edit(site / ARTICLE, ":channel: 0", ":channel: 3")
    [entry] = recomputed(site)
    assert entry["params"]["channel"] == 3 and list(entry["models"]) == ["tiny"]


def test_editing_a_model_recomputes_exactly_the_figures_using_it(site: Path) -> None:
    import torch

    from figures.tiny_cnn import tiny_cnn

    torch.manual_seed(2)
    torch.save(tiny_cnn().state_dict(), site / "models" / "tiny.pt")
    [entry] = recomputed(site)
    assert list(entry["models"]) == ["saved"] and entry["params"]["channel"] == 1


def test_frozen_build_names_stale_figures_and_writes_nothing(site: Path) -> None:
    edit(site / ARTICLE, ":channel: 0", ":channel: 3")
    store = tree_digest(site / "figures" / "store")
    result = build(site, "--frozen")
    assert result.exit_code == 1
    assert f"{ARTICLE}:12: figure 'tiny-activations' is stale" in result.output
    assert result.output.count("is stale") == 1
    assert tree_digest(site / "figures" / "store") == store
    assert build(site, "--frozen", "--out", site / "other").exit_code == 1
    assert not (site / "other").exists()


def test_failing_builder_fails_only_its_figure_and_the_next_build_resumes(tmp_path) -> None:
    site = tmp_path / "site"
    shutil.copytree(FIGURES_SITE, site)
    # channel 99 of a 4-channel layer: the builder raises (a :layer: that does not exist would
    # be an error at its line before anything is computed, see tests/test_check_parity.py)
    edit(site / ARTICLE, ":model: saved\n:channel: 1\n", ":model: saved\n:channel: 99\n")
    result = build(site)
    assert result.exit_code == 1
    assert f"{ARTICLE}:22: figure builder 'tiny-activations' failed: " in result.output
    assert "index 99 is out of bounds" in result.output
    assert len(store_keys(site)) == 2, "the other two figures were kept"
    edit(site / ARTICLE, ":channel: 99\n", ":channel: 1\n")
    [entry] = recomputed(site)
    assert entry["params"]["model"] == "saved"


def test_interrupted_writes_leave_no_entry_and_are_cleaned(site: Path) -> None:
    from generator.store import FigureStore

    store = FigureStore(site / "figures" / "store")
    leftover = store.folder / ".tmp-deadbeef-1"
    leftover.mkdir()
    (leftover / "image-0.png").write_bytes(b"half")
    with pytest.raises(TypeError):
        store.put("feedface", {"a.txt": b"ok", "b.txt": None}, {})
    assert store.get("feedface") is None and "feedface" not in store.stored_keys()
    assert recomputed(site) == []
    assert not list(store.folder.glob(".tmp-*"))


def test_two_figure_jobs_run_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """...in workers forked from a fork server started earlier (it imported torch once), which
    still see the build's environment as it is now, and use their share of the cores."""
    site = tmp_path / "site"
    shutil.copytree(FIGURES_SITE, site)
    edit(site / ARTICLE, ":channel: 0\n", ":channel: 0\n:hold: 1.5\n")
    edit(site / ARTICLE, ":channel: 1\n", ":channel: 1\n:hold: 1.5\n")
    assert worker_context().get_start_method() == "forkserver"  # Linux, as in CI
    forkserver.ensure_running()
    monkeypatch.setenv("THREAD_TEST_MARK", f"set after the fork server started {os.getpid()}")
    entries = [m for m in recomputed(site, "--workers", "2") if m["params"].get("hold")]
    data = [json.loads((site / "figures" / "store" / m["key"] / "data.json").read_text())
            for m in entries]
    assert len({d["pid"] for d in data}) == 2
    first, second = sorted(data, key=lambda d: d["started"])
    assert second["started"] < first["finished"], "the two jobs overlapped in time"
    share = int(os.environ.get("OMP_NUM_THREADS", max(1, (os.cpu_count() or 1) // 2)))
    assert [(d["mark"], d["threads"]) for d in data] == 2 * [(os.environ["THREAD_TEST_MARK"], share)]


@pytest.mark.parametrize(("option", "message"), [
    (":chanel: 1", ("unknown option ':chanel:' for directive 'tiny-activations' "
                    "(did you mean 'channel'?)")),
    (":channel: many", "option ':channel:' of directive 'tiny-activations': "),
])
def test_bad_builder_options_are_reported_with_their_line(site: Path, option: str,
                                                           message: str) -> None:
    edit(site / ARTICLE, ":channel: 0", option)
    result = build(site)
    assert result.exit_code == 1
    assert f"{ARTICLE}:14: {message}" in result.output
    assert "Traceback" not in result.output


def test_unknown_model_is_reported_at_the_directive(site: Path) -> None:
    edit(site / ARTICLE, ":model: tiny\n:channel: 0", ":model: tinyy\n:channel: 0")
    result = build(site)
    assert result.exit_code == 1
    assert f"{ARTICLE}:12: unknown model 'tinyy' (did you mean 'tiny'?)" in result.output


def test_figures_list_and_gc(site: Path) -> None:
    edit(site / ARTICLE, ":channel: 0", ":channel: 3")
    listing = thread_cli("figures", "list", "--root", site).output
    assert listing.count("fresh") == 2 and listing.count("stale") == 2  # incl. the summary
    assert listing.count("unreferenced") == 1
    assert f"{ARTICLE}:12" in listing
    before = store_keys(site)
    result = thread_cli("figures", "gc", "--root", site)
    assert result.exit_code == 0 and "Removed 1 store entries." in result.output
    assert len(store_keys(site)) == len(before) - 1
