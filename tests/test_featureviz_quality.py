"""Feature visualisations a person can read (issue 17), measured per image on the planted model.

Thresholds, and the measurements they were chosen from (CPU, seed 0, standard transforms):

- **not flat**: pixel standard deviation ≥ :data:`STD_FLOOR` = 0.075. The flat grey icons of
  issue 17 measured 0.002-0.003 (the trained CNN's neuron icons, before the redirected ReLU);
  grey icons of nearly dead trained units, the starting noise grown by 64 steps, 0.042-0.063
  (2026-12-02: the floor was 0.05 and let six of them pass); the weakest planted icon measures
  0.09 (``relu3``, neuron, 64 px), the weakest readable trained one 0.096.
- **not noise**: fraction of spectral energy above half the Nyquist frequency ≤
  :data:`HF_CEILING` = 0.30. White noise measures 0.80, the trained CNN's ``relu2`` speckle
  textures of issue 17 0.36-0.39; the planted icons 0.02-0.24 (their edge units' Gabors have a
  5 px wavelength, 0.2 cycles/px, so sharp stripes are their honest picture).
- **the planted arc is visible**: the image's oriented-edge energy matches the arc at the
  unit's planted orientation better than the arc at any other of the eight orientations
  (:func:`figures.featureviz.arc_match`, the planted geometry: radius 4 px, ±70°). Measured:
  8/8 units at the builder defaults (128 px, 256 steps, channel objective); at the icon
  settings (64 px, 64 steps) 7/8 channel (unit 3 matches the arc at 90°, one bin off) and 8/8
  neuron with per-unit seeds (2026-12-01; before them 5/8 and 4/8 to 7/8: the matches are
  close, and one or two threads give different float sums): the miss is marked ``xfail`` (not
  strict) below, not hidden.
- **edge units**: dominant orientation within 15° of the planted one.

Time: 4.5 min on this shared 2-core machine (3 min CPU; each icon render 17-31 s, the
defaults subset 51 s). The builder defaults cost ~85 s per 8-unit render here, so they are tested on a documented
subset (the curve layer, channel objective, three units); every unit of every planted layer is
tested at the icon settings, one batched render per (layer, objective).
"""

from __future__ import annotations

import functools

import pytest

torch = pytest.importorskip("torch")

from figures.featureviz import (
    SILENT_SHARE,
    RedirectedReLU,
    angle_difference,
    arc_match,
    dominant_orientation,
    high_frequency_fraction,
    pixel_std,
    render,
)
from figures.planted import GROUND_TRUTH, planted_model
from generator.units import ICON

pytestmark = pytest.mark.torch

STD_FLOOR = 0.075
HF_CEILING = 0.30
UNITS = list(range(8))
LAYERS = ["relu1", "conv2", "relu2", "relu3"]
ICON_SETTINGS = (ICON["size"], ICON["steps"])
DEFAULTS = (128, 256)
DEFAULT_SUBSET = [0, 3, 5]
"""Curve units tested at the builder defaults: one per quadrant pair, the icon misses among them."""
ICON_MISSES = {"channel": {3: "arc at 90° (1.93; 135°: 1.86)"},
               "neuron": {3: "arc at 90° (1.67; 135°: 1.57)"}}
"""Measured at 64 px / 64 steps (one torch thread, per-unit seeds; 2026-12-01): which arc the
icon matched best instead of the planted one, with the two arc scores. Before per-unit seeds
the misses were channel 3, 4, 5 and neuron 2, 3, 6, 7; those now match (they xpassed). Neuron
3 matched until ReLU gradients were redirected for half the steps instead of 16
(figures.featureviz.REDIRECT_FRACTION, which un-flattens the trained CNN's relu2:24): the
planted unit 3's arcs at 90° and 135° score within 6 % of each other at this size.

At this size the criterion is close to chance between neighbouring arcs, whatever the seed or
the steps (2026-12-02, ``render(..., seed=s)``; misses of 8 channel / 8 neuron icons, each a
neighbouring arc scoring 1-20 % above the planted one): 64 steps, seeds 0-5: 1/1, 1/3,
3/3, 1/1, 2/5, 3/1; 128 steps, seeds 0-3: 2/1, 3/1, 1/2, 2/0. Seed 0 (the icons') is among
the best, not a fix; at the defaults (128 px, 256 steps) the tested units match."""


