"""Units per second of batched feature visualisation against lucent's ``render_vis``, on CUDA.

    .venv/bin/python bench/gpu.py                                 # InceptionV1, 64 and 256 units
    .venv/bin/python bench/gpu.py --device cpu --units 4 --lucent-units 1 --size 32 --steps 4

The settings are bench/featureviz.py's, equal on both sides (model, layer, image size, steps,
Adam(lr=0.05), lucent's FFT + decorrelated-colour parameterisation, pad 4 + jitter 4), and so
are the models (InceptionV1's architecture with random weights: speed does not depend on the
weights). On a GPU the clock is read after ``torch.cuda.synchronize()``, the first batch is a
warm-up (cuDNN picks its algorithms), and the peak GPU memory of each side is printed.
lucent keeps a module-level device (cuda:0 whenever CUDA exists); it is set to ``--device`` so
both sides run on the same one. ``render_vis`` renders one unit per call; it is timed on
``--lucent-units`` units and its rate extrapolated (it is linear in units).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import featureviz as cpu_bench  # bench/ is a folder of scripts, not a package

from figures.featureviz import render, unit_activations


def timed(device: str, work: Callable[[], object]) -> tuple[object, float, float]:
    """``work()``'s result, its seconds and its peak GPU memory in GiB (0 on the CPU)."""
    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    result = work()
    if cuda:
        torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else 0.0
    return result, time.perf_counter() - started, peak


def pin_lucent(device: str) -> None:
    """Make lucent's module-level device the one under test."""
    from lucent.optvis import transform
    from lucent.optvis.param import spatial

    spatial.device = transform.device = torch.device(device)


def measure(model_name: str, units: int, lucent_units: int, size: int, steps: int,
            device: str) -> dict:
    model = cpu_bench.load(model_name, device)
    leaky = cpu_bench.load(model_name, device)  # render_vis leaves its hooks on this one
    layer = cpu_bench.LAYERS[model_name]
    channels = cpu_bench.unit_channels(model, layer, size)
    picked = [i % channels for i in range(units)]
    render(model, layer, picked[:2], size=size, steps=2, transforms="light")  # warm-up
    ours, ours_s, ours_gib = timed(device, lambda: render(
        model, layer, picked, size=size, steps=steps, transforms="light", lr=0.05))
    reached = unit_activations(model, layer, ours, picked)
    cpu_bench.lucent_one(leaky, layer, picked[0], size, 2)  # warm-up
    theirs, lucent_s, lucent_gib = timed(device, lambda: [
        cpu_bench.lucent_one(leaky, layer, u, size, steps).to(device)
        for u in picked[:lucent_units]])
    activations = [unit_activations(model, layer, image, [u])[0]
                   for image, u in zip(theirs, picked, strict=False)]
    ratios = [a / b for a, b in zip(reached, activations, strict=False) if b > 0]
    lucent_s = lucent_s / lucent_units * units
    return {"model": model_name, "layer": layer, "units": units, "ours": units / ours_s,
            "lucent": units / lucent_s, "speedup": lucent_s / ours_s, "ours_gib": ours_gib,
            "lucent_gib": lucent_gib, "min": min(ratios, default=float("nan")),
            "mean": statistics.mean(ratios) if ratios else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["inception"])
    parser.add_argument("--units", nargs="+", type=int, default=[64, 256])
    parser.add_argument("--lucent-units", type=int, default=8)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=256)
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("no CUDA device here; pass --device cpu (with small settings) to try it")
    pin_lucent(args.device)
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else "CPU"
    print(f"{name}, torch {torch.__version__}, {args.size} px, {args.steps} steps, "
          f"device {args.device}")
    print("| model | layer | units | batched units/s | render_vis units/s | speed-up "
          "| peak GiB ours / lucent | activation ours/lucent (min, mean) |")
    print("|---|---|---|---|---|---|---|---|")
    for model_name in args.models:
        for units in args.units:
            row = measure(model_name, units, min(args.lucent_units, units), args.size,
                          args.steps, args.device)
            print(f"| {row['model']} | {row['layer']} | {row['units']} | {row['ours']:.2f} "
                  f"| {row['lucent']:.2f} | {row['speedup']:.1f}× "
                  f"| {row['ours_gib']:.2f} / {row['lucent_gib']:.2f} "
                  f"| {row['min']:.2f}, {row['mean']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
