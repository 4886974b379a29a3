"""How builder figures are presented (issue 17): the "Reproduce this figure" table leaves out
empty options; a weight diagram is laid out as labelled rows from its stored parts.

Both read the demo's committed figure store (real entries, no torch needed)."""

from __future__ import annotations

import json
from pathlib import Path

from generator.directives import Call
from generator.directives.builder_figure import reproduce

REPO = Path(__file__).resolve().parents[1]
STORE = REPO / "figures" / "store"


def entries(builder: str) -> list[dict]:
    found = []
    for manifest in sorted(STORE.glob("*/manifest.json")):
        data = json.loads(manifest.read_text())
        if data["builder"] == builder:
            found.append(data)
    return found


def test_reproduce_lists_how_the_figure_was_made_without_empty_options() -> None:
    manifest = next(m for m in entries("weight-diagram") if m["params"].get("units") == [])
    html = reproduce(Call("weight-diagram", Path("x.md"), 1), manifest)
    assert '<table><tr><th scope="row">Builder</th><td>weight-diagram</td></tr>' in html
    assert f'<th scope="row">Store key</th><td>{manifest["key"]}</td>' in html
    assert ":units:" not in html  # empty: the builder's default
    assert ":lower: relu1" in html and f":unit: {manifest['params']['unit']}" in html
    assert "<dl>" not in html


def test_weight_diagram_entries_keep_each_inputs_parts_for_the_page() -> None:
    """Each direct or expanded diagram stores, after its raster, one heatmap and one icon per
    input, the range of each input's weights and the colour scale's stops."""
    diagrams = [m for m in entries("weight-diagram") if m["params"]["mode"] != "nmf"]
    assert diagrams
    for manifest in diagrams:
        data = json.loads((STORE / manifest["key"] / manifest["data"]).read_text())
        count = len(data["inputs"])
        assert len(manifest["images"]) == 1 + 2 * count
        assert len(data["ranges"]) == count
        for (low, high), weights in zip(data["ranges"], data["weights"], strict=True):
            flat = [v for row in weights for v in row]
            assert (low, high) == (min(flat), max(flat)) and -1 <= low <= high <= 1
        assert [x for x, _ in data["scale"]] == [-1.0, -0.5, 0.0, 0.5, 1.0]
