"""A hand-built model whose every unit has a known meaning: the ground truth for the figures.

In the spirit of the Circuits thread's "artificial artificial neural network": weights are
written by hand, not learned, so a figure can be checked against what was planted.

- ``conv1`` (→ ``relu1``): 8 odd Gabor filters, oriented edge detectors. Unit ``i`` responds to
  luminance changing along the direction ``EDGE_ANGLES[i] = 22.5° · i`` (the image gradient's
  orientation, mod 180°; x to the right, y down).
- ``pool1``: 2×2 max-pool.
- ``conv2`` (→ ``relu2``): 8 curve detectors wired from ``relu1``: unit ``j`` is a circular arc
  whose outward normal at its apex points along ``CURVE_ORIENTATIONS[j] = 45° · j`` (mod 360°).
  Each point of the arc excites the edge unit parallel to the local normal and inhibits the
  orthogonal one (weight ``cos 2(θ_edge − α_normal)``).
- ``conv3`` (→ ``relu3``): a deliberately *banded* layer: every kernel is constant along x
  (horizontal bands), as in the Circuits thread's "Weight Banding".

The model takes RGB images in [0, 1] (no ImageNet normalisation): see :data:`INPUT_RANGE`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import nn

EDGE_ANGLES: list[float] = [22.5 * i for i in range(8)]
CURVE_ORIENTATIONS: list[float] = [45.0 * j for j in range(8)]
INPUT_RANGE = "unit"
"""Input convention read by feature visualisation: RGB in [0, 1], no normalisation."""


@dataclass(frozen=True)
class GroundTruth:
    """What was planted, as data: tests and articles compare figures against it."""

    edge_layer: str = "relu1"
    edge_angles: list[float] = field(default_factory=lambda: list(EDGE_ANGLES))
    curve_layer: str = "conv2"
    curve_orientations: list[float] = field(default_factory=lambda: list(CURVE_ORIENTATIONS))
    banded_layer: str = "conv3"


GROUND_TRUTH = GroundTruth()


def gabor(angle_deg: float, size: int = 7, sigma: float = 1.6, wavelength: float = 5.0
          ) -> torch.Tensor:
    """An odd (sine-phase) Gabor: an edge detector whose gradient points along ``angle_deg``."""
    r = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    y, x = torch.meshgrid(r, r, indexing="ij")
    theta = math.radians(angle_deg)
    along = x * math.cos(theta) + y * math.sin(theta)
    kernel = torch.exp(-(x**2 + y**2) / (2 * sigma**2)) * torch.sin(2 * math.pi * along / wavelength)
    return kernel / kernel.norm()


def edge_weights() -> torch.Tensor:
    """``conv1`` weights (8, 3, 7, 7): each Gabor applied equally to R, G and B."""
    bank = torch.stack([gabor(angle) for angle in EDGE_ANGLES])
    return bank[:, None].repeat(1, 3, 1, 1) / 3


def curve_kernel(orientation_deg: float, size: int = 5, radius: float = 2.0) -> torch.Tensor:
    """One curve detector's weights (8 edge inputs, size, size).

    Points of the arc are splatted bilinearly; each excites the edge unit parallel to the local
    normal and inhibits the orthogonal one. Every input's map is then made zero-mean over
    space, so a uniform texture of one edge orientation leaves the unit silent: it needs the
    arrangement, not just the edges. Unit L2 norm, so no curve unit is favoured.
    """
    kernel = torch.zeros(len(EDGE_ANGLES), size, size)
    phi = math.radians(orientation_deg)
    centre = (size - 1) / 2
    cx, cy = centre - radius * math.cos(phi), centre - radius * math.sin(phi)
    edges = torch.tensor([math.radians(a) for a in EDGE_ANGLES])
    for alpha in torch.linspace(phi - math.radians(70), phi + math.radians(70), 29).tolist():
        _splat(kernel, cx + radius * math.cos(alpha), cy + radius * math.sin(alpha),
               torch.cos(2 * (edges - alpha)))
    kernel -= kernel.mean(dim=(1, 2), keepdim=True)
    return kernel / kernel.norm()


def _splat(kernel: torch.Tensor, x: float, y: float, values: torch.Tensor) -> None:
    """Add ``values`` (one per input) at sub-pixel (x, y), shared bilinearly by 4 pixels."""
    x0, y0 = math.floor(x), math.floor(y)
    for yy, xx in ((y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1)):
        share = (1 - abs(x - xx)) * (1 - abs(y - yy))
        if 0 <= xx < kernel.shape[2] and 0 <= yy < kernel.shape[1] and share > 0:
            kernel[:, yy, xx] += share * values


def banded_weights(out_channels: int = 8, in_channels: int = 8, size: int = 5,
                   seed: int = 0) -> torch.Tensor:
    """``conv3`` weights: random per (unit, input, row), repeated along x: horizontal bands."""
    generator = torch.Generator().manual_seed(seed)
    rows = torch.randn(out_channels, in_channels, size, 1, generator=generator)
    return rows.repeat(1, 1, 1, size)


class PlantedModel(nn.Module):
    """Edges → curves → a banded layer, all hand-set; lucent-style names are the module names."""

    input_range = INPUT_RANGE

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 7, padding=3, bias=False)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 8, 5, padding=2, bias=False)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(8, 8, 5, padding=2, bias=False)
        self.relu3 = nn.ReLU()
        with torch.no_grad():
            self.conv1.weight.copy_(edge_weights())
            self.conv2.weight.copy_(torch.stack([curve_kernel(o) for o in CURVE_ORIENTATIONS]))
            self.conv3.weight.copy_(banded_weights())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(self.relu1(self.conv1(x)))
        return self.relu3(self.conv3(self.relu2(self.conv2(x))))


def planted_model() -> PlantedModel:
    """Factory for ``builtin:planted`` (the weights need no seed: they are written by hand)."""
    return PlantedModel().eval()
