"""Tiles of equal size in a white-separated grid: the one grid of feature-viz strips, banding
plots and every other figure made of many small images."""

from __future__ import annotations

import math

import numpy as np


def tile_grid(images: list[np.ndarray], columns: int = 8, gap: int = 2) -> np.ndarray:
    """H×W×3 float images of equal size, in rows of ``columns``, ``gap`` white pixels apart."""
    h, w = images[0].shape[:2]
    rows = math.ceil(len(images) / columns)
    grid = np.ones((rows * (h + gap) - gap, min(columns, len(images)) * (w + gap) - gap, 3))
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        grid[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = image[..., :3]
    return grid
