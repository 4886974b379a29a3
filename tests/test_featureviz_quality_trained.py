"""Feature visualisations a person can read (issue 17), measured per image on the built-in
trained CNN (``builtin:trained-cnn``, figures/trained.py): every unit of ``relu1``-``relu3``.

The thresholds are the planted model's (tests/test_featureviz_quality.py, where their
derivation is): **not flat**, pixel standard deviation ≥ :data:`STD_FLOOR` = 0.075; **not
noise**, fraction of spectral energy above half the Nyquist frequency ≤ :data:`HF_CEILING` =
0.30. And one more: **the icon makes its unit fire** (its activation, read as the objective
reads it, above zero). A unit that training left nearly dead cannot be excited by any image the
optimiser finds; its icon is the starting noise, grown: at 256 steps (64 px) such icons
measured std 0.09-0.11, above the floor, and are still grey to the eye.

The weights are the shipped ones (figures/weights/, ``figures.trained.SHIPPED``), the same on
every machine. Until 2026-12-02 every checkout trained its own, and training is not
deterministic across CPUs (AVX-512 against AVX2 kernels, or one thread against two): CI failed
on ``relu2`` channel icons 6 and 29 at std 0.0500 and 0.0495 under the then floor of 0.05,
which other machines' weights had passed. Looked at, they and five more (16, 18, 23, 24, 30;
0.05-0.063) were grey squares: units whose peak activation on procedural images was under 5 %
of their layer's median, left nearly dead by the blank penalty (figures.trained.Recipe.blank,
now 0.3 instead of 1.0) — and the floor is higher now. The recipe's seed is the best of five
at that penalty (figures.trained.Recipe.seed).

Measured (CPU, one thread, render seed 0, standard transforms; ``bench/featureviz_quality.py``;
the icon settings gave the same numbers with ``ATEN_CPU_CAPABILITY=avx2``): pixel std,
high-frequency fraction, min-max over the layer's units, and the units that fail:

====================  ============================  ============================  ===========
weights of 2026-12-02 icon (64 px, 64 steps)        defaults (128 px, 256 steps)  fail
====================  ============================  ============================  ===========
relu1 channel         0.141-0.331, 0.037-0.168      0.397-0.465, 0.021-0.232      -
relu1 neuron          0.120-0.176, 0.011-0.064      0.119-0.182, 0.007-0.027      -
relu2 channel         0.212-0.327, 0.067-0.188      0.372-0.470, 0.113-0.248      -
relu2 neuron          0.096-0.177, 0.019-0.128      0.106-0.183, 0.011-0.071      -
relu3 channel         0.240-0.304, 0.058-0.186      0.352-0.458, 0.065-0.234      -
relu3 neuron          0.134-0.195, 0.027-0.116      0.118-0.182, 0.020-0.098      -
====================  ============================  ============================  ===========

Every unit passes. The last failure, ``relu1:14``'s channel icon (std 0.003 at the icon
settings, 0.007 at the defaults), was a dark-colour detector (weights summing to -1.37, bias
0.15: it fires where the image is darker than about 0.1) that fired only at a few border
positions of the starting grey (zero padding looks dark), so 2 % of the gradient passed its
ReLU and the redirected ReLU, then engaged only when none passed, never engaged; its image
stayed grey. It is redirected now (figures.featureviz.SILENT_SHARE): dark blots on beige. The
previous weights (seed 2) had four failures at the icon settings: a weak ``relu2`` unit (both
objectives) and two ``relu1`` dark detectors' channel icons, which fired only after 128 or 256
steps.

Every unit, both objectives, at the icon settings (``generator.units.ICON``: 64 px, 64 steps):
one batched render per (layer, objective). At the builder defaults a documented subset,
:data:`DEFAULT_SUBSET`; every unit at the defaults is measured by

    PYTHONPATH=. .venv/bin/python bench/featureviz_quality.py --settings defaults

whose numbers are above (CPU seconds per batched render, one thread: relu1 49-50, relu2 151,
relu3 152-162).
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
                yield pytest.param(layer, objective, unit, id=f"{layer}-{objective}-{unit}")


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
