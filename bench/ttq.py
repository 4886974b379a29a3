"""Time to quality: how long batched feature visualisation takes to reach, per unit, the
activation lucent's ``render_vis`` reaches at 512 steps (issue 17's speed target: ≥ 5× less).

    .venv/bin/python bench/ttq.py                                  # both models, ~10 min on 2 cores
    .venv/bin/python bench/ttq.py --models trained --units 16 --lucent-units 4

For each model, ``render_vis`` renders ``--lucent-units`` units one by one at
``--lucent-steps`` (512) steps; each unit's channel-mean activation on its final image (no
transforms) is that unit's **target**, and its seconds per unit the baseline. Ours renders all
``--units`` units in one batch at each step count of ``--ladder`` (a fresh run each, as a user
would choose ``steps``); the **time to quality** is the time of the shortest run in which every
unit that both rendered reaches its target, divided by the batch's units. Same image size, FFT +
decorrelated-colour parameterisation and transforms (pad 4 + jitter 4) on both sides, as in
bench/featureviz.py, and Adam at render_vis's learning rate (0.05) on its side and ``--lr`` on
ours (default ``figures.featureviz.LEARNING_RATE``, also 0.05); our redirected-ReLU warm-up is
part of our time.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))
from featureviz import LAYERS, load, lucent_one, unit_channels  # bench/featureviz.py

from figures.featureviz import LEARNING_RATE, render, unit_activations


def targets(name: str, layer: str, units: list[int], size: int, steps: int, device: str
            ) -> tuple[list[float], float]:
    """``render_vis``'s activation per unit at ``steps`` steps, and its seconds per unit."""
    model = load(name, device)  # render_vis leaves hooks on the model it is given
    started = time.perf_counter()
    reached = [unit_activations(model, layer, lucent_one(model, layer, u, size, steps), [u])[0]
               for u in units]
    return reached, (time.perf_counter() - started) / len(units)


def ladder(name: str, layer: str, units: list[int], size: int, rungs: list[int], device: str,
           lr: float) -> list[tuple[int, float, list[float]]]:
    """``(steps, seconds, activation per unit)`` of one batched render per rung."""
    model, results = load(name, device), []
    for steps in rungs:
        started = time.perf_counter()
        images = render(model, layer, units, size=size, steps=steps, transforms="light", lr=lr)
        seconds = time.perf_counter() - started
        results.append((steps, seconds, unit_activations(model, layer, images, units)))
        print(f"  ours {steps:4d} steps: {seconds:7.1f} s for {len(units)} units", flush=True)
    return results


def measure(name: str, units: int, lucent_units: int, size: int, lucent_steps: int,
            rungs: list[int], device: str, lr: float) -> dict:
    layer = LAYERS[name]
    channels = unit_channels(load(name, device), layer, size)
    picked = [i % channels for i in range(units)]
    goal, lucent_s = targets(name, layer, picked[:lucent_units], size, lucent_steps, device)
    print(f"  render_vis {lucent_steps} steps: {lucent_s:.1f} s per unit", flush=True)
    runs = ladder(name, layer, picked, size, rungs, device, lr)
    first = next(((steps, seconds) for steps, seconds, acts in runs
                  if all(a >= g for a, g in zip(acts, goal, strict=False))), None)
    share = {steps: sum(a >= g for a, g in zip(acts, goal, strict=False)) / len(goal)
             for steps, _, acts in runs}
    last = runs[-1][2]
    ttq = first[1] / units if first else None
    return {"model": name, "layer": layer, "units": units, "lucent_s": lucent_s,
            "steps": first[0] if first else None, "ttq": ttq,
            "speedup": lucent_s / ttq if ttq else None, "share": share,
            "ratio": statistics.mean(a / g for a, g in zip(last, goal, strict=False) if g > 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["trained", "inception"])
    parser.add_argument("--units", type=int, default=16, help="units in our batch")
    parser.add_argument("--lucent-units", type=int, default=4,
                        help="units render_vis renders (the targets)")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--lucent-steps", type=int, default=512)
    parser.add_argument("--ladder", nargs="+", type=int, default=[32, 64, 128, 256, 384, 512])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--lr", type=float, default=LEARNING_RATE, help="our Adam learning rate")
    args = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}, {args.size} px, device {args.device}, our lr {args.lr}",
          flush=True)
    rows = [measure(name, args.units, min(args.lucent_units, args.units), args.size,
                    args.lucent_steps, args.ladder, args.device, args.lr) for name in args.models]
    print(f"\n| model | layer | batch | render_vis s/unit ({args.lucent_steps} steps) "
          "| ours: steps to reach it | ours s/unit | time-to-quality speed-up "
          "| units at target per rung | activation ours/render_vis at the last rung |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        share = ", ".join(f"{s}: {v:.0%}" for s, v in r["share"].items())
        steps = r["steps"] or f"not within {args.ladder[-1]}"
        ttq = f"{r['ttq']:.2f}" if r["ttq"] else "–"
        speed = f"{r['speedup']:.1f}×" if r["speedup"] else "–"
        print(f"| {r['model']} | {r['layer']} | {r['units']} | {r['lucent_s']:.2f} | {steps} "
              f"| {ttq} | {speed} | {share} | {r['ratio']:.2f} |")


if __name__ == "__main__":
    main()
