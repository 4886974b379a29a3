"""Synthetic stimuli: curves, lines, edges and frequency boundaries at chosen orientations.

Used by tuning curves (activation against orientation) and to train the built-in CNN.
Conventions match :mod:`figures.planted`: angles in degrees, x to the right, y down; an
image is (3, size, size) in [0, 1], a dark figure on a light ground unless said otherwise.
A curve's *orientation* is the direction its outward normal points at the apex (mod 360°),
an edge's or boundary's is the direction across it (mod 180° for edges, 360° for boundaries).
"""

from __future__ import annotations

import math

import torch


def grid(size: int, centre: tuple[float, float] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel coordinates (y, x) relative to ``centre`` (default: the image centre)."""
    cy, cx = centre if centre is not None else ((size - 1) / 2, (size - 1) / 2)
    r = torch.arange(size, dtype=torch.float32)
    y, x = torch.meshgrid(r - cy, r - cx, indexing="ij")
    return y, x


def _ink(distance: torch.Tensor, width: float) -> torch.Tensor:
    """Anti-aliased stroke: 1 on the stroke, falling to 0 over one pixel."""
    return (width / 2 + 0.5 - distance).clamp(0, 1)


def _gray(ink: torch.Tensor, contrast: float = 1.0) -> torch.Tensor:
    """Dark ink on a light ground, as RGB."""
    return (1 - contrast * ink).clamp(0, 1).expand(3, *ink.shape).clone()


def curve(size: int, orientation: float, radius: float = 8.0, width: float = 1.5,
          arc: float = 120.0, contrast: float = 1.0) -> torch.Tensor:
    """An arc of a circle through the image centre, bulging towards ``orientation``."""
    phi = math.radians(orientation)
    y, x = grid(size, ((size - 1) / 2 - radius * math.sin(phi),
                       (size - 1) / 2 - radius * math.cos(phi)))  # relative to the circle's centre
    distance = ((x**2 + y**2).sqrt() - radius).abs()
    angle = torch.atan2(y, x) - phi
    within = torch.cos(angle) >= math.cos(math.radians(arc / 2))
    return _gray(_ink(distance, width) * within, contrast)


def line(size: int, orientation: float, width: float = 1.5, contrast: float = 1.0
         ) -> torch.Tensor:
    """A straight line through the centre; ``orientation`` is its normal (mod 180°)."""
    theta = math.radians(orientation)
    y, x = grid(size)
    return _gray(_ink((x * math.cos(theta) + y * math.sin(theta)).abs(), width), contrast)


def edge(size: int, orientation: float, contrast: float = 1.0) -> torch.Tensor:
    """A step edge through the centre, dark → light along ``orientation``."""
    theta = math.radians(orientation)
    y, x = grid(size)
    along = x * math.cos(theta) + y * math.sin(theta)
    return (0.5 + contrast * (along.clamp(-0.5, 0.5))).expand(3, size, size).clone()


def frequency_boundary(size: int, orientation: float, high: float = 0.35, low: float = 0.06,
                       seed: int = 0) -> torch.Tensor:
    """High-frequency texture on one side of a line through the centre, low on the other;
    ``orientation`` points from the high- to the low-frequency side."""
    generator = torch.Generator().manual_seed(seed)
    theta = math.radians(orientation)
    y, x = grid(size)
    along = x * math.cos(theta) + y * math.sin(theta)
    fine = _grating(size, high, float(torch.rand(1, generator=generator)) * 180)
    coarse = _grating(size, low, float(torch.rand(1, generator=generator)) * 180)
    side = torch.sigmoid(along * 2)
    image = (1 - side) * fine + side * coarse
    return image.expand(3, size, size).clone()


def _grating(size: int, frequency: float, angle: float) -> torch.Tensor:
    theta = math.radians(angle)
    y, x = grid(size)
    return 0.5 + 0.5 * torch.sin(2 * math.pi * frequency * (x * math.cos(theta)
                                                            + y * math.sin(theta)))


KINDS = {"curve": curve, "line": line, "edge": edge, "boundary": frequency_boundary}
"""Stimulus families by name, each ``fn(size, orientation, **options)``."""


def sweep(kind: str, size: int, orientations: list[float], **options) -> torch.Tensor:
    """A batch (len(orientations), 3, size, size) of one stimulus family."""
    if kind not in KINDS:
        raise ValueError(f"unknown stimulus '{kind}' (choose from {', '.join(KINDS)})")
    return torch.stack([KINDS[kind](size, o, **options) for o in orientations])
