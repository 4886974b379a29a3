"""Issue 16's curve ground truth, measured for the planted curve units and for a contrast-
normalised variant of them: how many of each curve unit's top-9 dataset examples are curves
whose part inside the unit's crop is within 22.5° of the planted orientation.

    .venv/bin/python bench/curve_ground_truth.py                       # both variants, seeds 0-2
    .venv/bin/python bench/curve_ground_truth.py --seeds 0 1 2 3 4 --images 4096 --icons

Variants of ``conv2`` (everything else is the planted model):

- **linear**: the planted model as it is (hand-wired arcs, radius 4 px, 5×5 on the pooled edges);
- **normalised**: matched templates (the pooled edge units' response to the drawn arc, radius
  6 px, 7×7, zero-mean, unit norm) divided by the L2 norm of the edge units in the window
  (``w·x / √(ε² + |x|²)``, ε = 0.1): a cosine, blind to the stimulus's contrast.

Each row is one seed of ``builtin:procedural`` (32 px): by the crop (:func:`figures.procedural.
in_crop`), by the whole image's label, and how many top examples are not curves at all. With
``--icons``, also how many of the 8 icons (the unit pages' settings, 64 px, 64 steps) match the
planted arc best (:func:`figures.featureviz.arc_match`, the variant's arc geometry), per
objective: the cost of the variant to issue 17's readable figures.

Measured 2026-12-01 (4,096 images, seeds 0-2): linear 20-29/72 by the crop (lines and edges at
high contrast outrank faint curves); normalised 72/72 by the crop on seeds 0-9 (62-70/72 by the
whole label), but its channel icons are textures of parallel stripes: 2/8 match their arc
(linear: 7/8), neuron 6/8 (linear: 7/8).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures import stimuli
from figures.datasets import Procedural
from figures.featureviz import angle_difference, arc_match, render
from figures.planted import GROUND_TRUTH, edge_weights, planted_model
from figures.scan import receptive_field, scan
from generator.units import ICON

RADIUS, KERNEL, FLOOR = 6.0, 7, 0.1


def edge_stage(images: torch.Tensor) -> torch.Tensor:
    return F.max_pool2d(F.relu(F.conv2d(images, edge_weights(), padding=3)), 2)


def matched_kernel(orientation: float) -> torch.Tensor:
    side = 4 * KERNEL
    with torch.no_grad():
        response = edge_stage(stimuli.curve(side, orientation, radius=RADIUS)[None])[0]
    top = response.shape[1] // 2 - KERNEL // 2
    kernel = response[:, top:top + KERNEL, top:top + KERNEL].clone()
    kernel -= kernel.mean()
    return kernel / kernel.norm()


class Normalised(nn.Conv2d):
    """``w·x / √(ε² + |x|²)`` over each position's window (all channels, zero padding)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = self.kernel_size[0]
        energy = F.avg_pool2d((x * x).sum(dim=1, keepdim=True), size, 1, size // 2,
                              count_include_pad=True) * size * size
        return super().forward(x) / (energy + FLOOR**2).sqrt()


def variant(name: str) -> tuple[nn.Module, float, float]:
    """The model, and its arcs' radius and half-length for ``arc_match``."""
    model = planted_model()
    if name == "linear":
        return model, 4.0, 70.0
    model.conv2 = Normalised(8, 8, KERNEL, padding=KERNEL // 2, bias=False)
    with torch.no_grad():
        model.conv2.weight.copy_(torch.stack([matched_kernel(o)
                                              for o in GROUND_TRUTH.curve_orientations]))
    return model.eval(), RADIUS, 60.0


def ground_truth(model: nn.Module, images: int, seed: int) -> tuple[int, int, int]:
    data = Procedural(images, seed, 32)
    found = scan(model, data, ["relu2"], 0, len(data), 9, 64)
    field = receptive_field(model, "relu2", 32)
    by_crop = by_label = other = 0
    for unit, rows in enumerate(found["layers"]["relu2"]["positive"]):
        planted = GROUND_TRUTH.curve_orientations[unit]
        for _, index, y, x in rows:
            label = data.describe(index, field.box(y, x))
            if label["kind"] != "curve" or "in_crop" not in label:
                other += 1
                continue
            by_crop += angle_difference(label["in_crop"]["orientation"], planted, 360) <= 22.5
            by_label += angle_difference(label["orientation"], planted, 360) <= 22.5
    return by_crop, by_label, other


def icons(model: nn.Module, radius: float, half_arc: float, objective: str) -> int:
    images = render(model, "conv2", list(range(8)), size=ICON["size"], steps=ICON["steps"],
                    objective=objective, seed=ICON["seed"])
    orientations = GROUND_TRUTH.curve_orientations
    return sum(max(orientations, key=lambda o: arc_match(image, o, radius, half_arc)) == want
               for image, want in zip(images, orientations, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", default=["linear", "normalised"],
                        choices=["linear", "normalised"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--images", type=int, default=4096)
    parser.add_argument("--icons", action="store_true", help="also render the 8 icons")
    args = parser.parse_args()
    print("| variant | seed | by the crop | by the label | not curves |")
    print("|---|---|---|---|---|")
    for name in args.variants:
        model, radius, half_arc = variant(name)
        for seed in args.seeds:
            crop, label, other = ground_truth(model, args.images, seed)
            print(f"| {name} | {seed} | {crop}/72 | {label}/72 | {other} |", flush=True)
        if args.icons:
            for objective in ("channel", "neuron"):
                print(f"| {name} | icons, {objective} | "
                      f"{icons(model, radius, half_arc, objective)}/8 match the arc | | |",
                      flush=True)


if __name__ == "__main__":
    main()