@functools.cache
def rendered(layer: str, objective: str, size: int, steps: int, units: tuple[int, ...]):
    """One batched render per (layer, objective, settings, units), shared by the tests."""
    return render(planted_model(), layer, list(units), size=size, steps=steps,
                  objective=objective, seed=ICON["seed"])


@pytest.mark.parametrize("objective", ["channel", "neuron"])
@pytest.mark.parametrize("layer", LAYERS)
def test_icons_of_every_planted_unit_are_neither_flat_nor_noise(layer, objective) -> None:
    images = rendered(layer, objective, *ICON_SETTINGS, tuple(UNITS))
    for unit, image in zip(UNITS, images, strict=True):
        assert pixel_std(image) >= STD_FLOOR, f"{layer}:{unit} is flat"
        assert high_frequency_fraction(image) <= HF_CEILING, f"{layer}:{unit} is noise"


def test_edge_unit_icons_have_the_planted_orientation() -> None:
    images = rendered(GROUND_TRUTH.edge_layer, "channel", *ICON_SETTINGS, tuple(UNITS))
    for image, angle in zip(images, GROUND_TRUTH.edge_angles, strict=True):
        assert angle_difference(dominant_orientation(image), angle) <= 15.0


def _best_arc(image) -> float:
    return max(GROUND_TRUTH.curve_orientations, key=lambda o: arc_match(image, o))


def _icon_cases():
    for objective, misses in ICON_MISSES.items():
        for unit in UNITS:
            marks = [pytest.mark.xfail(reason=f"measured: {misses[unit]}", strict=False)] \
                if unit in misses else []
            yield pytest.param(objective, unit, marks=marks, id=f"{objective}-{unit}")


@pytest.mark.parametrize(("objective", "unit"), list(_icon_cases()))
def test_curve_unit_icons_show_the_planted_arc(objective, unit) -> None:
    image = rendered(GROUND_TRUTH.curve_layer, objective, *ICON_SETTINGS, tuple(UNITS))[unit]
    assert _best_arc(image) == GROUND_TRUTH.curve_orientations[unit]


def test_curve_units_at_the_builder_defaults_show_the_planted_arc() -> None:
    images = rendered(GROUND_TRUTH.curve_layer, "channel", *DEFAULTS, tuple(DEFAULT_SUBSET))
    for unit, image in zip(DEFAULT_SUBSET, images, strict=True):
        assert pixel_std(image) >= STD_FLOOR
        assert high_frequency_fraction(image) <= HF_CEILING
        assert _best_arc(image) == GROUND_TRUTH.curve_orientations[unit]


def test_an_image_that_passes_only_a_sliver_of_gradient_is_redirected() -> None:
    """A unit firing at a few positions (a dark-colour detector on the zero padding) passes a
    sliver of the gradient: Lucid's none-passes rule left its icon grey (SILENT_SHARE)."""
    x = torch.full((2, 1, 50, 50), -1.0, requires_grad=True)
    with torch.no_grad():
        x[0, 0, 0, 0] = 1.0  # 1 of 2500 positions fires: 2 % of the gradient's norm
        x[1, 0, :3, :3] = 1.0  # 9 positions: 6 %
    assert 0.02 < SILENT_SHARE < 0.06
    RedirectedReLU.apply(x).sum().mul(-1).backward()  # descent raises every position
    assert (x.grad[0] == -1).all(), "the nearly silent image gets the raising gradient"
    assert (x.grad[1][x[1] > 0] == -1).all() and (x.grad[1][x[1] < 0] == 0).all()
