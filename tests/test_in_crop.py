"""What a crop of a procedural curve shows (``figures.procedural.in_crop``), checked against the
drawn image, and how unit pages name it."""

from __future__ import annotations

import pytest

from figures.procedural import in_crop, label
from generator.unit_pages import example_label

SIDE = 32


def _curve(orientation: float = 0.0, radius: float = 8.0) -> dict:
    """A centred curve (the apex at the image's centre, offset = margin)."""
    margin = SIDE // 4
    return {"kind": "curve", "orientation": orientation, "radius": radius, "contrast": 1.0,
            "offset": [margin, margin], "width": 1.5, "noise_seed": 0}


def test_a_crop_around_the_whole_arc_shows_the_labels_orientation() -> None:
    seen = in_crop(_curve(30.0), (0, 0, SIDE), SIDE)
    assert seen == {"orientation": 30.0, "arc": 120.0}


def test_a_crop_of_one_end_shows_the_arc_turned_towards_that_end() -> None:
    # orientation 0°: the arc bulges right (+x); its centre is 8 px left of the apex at
    # (15.5, 15.5), so its ends lie at rows 8.6 and 22.4; rows 0-12 hold normals −60°…−26°
    upper = in_crop(_curve(0.0), (0, 4, 13), SIDE)  # columns 4-16: the arc is at x 11.5-15.5
    lower = in_crop(_curve(0.0), (19, 4, 13), SIDE)
    assert upper is not None and lower is not None
    assert 310 < upper["orientation"] < 325 and 30 < upper["arc"] < 40
    assert 35 < lower["orientation"] < 50 and 30 < lower["arc"] < 40
    assert in_crop(_curve(0.0), (0, 0, SIDE), SIDE)["orientation"] == 0.0  # not 360


def test_no_arc_in_the_crop_and_straight_kinds_give_none() -> None:
    assert in_crop(_curve(0.0), (0, 26, 6), SIDE) is None  # the far right: past the apex
    assert in_crop({**_curve(), "kind": "line"}, (0, 0, SIDE), SIDE) is None


@pytest.mark.torch
def test_in_crop_agrees_with_the_drawn_pixels() -> None:
    """For ~200 procedural curves and a 12 px crop at the image's centre, checked against the
    drawn pixels: dark ink 3 px inside the crop (beyond the widest stroke's half-width and its
    anti-aliasing) means ``in_crop`` found the arc; no arc found means no ink in that inner
    square. Noise is σ 0.05, so ink is read as a darkening of half the contrast."""
    pytest.importorskip("torch")
    from figures.procedural import draw

    box, found, checked = (10, 10, 12), 0, 0
    for index in range(800):
        info = label(0, index, SIDE)
        if info["kind"] != "curve":
            continue
        checked += 1
        ink = 1 - draw(0, index, SIDE).mean(dim=0)
        inner = bool((ink[13:19, 13:19] > 0.5 * info["contrast"]).any())
        seen = in_crop(info, box, SIDE)
        found += seen is not None
        assert not inner or seen is not None, (index, info)
    assert checked > 150 and 0.2 * checked < found < checked


def test_unit_pages_name_the_part_a_crop_shows() -> None:
    record = {"id": 3, "kind": "curve", "orientation": 23.4,
              "in_crop": {"orientation": 41.2, "arc": 70.0}}
    assert example_label(record) == "curve 23° (41° in the crop)"
    assert example_label({**record, "in_crop": {"orientation": 23.2, "arc": 120.0}}) == "curve 23°"
    assert example_label({"id": 4, "kind": "line", "orientation": 90.0}) == "line 90°"
