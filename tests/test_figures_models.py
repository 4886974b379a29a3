"""Models named in site.toml load through the real code, offline; builders are plain functions."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from conftest import SITES, copy_site, thread_cli

from generator.figures import param_fields
from generator.jobs import Job, job_as_json, run_job


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_state_dict_and_torchscript_files_load(tmp_path: Path) -> None:
    import torch

    from figures.models import load_model
    from figures.tiny_cnn import tiny_cnn

    net = tiny_cnn()
    torch.jit.save(torch.jit.script(net), tmp_path / "net.ts")
    torch.save(net.state_dict(), tmp_path / "net.pt")
    x = torch.ones(1, 3, 4, 4)
    scripted = load_model({"source": "file:net.ts"}, tmp_path, "cpu")
    state = load_model({"source": "file:net.pt", "factory": "python:figures.tiny_cnn:tiny_cnn"},
                       tmp_path, "cpu")
    assert torch.equal(scripted(x), net(x)) and torch.equal(state(x), net(x))


@pytest.mark.torch
def test_builtin_model_is_the_same_every_time() -> None:
    import torch

    from figures.models import load_model

    first, second = (load_model({"source": "builtin:tiny-cnn"}, Path("."), "cpu") for _ in "ab")
    assert torch.equal(first.conv1.weight, second.conv1.weight)


@pytest.mark.torch
def test_missing_pretrained_weights_say_which_file_goes_where(tmp_path, monkeypatch) -> None:
    from figures.models import ModelUnavailable, load_model

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(ModelUnavailable, match=r"put inception5h.pth \(from https://\S+\) at "
                       + str(tmp_path / "hub" / "checkpoints" / "inception5h.pth")):
        load_model({"source": "lucent:inceptionv1"}, tmp_path, "cpu")
    with pytest.raises(ModelUnavailable, match=r"put resnet18-\w+\.pth"):
        load_model({"source": "torchvision:resnet18", "weights": "IMAGENET1K_V1"}, tmp_path, "cpu")


@pytest.mark.torch
def test_torchvision_model_without_weights_builds() -> None:
    from figures.models import load_model

    assert type(load_model({"source": "torchvision:alexnet"}, Path("."), "cpu")).__name__ == "AlexNet"


@pytest.mark.torch
def test_unit_names_follow_lucent() -> None:
    from figures.hooks import layer_names
    from figures.tiny_cnn import tiny_cnn
    from generator.figures import split_unit

    assert split_unit("mixed3b:379") == (None, "mixed3b", 379)
    assert split_unit("mixed3b") == (None, "mixed3b", None)
    assert split_unit("planted/relu1:3") == ("planted", "relu1", 3)
    assert list(layer_names(tiny_cnn())) == ["conv1", "conv2"]


@pytest.mark.torch
def test_hooks_are_removed_after_capture() -> None:
    from figures.hooks import capture
    from figures.tiny_cnn import tiny_cnn

    net = tiny_cnn()
    with capture(net, ["conv1"]):
        assert net.conv1._forward_hooks
    assert not net.conv1._forward_hooks


@pytest.mark.torch
def test_a_job_is_plain_data_and_runs_anywhere(tmp_path: Path) -> None:
    root = SITES / "valid" / "figures"
    job = Job("k", str(root), "tiny-activations", {"model": "tiny", "channel": 2},
              {"tiny": {"source": "builtin:tiny-cnn"}}, {"tiny": "f"}, "cpu")
    again = Job(**json.loads(job_as_json(job)))
    assert again == pickle.loads(pickle.dumps(job))
    progress = []
    result = run_job(again, lambda key, fraction: progress.append((key, fraction)))
    assert result.error is None and progress == [("k", 0.5)]
    assert result.manifest["params"]["channel"] == 2 and "image-0.png" in result.files


def test_list_parameters_accept_commas() -> None:
    from pydantic import create_model

    def example(ctx, units: list[int], size: int = 128): ...

    model = create_model("m", **param_fields("example", example))
    assert model.model_validate({"units": "1, 2,3"}).units == [1, 2, 3]


def test_unknown_model_source_is_a_config_error(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    with (site / "site.toml").open("a") as handle:
        handle.write('\n[models.net]\nsource = "hub:resnet"\n')
    result = thread_cli("check", "--root", site)
    assert result.exit_code == 1
    lines = (site / "site.toml").read_text().splitlines()
    line = lines.index('source = "hub:resnet"') + 1
    assert f"site.toml:{line}: models.net.source: 'hub:resnet' is not lucent:NAME" in result.output
