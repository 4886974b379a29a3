"""Quality of the built-in trained CNN's feature visualisations, every unit (issue 17).

    .venv/bin/python bench/featureviz_quality.py                    # icon settings and defaults
    .venv/bin/python bench/featureviz_quality.py --settings icon    # 64 px, 64 steps only

For each of ``relu1``-``relu3``, each objective (``channel``, ``neuron``) and each setting
(``icon``: generator.units.ICON; ``defaults``: the builder's 128 px, 256 steps), one batched
render of every unit, and per image the measurements tests/test_featureviz_quality_trained.py
thresholds: pixel standard deviation (flat below 0.075) and the fraction of spectral energy
above half the Nyquist frequency (noise above 0.30), and whether the icon makes its unit fire
(its activation, read as the objective reads it, above zero). Also which units are *weak* on
512 ``builtin:procedural`` images (the training distribution): a peak activation under
:data:`WEAK` of the layer's median peak (zero: dead). The weights are the shipped ones
(figures/weights/, figures.trained.SHIPPED), or ``--weights``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

torch.set_num_threads(1)  # measured: on a shared 2-core machine a second thread only spins

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from figures import procedural
from figures.featureviz import (
    high_frequency_fraction,
    layer_output,
    pixel_std,
    render,
    unit_activations,
)
from generator.units import ICON

LAYERS = ("relu1", "relu2", "relu3")
SETTINGS = {"icon": (ICON["size"], ICON["steps"]), "defaults": (128, 256)}
STD_FLOOR, HF_CEILING = 0.075, 0.30
WEAK = 0.05


def weak_units(model: torch.nn.Module, layer: str, images: torch.Tensor) -> dict[int, float]:
    """Units whose peak activation over ``images`` is under :data:`WEAK` of the layer's
    median peak, with that ratio."""
    peak = layer_output(model, layer, images).amax(dim=(0, 2, 3))
    ratio = (peak / peak.median().clamp_min(1e-12)).tolist()
    return {unit: round(value, 3) for unit, value in enumerate(ratio) if value < WEAK}


def measure(model, layer: str, objective: str, size: int, steps: int) -> list[tuple]:
    units = list(range(layer_output(model, layer, torch.zeros(1, 3, 32, 32)).shape[1]))
    images = render(model, layer, units, size=size, steps=steps, objective=objective,
                    seed=ICON["seed"])
    fired = unit_activations(model, layer, images, units, kind=objective)
    return [(unit, pixel_std(image), high_frequency_fraction(image), activation)
            for unit, image, activation in zip(units, images, fired, strict=True)]


def report(name: str, rows: list[tuple], seconds: float) -> None:
    stds = [r[1] for r in rows]
    hfs = [r[2] for r in rows]
    flat = [r[0] for r in rows if r[1] < STD_FLOOR]
    noise = [r[0] for r in rows if r[2] > HF_CEILING]
    silent = [r[0] for r in rows if r[3] <= 0]
    print(f"{name}: std {min(stds):.3f}-{max(stds):.3f}, high-frequency {min(hfs):.3f}-"
          f"{max(hfs):.3f}; flat {flat or '-'}, noise {noise or '-'}, not firing "
          f"{silent or '-'} ({seconds:.0f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--settings", nargs="+", choices=list(SETTINGS), default=list(SETTINGS))
    parser.add_argument("--layers", nargs="+", choices=LAYERS, default=list(LAYERS))
    parser.add_argument("--objectives", nargs="+", default=["channel", "neuron"])
    parser.add_argument("--weights", type=Path, help="a state dict to load instead of the store's")
    parser.add_argument("--verbose", action="store_true", help="one line per unit")
    args = parser.parse_args()
    from figures.trained import TrainedCNN, trained_cnn

    if args.weights:
        state = torch.load(args.weights, weights_only=True)
        model = TrainedCNN(classes=state["head.weight"].shape[0])
        model.load_state_dict(state)
        model.eval()
    else:
        model = trained_cnn()
    data = torch.stack([procedural.draw(0, i, 32) for i in range(512)])
    for layer in args.layers:
        print(f"{layer}: weak on 512 procedural images (peak / median peak): "
              f"{weak_units(model, layer, data) or '-'}")
    for setting in args.settings:
        for layer in args.layers:
            for objective in args.objectives:
                start = time.process_time()
                rows = measure(model, layer, objective, *SETTINGS[setting])
                report(f"{setting} {layer} {objective}", rows, time.process_time() - start)
                if args.verbose:
                    for unit, std, hf, activation in rows:
                        print(f"  {layer}:{unit} std {std:.3f} hf {hf:.3f} "
                              f"activation {activation:.3f}")


if __name__ == "__main__":
    main()
