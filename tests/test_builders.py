"""Every figure builder runs on CPU at small sizes: on the planted model, on the trained CNN
(trained for a few steps) and on InceptionV1's architecture loaded through the real
``lucent:inceptionv1`` code from a state dict with random weights."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from conftest import inception_home

from generator.figures import FigureContext, ModelRegistry
from generator.jobs import Job, encode_output, run_job

pytestmark = pytest.mark.torch

REPO = Path(__file__).resolve().parent.parent
MODELS = {"planted": {"source": "builtin:planted"},
          "trained": {"source": "builtin:trained-cnn"},
          "inception": {"source": "lucent:inceptionv1"}}


@pytest.fixture(scope="module")
def ctx(tmp_path_factory) -> FigureContext:
    """A context whose registry loads InceptionV1 from random weights in a private hub cache."""
    home = inception_home(tmp_path_factory.mktemp("torch-home"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TORCH_HOME", str(home))
        registry = ModelRegistry(MODELS, home, "cpu")
        registry["inception"]  # loaded now, while TORCH_HOME points at the random weights
    return FigureContext(home, registry, "cpu", 0, lambda done, total=1.0: None)


def stored(output, tmp_path: Path) -> dict[str, bytes]:
    """Encode as the pipeline does (PNG/WebP, Vega-Lite + SVG fallback) and return the files."""
    files, manifest = encode_output(output, tmp_path)
    assert manifest["alt"]
    return files


def test_feature_viz_builder(ctx, tmp_path) -> None:
    from figures.feature_viz_figure import feature_viz

    out = feature_viz(ctx, "planted", "relu2", ["0-2"], size=32, steps=8, transforms="light")
    assert len(out.images) == 4 and out.data["units"] == [0, 1, 2]
    out = feature_viz(ctx, "inception", "mixed3b:379", size=48, steps=2, objective="diversity",
                      diversity=2)
    assert len(out.images) == 3 and "image-2.png" in stored(out, tmp_path)
    out = feature_viz(ctx, "planted", "relu1", size=32, steps=2, objective="direction",
                      direction=[1, 0, 0, 0, 0, 0, 0, 1])
    assert len(out.images) == 2


def test_weight_diagram_builder(ctx, tmp_path) -> None:
    from figures.weight_diagram_figure import weight_diagram

    out = weight_diagram(ctx, "planted", "conv2:0", lower="relu1", k=3, icon_size=32,
                         icon_steps=4)
    assert len(out.data["inputs"]) == 3 and max(map(abs, _flat(out.data["weights"]))) <= 1.0
    out = weight_diagram(ctx, "inception", "mixed3b:379", lower="mixed3a", mode="expanded", k=2,
                         icon_size=32, icon_steps=2)
    assert len(out.data["inputs"]) == 2
    out = weight_diagram(ctx, "inception", "mixed3b_3x3_pre_relu_conv:5", icons=False, k=2)
    assert "image-0.png" in stored(out, tmp_path)
    out = weight_diagram(ctx, "planted", "conv2:0", mode="nmf", units=["0-3"], rank=2)
    assert len(out.data["loadings"]) == 2


def test_banding_plot_builder(ctx, tmp_path) -> None:
    from figures.banding_plot_figure import banding_plot

    out = banding_plot(ctx, "planted", "conv3", clusters=2)
    assert out.data["banded"] and "chart.svg" in stored(out, tmp_path)
    assert banding_plot(ctx, "inception", "mixed3b_5x5_pre_relu_conv").images


def test_tuning_curve_builder(ctx, tmp_path) -> None:
    from figures.tuning_curve_figure import tuning_curve

    out = tuning_curve(ctx, "planted", "conv2", ["0", "2"], step=45, size=48, radius=6)
    assert out.data["preferred"] == {"0": 0.0, "2": 90.0}
    assert "chart.vl.json" in stored(out, tmp_path)
    out = tuning_curve(ctx, "inception", "mixed3b:379", stimulus="boundary", step=90, size=64)
    assert len(out.data["rows"]) == 4


def test_model_layers_records_order_and_what_each_layer_reads(ctx) -> None:
    from figures.model_layers_figure import model_layers

    data = model_layers(ctx, "planted", input_size=64).data
    assert data["order"] == ["conv1", "relu1", "pool1", "conv2", "relu2", "conv3", "relu3"]
    assert data["reads"]["conv1"] == "" and data["reads"]["conv2"] == "pool1"
    assert data["layers"]["pool1"] == 8


def test_layer_graph_follows_in_place_and_functional_relus() -> None:
    from torch import nn

    from figures.graph import trace

    class Net(nn.Module):  # an in-place ReLU module, then a ReLU outside any module
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(3, 4, 3)
            self.act = nn.ReLU(inplace=True)
            self.b = nn.Conv2d(4, 5, 3)
            self.c = nn.Conv2d(5, 2, 1)

        def forward(self, x):
            return self.c(torch.relu(self.b(self.act(self.a(x)))))

    graph = trace(Net().eval(), torch.zeros(1, 3, 16, 16))
    assert graph.reads == {"a": "", "act": "a", "b": "act", "c": "b"}
    assert graph.family("a") == ["a", "act"] and graph.conv("act") == "a"
    assert graph.readers("a") == ["b"] and graph.name("a", []) == "act"
    assert graph.name("a", ["a"]) == "a" and graph.readers("c") == []


def test_unit_weights_builder(ctx, tmp_path) -> None:
    from figures.unit_weights_figure import unit_weights

    out = unit_weights(ctx, "planted", "relu1", ["4"], k=2, names=["relu1", "conv2"],
                       icon_size=32, icon_steps=2, input_size=64)
    (unit,) = out.data["units"]
    assert (out.data["inputs_from"], out.data["outputs_to"]) == ("conv1", ["conv2"])  # via pool1
    assert [x["label"] for x in unit["inputs"]] == ["input red", "input green"]
    assert all(x["label"].startswith("conv2:") and x["icon"] for x in unit["outputs"])
    assert all(-1 <= x["peak"] <= 1 for x in unit["inputs"] + unit["outputs"])
    out = unit_weights(ctx, "planted", "conv2", ["0"], k=2, icon_size=32, icon_steps=2,
                       input_size=64)  # no names given: the ReLUs after the convolutions
    assert {x["layer"] for x in out.data["units"][0]["inputs"]} == {"relu1"}
    assert {x["layer"] for x in out.data["units"][0]["outputs"]} == {"relu3"}
    out = unit_weights(ctx, "inception", "mixed3a:0", k=2, icon_size=48, icon_steps=2)
    (unit,) = out.data["units"]  # a concatenation: no convolution of its own computes it
    assert unit["inputs"] == [] and len(out.data["outputs_to"]) == 4 and len(unit["outputs"]) == 2
    assert "image-0.png" in stored(out, tmp_path)


def test_trained_cnn_trains_once_and_every_builder_reads_it(ctx, tmp_path, monkeypatch) -> None:
    from figures import trained
    from figures.models import load_model

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the cache belongs to the site, not the working directory
    monkeypatch.setattr(trained, "RECIPE", trained.Recipe(steps=3, batch=8))
    first = load_model(MODELS["trained"], tmp_path, "cpu")
    assert len(list((tmp_path / "figures" / "store" / "models").glob("trained-cnn-*.pt"))) == 1
    assert not (elsewhere / "figures").exists()
    monkeypatch.setattr(trained, "train", lambda recipe: pytest.fail("trained twice"))
    second = load_model(MODELS["trained"], tmp_path, "cpu")
    assert torch.equal(first.conv1.weight, second.conv1.weight)
    registry = FigureContext(tmp_path, ModelRegistry(MODELS, tmp_path, "cpu"), "cpu", 0,
                             lambda done, total=1.0: None)
    from figures.feature_viz_figure import feature_viz

    assert feature_viz(registry, "trained", "conv2", ["0-3"], size=32, steps=4).images


def test_a_builder_runs_as_a_pipeline_job() -> None:
    job = Job("key", str(REPO), "tuning-curve", {"model": "planted", "layer": "conv2:1",
                                                  "step": 90, "size": 48},
              {"planted": MODELS["planted"]}, {}, "cpu")
    result = run_job(job)
    assert result.error is None and "chart.svg" in result.files


def _flat(nested) -> list[float]:
    return [v for item in nested for v in (_flat(item) if isinstance(item, list) else [item])]
