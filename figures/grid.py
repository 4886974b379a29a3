"""Tiles of equal size in a white-separated grid: the one grid of feature-viz strips, banding
plots and every other figure made of many small images."""

from __future__ import annotations

import math

import numpy as np

LABEL_HEIGHT = 18
"""Pixels of the text line under each labelled tile (a 13 px font)."""


def tile_grid(images: list[np.ndarray], columns: int = 8, gap: int = 2,
              labels: list[str] | None = None, scale: int = 1) -> np.ndarray:
    """H×W×3 float images of equal size, in rows of ``columns``, ``gap`` white pixels apart;
    each upscaled ``scale``× nearest-neighbour (a 64 px icon stays crisp when shown larger)
    and, with ``labels``, named by a line of text under it (``relu2:3``)."""
    if scale > 1:
        images = [np.kron(image[..., :3], np.ones((scale, scale, 1))) for image in images]
    h, w = images[0].shape[:2]
    cell = h + (LABEL_HEIGHT if labels else 0)
    rows = math.ceil(len(images) / columns)
    grid = np.ones((rows * (cell + gap) - gap, min(columns, len(images)) * (w + gap) - gap, 3))
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        grid[r * (cell + gap):r * (cell + gap) + h, c * (w + gap):c * (w + gap) + w] = image[..., :3]
    return _labelled(grid, labels, columns, (cell, w), gap) if labels else grid


def _labelled(grid: np.ndarray, labels: list[str], columns: int, cell: tuple[int, int],
              gap: int) -> np.ndarray:
    """``grid`` with each label centred in the text line under its tile (Pillow draws it)."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.fromarray((grid * 255).round().clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13)
    (ch, cw) = cell
    for i, label in enumerate(labels):
        r, c = divmod(i, columns)
        x = c * (cw + gap) + cw / 2
        y = r * (ch + gap) + ch - LABEL_HEIGHT / 2
        draw.text((x, y), label, fill=(40, 40, 40), font=font, anchor="mm")
    return np.asarray(image, dtype=np.float64) / 255
