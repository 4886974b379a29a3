"""Unit jobs in fixed shards of a layer with stable store keys (issue 15, item 2): a new
reference recomputes at most its unit's shard, and no other unit's images change."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import SITES, thread_cli

ARTICLE = """---
title: {title}
authors:
  - name: Ada Lovelace
published: 2025-05-0{day}
---

See {references}.
"""


def write_article(site: Path, name: str, day: int, units: list[str]) -> None:
    references = " and ".join(f"{{unit}}`tiny/{unit}`" for unit in units)
    (site / "content/demo" / f"{name}.md").write_text(
        ARTICLE.format(title=name.upper(), day=day, references=references))


def stored(site: Path) -> dict[str, dict]:
    """Store key → the manifest's builder and parameters."""
    return {path.parent.name: json.loads(path.read_text())
            for path in (site / "figures/store").glob("*/manifest.json")}


def icons(site: Path) -> dict[str, bytes]:
    """``layer/index`` → the PNG bytes of the icon on that unit's page."""
    found = {}
    for page in (site / "_site/units/tiny").glob("*/*/index.html"):
        html = page.read_text()
        src = re.search(r'<img src="([^"]+\.png)"[^>]* alt="Feature visualisation of unit', html)
        found[page.parent.relative_to(page.parents[2]).as_posix()] = \
            (page.parent / src.group(1)).resolve().read_bytes()
    return found


@pytest.fixture
def sharded(tmp_path: Path) -> Path:
    """The figures fixture site, tiny's layers (4 units) in shards of 2, conv1:0 referenced."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "valid/figures", site)
    (site / "content/demo/activations.md").unlink()  # its figures are not what this is about
    with (site / "site.toml").open("a") as toml:
        toml.write("\n[units]\nshard = 2\n")
    write_article(site, "a", 1, ["conv1:0"])
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    return site


@pytest.mark.torch
def test_one_more_reference_computes_only_its_shard(sharded: Path) -> None:
    before, shown = stored(sharded), icons(sharded)
    assert set(shown) == {"conv1/0", "conv2/0", "conv2/1", "conv2/2", "conv2/3"}  # + outputs
    write_article(sharded, "b", 2, ["conv1:3"])
    assert thread_cli("build", "--root", sharded).exit_code == 0
    after = stored(sharded)
    new = {key: after[key] for key in set(after) - set(before)}
    assert set(before) <= set(after)
    assert sorted((m["builder"], m["params"]["layer"], m["params"]["units"],
                   m["params"].get("objective")) for m in new.values()) == [
        ("feature-viz", "conv1", ["2-3"], "channel"),
        ("feature-viz", "conv1", ["2-3"], "diversity"),
        ("feature-viz", "conv1", ["2-3"], "negative"),
        ("unit-weights", "conv1", ["2-3"], None)]
    now = icons(sharded)
    assert {unit: now[unit] for unit in shown} == shown  # every other icon: the same bytes

    write_article(sharded, "c", 3, ["conv1:2", "conv1:1"])  # both in stored shards
    result = thread_cli("build", "--root", sharded)
    assert result.exit_code == 0 and "computed figure" not in result.output
    assert stored(sharded) == after


@pytest.mark.torch
@pytest.mark.parametrize(("objective", "per_unit"), [("channel", 1), ("negative", 1),
                                                     ("diversity", 3)])
def test_a_units_images_are_the_same_alone_and_in_a_batch(objective: str, per_unit: int) -> None:
    """Seeded by (seed, unit, copy): on the planted model the bytes are identical on CPU."""
    import torch

    from figures.featureviz import render
    from figures.models import load_model

    net = load_model({"source": "builtin:planted"}, Path("."), "cpu")
    units = [5, 0, 3]
    batch = render(net, "relu1", units, size=32, steps=8, objective=objective, per_unit=per_unit)
    for position, unit in enumerate(units):
        alone = render(net, "relu1", [unit], size=32, steps=8, objective=objective,
                       per_unit=per_unit)
        assert torch.equal(alone, batch[position * per_unit:(position + 1) * per_unit])
