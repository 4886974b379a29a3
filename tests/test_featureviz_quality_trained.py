"""Feature visualisations a person can read (issue 17), measured per image on the built-in
trained CNN (``builtin:trained-cnn``, figures/trained.py): every unit of ``relu1``-``relu3``.

The thresholds are the planted model's (tests/test_featureviz_quality.py, where their
derivation is): **not flat**, pixel standard deviation ≥ :data:`STD_FLOOR` = 0.05; **not
noise**, fraction of spectral energy above half the Nyquist frequency ≤ :data:`HF_CEILING` =
0.30.

Measured (CPU, one thread, render seed 0, standard transforms; ``bench/featureviz_quality.py``),
pixel std and high-frequency fraction, min-max over the layer's units, at the icon settings:

====================  ========================  ========================  ========================
icon (64 px, 64 st.)  issue 17's CNN            previous weights          now (figures/trained.py)
====================  ========================  ========================  ========================
dead units            2/16, 5/32, 11/32         0, 0, 0                   0, 0, 0
relu1 channel         0.042-0.325, 0.014-0.330  0.100-0.328, 0.052-0.150  0.094-0.327, 0.043-0.200
relu1 neuron          0.085-0.168, 0.004-0.088  0.089-0.167, 0.015-0.047  0.106-0.176, 0.014-0.067
relu2 channel         0.032-0.300, 0.003-0.394  0.159-0.321, 0.057-0.806  0.038-0.322, 0.047-0.279
relu2 neuron          0.094-0.178, 0.005-0.332  0.105-0.186, 0.019-0.132  0.107-0.179, 0.018-0.092
relu3 channel         0.036-0.279, 0.084-0.352  0.139-0.323, 0.071-0.823  0.235-0.303, 0.056-0.191
relu3 neuron          0.053-0.154, 0.016-0.276  0.119-0.186, 0.044-0.163  0.149-0.202, 0.022-0.142
====================  ========================  ========================  ========================

Issue 17's CNN: 18 flat icons and 32 noise icons of 224. The previous weights (dead units
revived): none flat, 5 noise, all ``channel`` (``relu2`` 14, 19, 20, 26, ``relu3`` 18,
high-frequency fraction 0.56-0.82), exactly the units that fired on a blank image as much as on
the training images or more; they are trained away now (:func:`figures.trained.blank_activity`).
Then: none noise, one flat (``relu2`` unit 24, ``channel``, std 0.038: a unit that grey
starting images barely excite). Redirecting ReLU gradients for the first half of the steps
instead of the first 16 (:data:`figures.featureviz.REDIRECT_FRACTION`) lifts it to 0.052 here
and 0.102 at the defaults: now none flat, none noise (:data:`KNOWN_FLAT` is empty).

At the builder defaults (128 px, 256 steps), after the redirect change (CPU seconds per
batched render, one thread, idle machine; `bench/featureviz_quality.py --settings defaults`):

====================  ============================  ============================
defaults              pixel std, high-frequency     flat / noise units
====================  ============================  ============================
relu1 channel         0.296-0.465, 0.040-0.266      none (47 s)
relu1 neuron          0.105-0.186, 0.007-0.042      none (52 s)
relu2 channel         0.102-0.467, 0.019-0.286      none (119 s)
relu2 neuron          0.107-0.182, 0.009-0.060      none (120 s)
relu3 channel         0.353-0.456, 0.070-0.236      none (99 s)
relu3 neuron          0.122-0.190, 0.017-0.143      none (96 s)
====================  ============================  ============================

(The previous weights at the defaults: noise ``relu2`` 14, 19, 20 and ``relu3`` 18.) Time of
this file: 52 s on the shared 2-core machine, weights already cached; training them the first
time adds ~50 s of CPU.

Every unit, both objectives, at the icon settings (``generator.units.ICON``: 64 px, 64 steps):
one batched render per (layer, objective). At the builder defaults (128 px, 256 steps) a
documented subset, :data:`DEFAULT_SUBSET`; every unit at the defaults is measured by

    PYTHONPATH=. .venv/bin/python bench/featureviz_quality.py --settings defaults

whose numbers are above. The weights are trained once per checkout into pytest's cache
(``.pytest_cache/d/trained-cnn/``, keyed like the figure store's copy by recipe and source).
"""

from __future__ import annotations

import functools

import pytest

torch = pytest.importorskip("torch")

from figures.featureviz import high_frequency_fraction, pixel_std, render
from figures.trained import RECIPE, load_or_train
from generator.units import ICON

pytestmark = [pytest.mark.torch, pytest.mark.slow]  # ~2 min on a fresh clone: starts first (conftest.share_out)

STD_FLOOR = 0.05
HF_CEILING = 0.30
LAYERS = {"relu1": 16, "relu2": 32, "relu3": 32}
ICON_SETTINGS = (ICON["size"], ICON["steps"])
DEFAULTS = (128, 256)
DEFAULT_SUBSET = {"channel": ("relu2", (0, 1, 2)), "neuron": ("relu2", (0, 1, 2))}
"""Tested at the builder defaults: the layer and objectives of issue 17's complaint."""
KNOWN_FLAT: dict[tuple[str, str], dict[int, str]] = {}
"""Measured at the icon settings: marked ``xfail`` (strict: it fails on purpose) below."""


@pytest.fixture(scope="module")
def model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """The built-in weights, trained once into pytest's cache (a temporary folder without it)."""
    cache = getattr(request.config, "cache", None)
    folder = cache.mkdir("trained-cnn") if cache else tmp_path_factory.mktemp("trained-cnn")
    return load_or_train(RECIPE, folder)


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
                known = KNOWN_FLAT.get((layer, objective), {})
                marks = [pytest.mark.xfail(reason=f"measured: {known[unit]}", strict=True)] \
                    if unit in known else []
                yield pytest.param(layer, objective, unit, marks=marks,
                                   id=f"{layer}-{objective}-{unit}")


@pytest.mark.parametrize(("layer", "objective", "unit"),
                         list(_cases(LAYERS, ("channel", "neuron"))))
def test_icons_of_every_trained_unit_are_neither_flat_nor_noise(model, layer, objective,
                                                                 unit) -> None:
    units = tuple(range(LAYERS[layer]))
    image = _rendered(model, layer, objective, *ICON_SETTINGS, units)[unit]
    assert pixel_std(image) >= STD_FLOOR, f"{layer}:{unit} is flat"
    assert high_frequency_fraction(image) <= HF_CEILING, f"{layer}:{unit} is noise"


@pytest.mark.parametrize("objective", list(DEFAULT_SUBSET))
def test_a_subset_at_the_builder_defaults_is_neither_flat_nor_noise(model, objective) -> None:
    layer, units = DEFAULT_SUBSET[objective]
    images = _rendered(model, layer, objective, *DEFAULTS, units)
    for unit, image in zip(units, images, strict=True):
        assert pixel_std(image) >= STD_FLOOR, f"{layer}:{unit} is flat"
        assert high_frequency_fraction(image) <= HF_CEILING, f"{layer}:{unit} is noise"
