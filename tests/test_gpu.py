"""Every built-in figure builder runs on CUDA and gives what it gives on the CPU, within a
tolerance: no tensor of one device meets one of another, no ``.numpy()`` of a device tensor,
seeded generators where the CPU has them.

Marked ``gpu``: they run where CUDA is available and skip elsewhere. ``THREAD_GPU_DEVICE=cpu``
runs them against the CPU itself, which checks the comparisons on a machine without a GPU.
Tolerances: cuDNN convolutions may use TF32 on recent GPUs (~1e-3 relative), and a few steps of
feature visualisation amplify that a little, so images are compared by mean absolute
difference and numbers relatively.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import REPO, gpu_device, inception_home

from generator.config import Dataset
from generator.datasets import examples_input, merge
from generator.figures import DatasetRegistry, FigureContext, FigureOutput, ModelRegistry
from generator.jobs import seed_everything, to_pil
from generator.registry import builder_registry

MODELS = {"planted": {"source": "builtin:planted"},
          "inception": {"source": "lucent:inceptionv1"}}
CASES: dict[str, list[dict]] = {
    "feature-viz": [
        {"model": "planted", "layer": "relu2", "units": ["0-2"], "size": 32, "steps": 4,
         "transforms": "light"},
        {"model": "inception", "layer": "mixed3b:379", "size": 48, "steps": 2,
         "objective": "diversity", "diversity": 2},
    ],
    "weight-diagram": [
        {"model": "planted", "unit": "conv2:0", "lower": "relu1", "k": 3, "icon_size": 32,
         "icon_steps": 2},
        {"model": "inception", "unit": "mixed3b:379", "lower": "mixed3a", "mode": "expanded",
         "k": 2, "icon_size": 32, "icon_steps": 2},
        {"model": "planted", "unit": "conv2:0", "mode": "nmf", "units": ["0-3"], "rank": 2},
    ],
    "banding-plot": [{"model": "planted", "layer": "conv3", "clusters": 2}],
    "tuning-curve": [{"model": "planted", "layer": "conv2", "units": ["0", "2"], "step": 45,
                      "size": 48, "radius": 6}],
    "model-layers": [{"model": "planted", "input_size": 64}],
    "unit-weights": [{"model": "planted", "layer": "relu2", "units": ["0"], "k": 2,
                      "icon_size": 32, "icon_steps": 2, "input_size": 64}],
    "dataset-scan": [{"model": "planted", "dataset": "procedural", "layers": ["relu1", "relu2"],
                      "start": 0, "stop": 48, "k": 3}],
    "dataset-examples": [{"model": "planted", "layer": "relu2", "dataset": "procedural",
                          "units": ["0-1"], "k": 3, "sign": "positive"}],
}
DATASETS = {"procedural": Dataset(source="builtin:procedural", size=48, batch=16)}
"""The built-in procedural dataset, small: the dataset builders' cases read it."""
IMAGE_TOLERANCE = 0.02
"""Largest mean absolute difference of two images in [0, 1]."""


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """A torch home whose hub cache holds InceptionV1 with random (seeded) weights."""
    return inception_home(tmp_path_factory.mktemp("torch-home"))


@pytest.fixture(scope="module")
def contexts(home: Path, tmp_path_factory) -> dict[str, FigureContext]:
    """A context per device, each with its own models, loaded while TORCH_HOME is ``home``."""
    found = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TORCH_HOME", str(home))
        for device in ("cpu", gpu_device()):
            models = ModelRegistry(MODELS, home, device)
            for name in MODELS:
                models[name]
            datasets = DatasetRegistry({name: d.model_dump() | {"side": d.side}
                                        for name, d in DATASETS.items()}, home)
            found[device] = FigureContext(tmp_path_factory.mktemp(device), models, device, 0,
                                          lambda done, total=1.0: None, datasets)
    return found


def test_every_builtin_builder_has_a_case() -> None:
    """A new builder needs a case here (this runs everywhere: discovery needs no torch)."""
    assert set(CASES) == set(builder_registry(REPO).builders)


@pytest.mark.gpu
@pytest.mark.torch
@pytest.mark.parametrize(("name", "params"), [(name, params) for name, cases in CASES.items()
                                              for params in cases],
                         ids=lambda value: value if isinstance(value, str) else "")
def test_a_builder_on_the_device_equals_the_cpu(name: str, params: dict, contexts) -> None:
    builder = builder_registry(REPO).builders[name].fn
    outputs = []
    for device in ("cpu", gpu_device()):
        seed_everything(0)
        if name == "dataset-examples":  # the build hands it its units' merged scan results
            contexts[device].inputs = examples_input(scanned(contexts["cpu"]), params)
        outputs.append(builder(contexts[device], **params))
    assert_close(*outputs)


def scanned(ctx: FigureContext) -> dict:
    """The procedural dataset scanned on the CPU in one shard, reduced as the build does."""
    scan = builder_registry(REPO).builders["dataset-scan"].fn
    (case,) = CASES["dataset-scan"]
    return merge([scan(ctx, **case).data])


def assert_close(cpu: FigureOutput, other: FigureOutput) -> None:
    import numpy as np

    assert len(cpu.images) == len(other.images)
    for ours, theirs in zip(cpu.images, other.images, strict=True):
        a, b = (np.asarray(to_pil(i.data), dtype=np.float64) / 255 for i in (ours, theirs))
        assert a.shape == b.shape
        assert np.abs(a - b).mean() <= IMAGE_TOLERANCE
    assert close(cpu.data, other.data), (cpu.data, other.data)
    specs = [o.vega_lite.to_dict() if hasattr(o.vega_lite, "to_dict") else o.vega_lite
             for o in (cpu, other)]
    assert close(*specs)


def close(a, b) -> bool:
    """Equal structure, strings and integers; floats within 5 % or 0.01."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(a, b, rel_tol=0.05, abs_tol=0.01)
    return a == b
