"""``[units] atlas``: every unit of a layer gets a page and a place on its model's index,
referenced or not (issue 15, item 1); the demo's atlas builds from the committed store
without torch."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_demo, thread_cli
from test_workflows_torchless import fresh_copy, torchless_env

from generator import build as pipeline


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the demo site and its committed store."""
    return copy_demo(tmp_path / "site")


def set_atlas(site: Path, entries: str) -> None:
    toml = site / "site.toml"
    toml.write_text(re.sub(r"(?m)^atlas = .*$", f"atlas = {entries}", toml.read_text()))


def test_the_demo_atlas_builds_every_unit_page_without_torch(tmp_path: Path) -> None:
    copy = fresh_copy(tmp_path / "repo")
    store = sorted(p.name for p in (copy / "figures/store").iterdir())
    result = subprocess.run([sys.executable, "-m", "generator", "build"], cwd=copy,
                            env=torchless_env(tmp_path, copy), capture_output=True, text=True,
                            timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in (copy / "figures/store").iterdir()) == store  # nothing computed
    out = copy / "_site"
    for index in range(8):  # relu1 has 8 units; articles reference 0 and 4
        html = (out / f"units/planted/relu1/{index}/index.html").read_text()
        assert re.search(r'alt="Feature visualisation of unit \d', html)
        assert 'id="variants"' in html and 'id="inputs"' in html
        if index not in (0, 4):
            assert "in the site's atlas of <code>relu1</code>" in html
            assert 'id="referenced-by"' not in html
    model = (out / "units/planted/index.html").read_text()
    atlas = model[model.index('id="atlas-units"'):model.index('id="connected-units"')]
    assert re.findall(r'<li><a href="([^"]+)">', atlas) == [f"relu1/{i}/" for i in range(8)]
    assert 'href="units/planted/"' in (out / "index.html").read_text()  # home links the index


def test_model_star_names_each_family_once(demo: Path) -> None:
    set_atlas(demo, '["planted/*"]')
    build = pipeline.run(demo, stages=pipeline.RESOLVE_STAGES)
    full = build.resolver.unit_jobs.full["planted"]
    # conv1, relu1 and pool1 are one family; conv2 is referenced by that name; conv3's is relu3
    assert full == {("planted", layer, i) for layer in ("relu1", "conv2", "relu3")
                    for i in range(8)}


def test_figures_gc_keeps_every_shard_the_pages_show(demo: Path) -> None:
    """Resolve plans every shard the store allows, the neighbours' icon shards included, so
    ``figures list`` and ``gc`` (which stop after resolve) see them all."""
    result = thread_cli("figures", "list", "--root", demo)
    assert result.exit_code == 0 and "unreferenced" not in result.output, result.output


@pytest.mark.parametrize(("entries", "message"), [
    ('["planted/relu1",\n  "planted/relu9"]',
     ("site.toml:35: units.atlas: model 'planted' has no layer 'relu9' (did you mean "
      "'relu3'?)")),
    ('["planted/relu1", "plantd/relu1"]',
     ("site.toml:35: units.atlas: unknown model 'plantd' in 'plantd/relu1' (did you mean "
      "'planted'?)")),
    ('["relu1"]', "site.toml:35: units.atlas: 'relu1' is not model/layer or model/*"),
])
def test_a_bad_atlas_entry_is_a_site_toml_error(demo: Path, entries: str, message: str) -> None:
    set_atlas(demo, entries)
    assert "atlas = " in (demo / "site.toml").read_text().splitlines()[34]
    result = thread_cli("check", "--root", demo)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0].startswith(message), result.stderr
