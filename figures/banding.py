"""Banding plots: each unit's weights as an RGB image of its three NMF spatial factors.

For one unit, the weights (in, kh, kw) are reshaped to (kh·kw, in), made non-negative with the
posneg trick, and factored with NMF(3); the three spatial factors, ordered by their centroid
(top to bottom, then left to right), become the red, green and blue channels. Banded units show
stripes. :func:`banding_score` measures it without NMF:

    score_h = Σ ‖rowmean(K − mean K)‖² / Σ ‖K − mean K‖²    (sums over every (unit, input) kernel)

the fraction of the kernels' spatial variance explained by one value per row (horizontal
bands), and ``score_v`` likewise per column. 1 means perfectly banded; an i.i.d. random layer
expects (kh − 1)/(kh·kw − 1), 0.17 for 5×5 kernels. A layer is reported *banded* when
``max(score_h, score_v) ≥ BANDED``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from figures.grid import tile_grid
from figures.weights import nmf, posneg

BANDED = 0.5


@dataclass(frozen=True)
class BandingScore:
    horizontal: float
    vertical: float

    @property
    def score(self) -> float:
        return max(self.horizontal, self.vertical)

    @property
    def banded(self) -> bool:
        return self.score >= BANDED


def banding_score(weight: torch.Tensor) -> BandingScore:
    """How much of a conv layer's (out, in, kh, kw) spatial weight variance lies in bands."""
    k = weight.detach().double()
    k = k - k.mean(dim=(2, 3), keepdim=True)
    total = float((k**2).sum()) or 1.0
    rows = float((k.mean(dim=3) ** 2).sum()) * k.shape[3]
    cols = float((k.mean(dim=2) ** 2).sum()) * k.shape[2]
    return BandingScore(rows / total, cols / total)


def unit_factors(weight: torch.Tensor, rank: int = 3, seed: int = 0) -> torch.Tensor:
    """(out, kh, kw, rank) non-negative spatial factors per unit, ordered by centroid and
    scaled so each unit's largest value is 1."""
    out, inputs, kh, kw = weight.shape
    matrix = weight.detach().cpu().permute(0, 2, 3, 1).reshape(out, kh * kw, inputs)
    w, _ = nmf(posneg(matrix, dim=2), rank, seed=seed)
    maps = w.reshape(out, kh, kw, rank)
    maps = torch.stack([unit[..., _centroid_order(unit)] for unit in maps])
    peak = maps.flatten(1).max(dim=1).values.clamp(min=1e-12)
    return maps / peak[:, None, None, None]


def _centroid_order(maps: torch.Tensor) -> list[int]:
    """Factors sorted by spatial centroid: top to bottom, then left to right."""
    kh, kw, rank = maps.shape
    ys = torch.arange(kh, dtype=maps.dtype)[:, None]
    xs = torch.arange(kw, dtype=maps.dtype)[None, :]
    mass = maps.sum(dim=(0, 1)).clamp(min=1e-12)
    cy = [(maps[..., f] * ys).sum() / mass[f] for f in range(rank)]
    cx = [(maps[..., f] * xs).sum() / mass[f] for f in range(rank)]
    return sorted(range(rank), key=lambda f: (round(float(cy[f]), 3), float(cx[f])))


def banding_grid(factors: torch.Tensor, scale: int = 8, columns: int = 16, gap: int = 2
                 ) -> np.ndarray:
    """All units' RGB factor images, upscaled nearest-neighbour, in a white-separated grid."""
    images = [np.kron(unit[..., :3].numpy(), np.ones((scale, scale, 1))) for unit in factors]
    return tile_grid(images, columns, gap)


def kmeans(points: torch.Tensor, k: int, seed: int = 0, steps: int = 50) -> torch.Tensor:
    """Cluster labels of ``points`` (n, d) by Lloyd's k-means from seeded distinct starts."""
    generator = torch.Generator().manual_seed(seed)
    centres = points[torch.randperm(len(points), generator=generator)[:k]].clone()
    for _ in range(steps):
        labels = torch.cdist(points, centres).argmin(dim=1)
        for c in range(len(centres)):
            if (labels == c).any():
                centres[c] = points[labels == c].mean(dim=0)
    return labels


def cluster_chart(factors: torch.Tensor, k: int = 4, seed: int = 0):
    """An Altair bar chart: how many units fall in each k-means cluster of their factors."""
    import altair as alt

    labels = kmeans(factors.flatten(1).double(), min(k, len(factors)), seed)
    counts = [{"cluster": int(c), "units": int((labels == c).sum())} for c in labels.unique()]
    return alt.Chart(alt.Data(values=counts)).mark_bar().encode(
        x=alt.X("cluster:O", title="cluster"), y=alt.Y("units:Q", title="units"))
