"""Units per second of batched feature visualisation against lucent's ``render_vis``.

    .venv/bin/python bench/featureviz.py                       # both models, 16 and 64 units
    .venv/bin/python bench/featureviz.py --models trained --units 16 --lucent-units 4

Same model, layer, image size, steps, Adam(lr=0.05, render_vis's), lucent's FFT +
decorrelated-colour parameterisation and the same transforms (pad 4 + jitter 4: lucent's own
transform functions on its side, figures.featureviz's seeded equivalents on ours).
``render_vis`` renders one unit per call, as it must; it is timed on ``--lucent-units`` units
and its rate extrapolated (it is linear in units). Activation is each unit's channel mean on its
final image, without transforms; the table gives ours / lucent's over the units both rendered
(min and mean).

Models: ``trained`` is the built-in trained CNN (its shipped weights,
figures/weights/); ``inception`` is InceptionV1's architecture (lucent's) with random
weights — the speed does not depend on the weights. Runs on CPU unless --device says otherwise.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from figures.featureviz import render, unit_activations

LAYERS = {"trained": "relu2", "inception": "mixed3b"}


def load(name: str, device: str) -> torch.nn.Module:
    if name == "trained":
        from figures.trained import trained_cnn

        return trained_cnn().to(device).eval()
    from lucent.modelzoo import inceptionv1

    torch.manual_seed(0)
    return inceptionv1().to(device).eval()


def unit_channels(model, layer: str, size: int) -> int:
    from figures.featureviz import layer_output

    device = next(model.parameters()).device
    return layer_output(model, layer, torch.rand(1, 3, size, size, device=device)).shape[1]


def lucent_one(model, layer: str, unit: int, size: int, steps: int) -> torch.Tensor:
    from lucent.optvis import objectives, param, transform
    from lucent.optvis.render import render_vis

    torch.manual_seed(unit)
    image = render_vis(model, objectives.channel(layer, unit), lambda: param.image(size),
                       transforms=[transform.pad(4, mode="constant", constant_value=0.5),
                                   transform.jitter(4)], thresholds=(steps,),
                       preprocess=model._get_name() == "InceptionV1", progress=False,
                       show_image=False, fixed_image_size=size + 8)[-1]
    return torch.tensor(image).permute(0, 3, 1, 2)


def measure(name: str, units: int, lucent_units: int, size: int, steps: int, device: str
            ) -> dict:
    model, leaky = load(name, device), load(name, device)  # render_vis leaks hooks on `leaky`
    layer = LAYERS[name]
    channels = unit_channels(model, layer, size)
    picked = [i % channels for i in range(units)]  # more units than channels: repeat them
    started = time.perf_counter()
    ours = render(model, layer, picked, size=size, steps=steps, transforms="light",
                  lr=0.05)  # render_vis's learning rate, whatever ours defaults to
    ours_s = time.perf_counter() - started
    reached = unit_activations(model, layer, ours, picked)
    started = time.perf_counter()
    theirs = [unit_activations(model, layer, lucent_one(leaky, layer, u, size, steps), [u])[0]
              for u in picked[:lucent_units]]
    lucent_s = (time.perf_counter() - started) / lucent_units * units
    ratios = [a / b for a, b in zip(reached, theirs, strict=False) if b > 0]
    return {"model": name, "layer": layer, "units": units, "ours": units / ours_s,
            "lucent": units / lucent_s, "speedup": lucent_s / ours_s,
            "min": min(ratios), "mean": statistics.mean(ratios)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["trained", "inception"])
    parser.add_argument("--units", nargs="+", type=int, default=[16, 64])
    parser.add_argument("--lucent-units", type=int, default=4)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=64)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}, {args.size} px, {args.steps} steps, device {args.device}")
    print("| model | layer | units | batched units/s | render_vis units/s | speed-up "
          "| activation ours/lucent (min, mean) |")
    print("|---|---|---|---|---|---|---|")
    for name in args.models:
        for units in args.units:
            row = measure(name, units, min(args.lucent_units, units), args.size, args.steps,
                          args.device)
            print(f"| {row['model']} | {row['layer']} | {row['units']} | {row['ours']:.2f} "
                  f"| {row['lucent']:.2f} | {row['speedup']:.1f}× "
                  f"| {row['min']:.2f}, {row['mean']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
