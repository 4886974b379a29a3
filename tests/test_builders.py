"""Every figure builder runs on CPU at small sizes: on the planted model, on the trained CNN
(trained for a few steps) and on InceptionV1's architecture loaded through the real
``lucent:inceptionv1`` code from a state dict with random weights."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from generator.figures import (
    FigureContext,
    Job,
    ModelRegistry,
    encode_output,
    run_job,
)

REPO = Path(__file__).resolve().parent.parent
MODELS = {"planted": {"source": "builtin:planted"},
          "trained": {"source": "builtin:trained-cnn"},
          "inception": {"source": "lucent:inceptionv1"}}


@pytest.fixture(scope="module")
def ctx(tmp_path_factory) -> FigureContext:
    """A context whose registry loads InceptionV1 from random weights in a private hub cache."""
    from lucent.modelzoo import inceptionv1

    home = tmp_path_factory.mktemp("torch-home")
    (home / "hub" / "checkpoints").mkdir(parents=True)
    torch.manual_seed(0)
    torch.save(inceptionv1().state_dict(), home / "hub" / "checkpoints" / "inception5h.pth")
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
