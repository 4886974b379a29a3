"""Feature visualisations a person can read (issue 17), measured per image on the built-in
trained CNN (``builtin:trained-cnn``, figures/trained.py): every unit of ``relu1``-``relu3``.

The thresholds are the planted model's (tests/test_featureviz_quality.py, where their
derivation is): **not flat**, pixel standard deviation ≥ :data:`STD_FLOOR` = 0.075; **not
noise**, fraction of spectral energy above half the Nyquist frequency ≤ :data:`HF_CEILING` =
0.30. And one more: **the icon makes its unit fire** (its activation, read as the objective
reads it, above zero). A unit that training left nearly dead cannot be excited by any image the
optimiser finds; its icon is the starting noise, grown: at 128 px / 256 steps such icons
measured std 0.09-0.11, above the floor, and are still grey to the eye.

The weights are the shipped ones (figures/weights/, ``figures.trained.SHIPPED``), the same on
every machine. Until 2026-12-02 every checkout trained its own, and training is not
deterministic across CPUs (AVX-512 against AVX2 kernels, or one thread against two): CI failed
on ``relu2`` channel icons 6 and 29 at std 0.0500 and 0.0495 under the then floor of 0.05,
which other machines' weights had passed. Looked at, they and five more (16, 18, 23, 24, 30;
0.05-0.063) were grey squares: units whose peak activation on procedural images was under 5 %
of their layer's median, left nearly dead by the blank penalty (figures.trained.Recipe.blank,
now 0.3 instead of 1.0: one such unit, ``relu2:10``).

Measured (CPU, one thread, render seed 0, standard transforms; ``bench/featureviz_quality.py``,
the same numbers with ``ATEN_CPU_CAPABILITY=avx2``): pixel std, high-frequency fraction,
min-max over the layer's units, and the units that fail:

====================  ============================  ============================  ===========
weights of 2026-12-02 icon (64 px, 64 steps)        defaults (128 px, 256 steps)  fail (icon)
====================  ============================  ============================  ===========
relu1 channel         0.132-0.337, 0.047-0.214      0.245-0.466, 0.028-0.248      4, 8 silent
relu1 neuron          0.116-0.176, 0.013-0.042      0.097-0.180, 0.006-0.043      -
relu2 channel         0.048-0.323, 0.078-0.190      0.114-0.468, 0.011-0.275      10 flat
relu2 neuron          0.123-0.181, 0.013-0.089      0.105-0.176, 0.007-0.054      10 silent
relu3 channel         0.238-0.311, 0.056-0.168      0.350-0.459, 0.074-0.227      -
relu3 neuron          0.121-0.199, 0.032-0.156      0.130-0.180, 0.021-0.113      -
====================  ============================  ============================  ===========

The failures, marked ``xfail`` (strict) in :data:`KNOWN_FAILING` with their measurements:
``relu2:10`` is the weak unit (both objectives; at the defaults too); ``relu1`` units 4 and 8
are dark-spot detectors (weights summing to -1.6 and -2.1) that a grey start leaves off, and at
64 steps their icons are grey with a few specks; at 128 steps unit 4 fires, at the defaults
both do. Redirecting ReLU gradients for every step instead of the first half (figures.
featureviz.REDIRECT_FRACTION) lights unit 4 at the icon settings, not unit 8.

Every unit, both objectives, at the icon settings (``generator.units.ICON``: 64 px, 64 steps):
one batched render per (layer, objective). At the builder defaults a documented subset,
:data:`DEFAULT_SUBSET`; every unit at the defaults is measured by

    PYTHONPATH=. .venv/bin/python bench/featureviz_quality.py --settings defaults

whose numbers are above (CPU seconds per batched render, one thread: relu1 46-48, relu2
136-157, relu3 134-136). At the defaults only ``relu2:10`` fails (it does not fire, both
objectives).
"""

from __future__ import annotations

import functools

