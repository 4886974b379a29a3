"""Loading the models named in site.toml (``[models.NAME] source = ...``) onto a device.

Nothing here downloads weights: lucent's InceptionV1 must already be in torch's hub cache, and a
missing file is an error saying where to put it. torch is imported inside the loaders, so the
generator can read :data:`BUILTIN` (to fingerprint built-in models) without it.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

BUILTIN: dict[str, str] = {
    "tiny-cnn": "figures.tiny_cnn:tiny_cnn",
    "planted": "figures.planted:planted_model",
    "trained-cnn": "figures.trained:trained_cnn",
}
"""Built-in models: name → ``module:function`` building the model (weights from a fixed seed)."""

LUCENT_WEIGHTS = {
    "inceptionv1": "https://github.com/ProGamerGov/pytorch-old-tensorflow-models/raw/master/"
                   "inception5h.pth",
}


class ModelUnavailable(RuntimeError):
    """A model's weights are not on this machine; the message says which file goes where."""


def load_model(spec: dict, root: Path, device: str):
    """The model described by a site.toml entry, in eval mode on ``device``."""
    kind, _, rest = spec["source"].partition(":")
    loader = {"lucent": _lucent, "torchvision": _torchvision, "file": _file,
              "builtin": _builtin}[kind]
    return loader(rest, spec, root).to(device).eval()


def factory(path: str):
    """The callable named by ``module:function`` (an optional ``python:`` prefix is allowed)."""
    module, _, name = path.removeprefix("python:").partition(":")
    return getattr(importlib.import_module(module), name)


def _builtin(name: str, spec: dict, root: Path):
    import torch

    if name not in BUILTIN:
        raise ModelUnavailable(f"no built-in model '{name}' (known: {', '.join(sorted(BUILTIN))})")
    make = factory(BUILTIN[name])
    # a factory that caches (the trained CNN) takes the site root, never the working directory
    options = {"root": root} if "root" in inspect.signature(make).parameters else {}
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return make(**options)


def _file(path: str, spec: dict, root: Path):
    import torch

    weights = root / path
    if not weights.is_file():
        raise ModelUnavailable(f"model file {weights} not found")
    if spec.get("factory") is None:
        return torch.jit.load(weights, map_location="cpu")
    model = factory(spec["factory"])()
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    return model


def _torchvision(name: str, spec: dict, root: Path):
    import torch
    import torchvision

    weights = None
    if spec.get("weights"):
        weights = torchvision.models.get_weight(f"{_weights_enum(name)}.{spec['weights']}")
        cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(weights.url).name
        if not cached.is_file():
            raise ModelUnavailable(f"weights for torchvision:{name} are not cached; put "
                                   f"{Path(weights.url).name} (from {weights.url}) at {cached}")
    return torchvision.models.get_model(name, weights=weights)


def _weights_enum(name: str) -> str:
    import torchvision

    return type(torchvision.models.get_model_weights(name).DEFAULT).__name__


def _lucent(name: str, spec: dict, root: Path):
    import torch

    if name not in LUCENT_WEIGHTS:
        raise ModelUnavailable(f"unknown lucent model '{name}' (known: {', '.join(LUCENT_WEIGHTS)})")
    url = LUCENT_WEIGHTS[name]
    cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(url).name
    if not cached.is_file():
        raise ModelUnavailable(f"lucent:{name} needs its weights in torch's hub cache and this "
                               f"build does not download them: put {Path(url).name} (from "
                               f"{url}) at {cached}")
    from lucent.modelzoo import inceptionv1

    return inceptionv1(pretrained=True, progress=False)
