"""The ``builtin:procedural`` dataset: curves, lines, edges and frequency boundaries at known
orientations, drawn by :mod:`figures.stimuli` like the built-in trained CNN's training images.

Image ``i`` is a deterministic function of (seed, i, side) alone, so any shard of a scan draws
its images without the others, and its label (kind, orientation, …) is the ground truth that
dataset examples are checked against. Orientation conventions are those of
:mod:`figures.stimuli`. Each stimulus is drawn on a larger canvas and cut at a random offset,
so the feature sits anywhere near the centre, not always on it; light noise is added.
"""

from __future__ import annotations

import math
import random

KINDS = ("curve", "line", "edge", "boundary")
CURVE_ARC = 120.0
"""Every curve is ``figures.stimuli.curve``'s default arc: 120° of a circle."""
PERIOD = {"curve": 360.0, "line": 180.0, "edge": 360.0, "boundary": 360.0}
"""Orientations are drawn uniformly over each kind's period."""
NOISE = 0.05
"""Standard deviation of the Gaussian pixel noise (as in the trained CNN's training batches)."""


def label(seed: int, index: int, side: int) -> dict:
    """What image ``index`` shows: kind, orientation (degrees) and drawing options."""
    rng = random.Random(f"procedural/{seed}/{index}")
    kind = KINDS[rng.randrange(len(KINDS))]
    margin = side // 4
    found = {"kind": kind, "orientation": round(rng.uniform(0, PERIOD[kind]), 3),
             "contrast": round(rng.uniform(0.5, 1.0), 3),
             "offset": [rng.randint(0, 2 * margin), rng.randint(0, 2 * margin)],
             "noise_seed": rng.randrange(1 << 30)}
    if kind in ("curve", "line"):
        found["width"] = round(rng.uniform(1.0, 2.5), 3)
    if kind == "curve":
        found["radius"] = round(rng.uniform(4.0, max(5.0, side / 3)), 3)
    return found


def draw(seed: int, index: int, side: int):
    """Image ``index`` as a (3, side, side) tensor in [0, 1]."""
    import torch

    from figures import stimuli

    info = label(seed, index, side)
    canvas = side + 2 * (side // 4)
    kind, angle = info["kind"], info["orientation"]
    if kind == "curve":
        image = stimuli.curve(canvas, angle, radius=info["radius"], width=info["width"],
                              contrast=info["contrast"])
    elif kind == "line":
        image = stimuli.line(canvas, angle, width=info["width"], contrast=info["contrast"])
    elif kind == "edge":
        image = stimuli.edge(canvas, angle, contrast=info["contrast"])
    else:
        image = stimuli.frequency_boundary(canvas, angle, seed=info["noise_seed"])
    top, left = info["offset"]  # the stimulus's centre moves by margin - offset
    image = image[:, top:top + side, left:left + side]
    generator = torch.Generator().manual_seed(info["noise_seed"])
    noise = torch.randn(1, side, side, generator=generator) * NOISE
    return (image + noise).clamp(0, 1)


def in_crop(info: dict, box: tuple[int, int, int], side: int) -> dict | None:
    """What part of a curve image ``box`` (top, left, size) shows: the mean outward normal of
    the arc's points inside the box and the image (its ``orientation``, degrees mod 360) and
    how many degrees of the arc they span (``arc``); None when no point of the arc is inside.
    Other kinds are straight: a crop shows them at the image's orientation (None).

    A unit sees its receptive field, not the whole image: a 120° arc holds every normal within
    60° of its label's, so a crop cut beside the apex shows a curve turned by up to 60°."""
    if info["kind"] != "curve":
        return None
    centre = (side + 2 * (side // 4) - 1) / 2  # the canvas's centre: the apex, before the cut
    radius, phi = info["radius"], math.radians(info["orientation"])
    top, left = info["offset"]
    cy, cx = centre - radius * math.sin(phi) - top, centre - radius * math.cos(phi) - left
    y0, x0, size = box
    y_low, y_high = max(y0, 0), min(y0 + size, side) - 1
    x_low, x_high = max(x0, 0), min(x0 + size, side) - 1
    steps = int(CURVE_ARC * 2)
    inside = [a for a in (phi + math.radians(CURVE_ARC * (k / steps - 0.5)) for k in range(steps + 1))
              if y_low <= cy + radius * math.sin(a) <= y_high
              and x_low <= cx + radius * math.cos(a) <= x_high]
    if not inside:
        return None
    mean = math.atan2(sum(map(math.sin, inside)), sum(map(math.cos, inside)))
    return {"orientation": round(math.degrees(mean), 1) % 360,
            "arc": round(CURVE_ARC * (len(inside) - 1) / steps, 1)}