import pytest

torch = pytest.importorskip("torch")

from figures.featureviz import high_frequency_fraction, pixel_std, render, unit_activations
from figures.trained import RECIPE, SHIPPED, load_or_train, weights_name
from generator.units import ICON

pytestmark = [pytest.mark.torch, pytest.mark.slow]  # ~1 min: starts first (conftest.share_out)

STD_FLOOR = 0.075
HF_CEILING = 0.30
LAYERS = {"relu1": 16, "relu2": 32, "relu3": 32}
ICON_SETTINGS = (ICON["size"], ICON["steps"])
DEFAULTS = (128, 256)
DEFAULT_SUBSET = {"channel": ("relu2", (0, 1, 2)), "neuron": ("relu2", (0, 1, 2))}
"""Tested at the builder defaults: the layer and objectives of issue 17's complaint."""
KNOWN_FAILING: dict[tuple[str, str], dict[int, str]] = {
    ("relu1", "channel"): {4: "silent: a dark-spot detector a grey start leaves off (std 0.132)",
                           8: "silent: a dark-spot detector a grey start leaves off (std 0.140)"},
    ("relu2", "channel"): {10: "flat (std 0.048) and silent: a weak unit, peak 3.8 % of the "
                               "layer's median on procedural images"},
    ("relu2", "neuron"): {10: "silent (std 0.123): a weak unit, peak 3.8 % of the layer's "
                              "median on procedural images"},
}
"""Measured at the icon settings: marked ``xfail`` (strict: it fails on purpose) below."""


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory):
    """The shipped weights (a test fails rather than train others)."""
    assert (SHIPPED / weights_name(RECIPE)).is_file(), "run: python -m figures.trained"
    return load_or_train(RECIPE, tmp_path_factory.mktemp("unused"))


@functools.cache
def _rendered(model, layer: str, objective: str, size: int, steps: int,
              units: tuple[int, ...]) -> torch.Tensor:
    """One batched render per (layer, objective, settings, units), shared by the tests."""
    return render(model, layer, list(units), size=size, steps=steps, objective=objective,
                  seed=ICON["seed"])


def _cases(layers: dict[str, int], objectives: tuple[str, ...]):
    for layer, count in layers.items():
        for objective in objectives:
            for unit in range(count):
                known = KNOWN_FAILING.get((layer, objective), {})
                marks = [pytest.mark.xfail(reason=f"measured: {known[unit]}", strict=True)] \
                    if unit in known else []
                yield pytest.param(layer, objective, unit, marks=marks,
                                   id=f"{layer}-{objective}-{unit}")


@pytest.mark.parametrize(("layer", "objective", "unit"),
                         list(_cases(LAYERS, ("channel", "neuron"))))
def test_icons_of_every_trained_unit_are_readable(model, layer, objective,
                                                                 unit) -> None:
    units = tuple(range(LAYERS[layer]))
    image = _rendered(model, layer, objective, *ICON_SETTINGS, units)[unit]
    _assert_readable(model, layer, objective, unit, image)


def _assert_readable(model, layer: str, objective: str, unit: int, image: torch.Tensor) -> None:
    assert pixel_std(image) >= STD_FLOOR, f"{layer}:{unit} is flat"
    assert high_frequency_fraction(image) <= HF_CEILING, f"{layer}:{unit} is noise"
    fired = unit_activations(model, layer, image[None], [unit], kind=objective)[0]
    assert fired > 0, f"{layer}:{unit}'s icon does not make it fire"


@pytest.mark.parametrize("objective", list(DEFAULT_SUBSET))
def test_a_subset_at_the_builder_defaults_is_readable(model, objective) -> None:
    layer, units = DEFAULT_SUBSET[objective]
    images = _rendered(model, layer, objective, *DEFAULTS, units)
    for unit, image in zip(units, images, strict=True):
        _assert_readable(model, layer, objective, unit, image)
