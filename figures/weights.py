"""Weight diagrams: direct weights, expanded weights and NMF factors, in the Circuits colours.

Normalisation (documented, tested): the weights of one output unit — all its inputs and
kernel positions together — are divided by their largest absolute value, so they lie in
[−1, 1] and the strongest weight is exactly ±1. Colours are piecewise-linear between
−1 #0571b0, −0.5 #92c5de, 0 #f7f7f7, +0.5 #f4a582, +1 #ca0020 (red excitatory, blue
inhibitory), rounded to the nearest integer per channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F

from figures.featureviz import run, truncated
from figures.hooks import layer_names

STOPS: list[tuple[float, tuple[int, int, int]]] = [
    (-1.0, (0x05, 0x71, 0xB0)), (-0.5, (0x92, 0xC5, 0xDE)), (0.0, (0xF7, 0xF7, 0xF7)),
    (0.5, (0xF4, 0xA5, 0x82)), (1.0, (0xCA, 0x00, 0x20)),
]


def colorize(values: np.ndarray | torch.Tensor) -> np.ndarray:
    """Values in [−1, 1] (clipped) → uint8 RGB with the Circuits diverging colour map (a tensor
    may lie on any device)."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    values = np.clip(np.asarray(values, dtype=np.float64), -1.0, 1.0)
    xs = [x for x, _ in STOPS]
    channels = [np.interp(values, xs, [rgb[c] for _, rgb in STOPS]) for c in range(3)]
    return np.rint(np.stack(channels, axis=-1)).astype(np.uint8)


def normalise(weights: torch.Tensor) -> torch.Tensor:
    """One output unit's weights divided by their largest magnitude: values in [−1, 1]."""
    peak = weights.abs().max()
    return weights / peak if peak > 0 else weights


def direct_weights(model: torch.nn.Module, layer: str, unit: int) -> torch.Tensor:
    """The (inputs, kh, kw) kernel of ``unit`` in the convolution named ``layer``."""
    module = layer_names(model).get(layer)
    weight = getattr(module, "weight", None)
    if weight is None or weight.dim() != 4:
        raise ValueError(f"layer '{layer}' is not a convolution; use expanded weights")
    return weight[unit].detach().clone()


def top_inputs(weights: torch.Tensor, k: int | None = None, fraction: float = 0.0) -> list[int]:
    """Inputs ordered by the L2 norm of their kernels: the top ``k`` of those whose norm is
    at least ``fraction`` of the largest."""
    norms = weights.flatten(1).norm(dim=1)
    order = [int(i) for i in torch.argsort(norms, descending=True, stable=True)]
    kept = [i for i in order if norms[i] >= fraction * norms.max()]
    return kept[:k] if k else kept


def heatmaps(weights: torch.Tensor, inputs: list[int]) -> list[np.ndarray]:
    """One (kh, kw, 3) uint8 image per input, after normalising the unit's weights as a whole."""
    values = normalise(weights).cpu().numpy()
    return [colorize(values[i]) for i in inputs]


# --- expanded weights ------------------------------------------------------------------------

@contextmanager
def linearised(model: torch.nn.Module) -> Iterator[None]:
    """ReLUs act as the identity and max-pools as average pools inside the block.

    Module-level hooks replace outputs, so lucent's InceptionV1 helper layers (called with
    keyword arguments, after −inf padding) are covered too. Hooks are removed on exit.
    """
    handles = []
    for module in model.modules():
        name = type(module).__name__.lower()
        if "relu" in name:
            handles.append(module.register_forward_hook(_identity, with_kwargs=True))
        elif "maxpool" in name:
            handles.append(module.register_forward_hook(_average, with_kwargs=True))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _identity(_module, args, kwargs, _output):
    return args[0] if args else next(iter(kwargs.values()))


def _average(module, args, kwargs, _output):
    x = torch.nan_to_num(args[0], neginf=0.0, posinf=0.0)  # −inf padding meant "ignore"
    options = {key: kwargs.get(key, getattr(module, key, default)) for key, default in
               (("kernel_size", 2), ("stride", None), ("padding", 0), ("ceil_mode", False))}
    return F.avg_pool2d(x, **options)


def expanded_weights(model: torch.nn.Module, lower: str, upper: str, unit: int,
                     input_size: int = 64, crop: int | None = None) -> torch.Tensor:
    """Expanded weights from every channel of ``lower`` to ``unit`` of ``upper``: the gradient
    of the unit's centre activation w.r.t. ``lower`` in the linearised network, cropped to
    ``crop`` (default: the smallest centred square holding every non-zero entry)."""
    device = next(model.parameters()).device
    holder: dict[str, torch.Tensor] = {}

    def to_leaf(_module, _inputs, output):
        holder["x"] = output.detach().requires_grad_(True)
        return holder["x"]

    with linearised(model):
        # registered after the linearising hooks, so it runs last on a ReLU or pool ``lower``
        # and the leaf it returns is what flows on (hooks run in registration order)
        handle = layer_names(model)[lower].register_forward_hook(to_leaf)
        try:
            with truncated(model, upper) as outputs:
                run(model, torch.zeros(1, 3, input_size, input_size, device=device))
        finally:
            handle.remove()
    acts = outputs[upper]
    acts[0, unit, acts.shape[2] // 2, acts.shape[3] // 2].backward()
    return _crop(holder["x"].grad[0].detach(), crop)


def _crop(grad: torch.Tensor, size: int | None) -> torch.Tensor:
    """A centred window of the gradient map around its support's centre."""
    support = grad.abs().sum(dim=0) > 0
    ys, xs = torch.nonzero(support, as_tuple=True)
    if len(ys) == 0:
        return grad[:, :1, :1] * 0
    cy, cx = (int(ys.min() + ys.max()) // 2, int(xs.min() + xs.max()) // 2)
    if size is None:
        size = int(max(ys.max() - ys.min(), xs.max() - xs.min())) + 1
    top, left = cy - (size - 1) // 2, cx - (size - 1) // 2
    padded = F.pad(grad, [size] * 4)
    return padded[:, top + size:top + 2 * size, left + size:left + 2 * size]


# --- NMF -------------------------------------------------------------------------------------

def posneg(x: torch.Tensor, dim: int) -> torch.Tensor:
    """relu(x) and relu(−x) side by side along ``dim``: non-negative, nothing lost."""
    return torch.cat([x.clamp(min=0), (-x).clamp(min=0)], dim=dim)


def nmf(matrix: torch.Tensor, rank: int, steps: int = 300, seed: int = 0
        ) -> tuple[torch.Tensor, torch.Tensor]:
    """Non-negative ``V ≈ W H`` (batched over leading dims) by Lee–Seung multiplicative updates,
    from a seeded random start: deterministic, and no scikit-learn needed. Computed on the CPU
    in float64 whatever ``matrix``'s device (the factors are returned there): the seeded start
    is a CPU generator's, MPS has no float64, and every device then gives the same factors."""
    v = matrix.detach().cpu().double()
    generator = torch.Generator().manual_seed(seed)
    scale = (v.mean() / rank).sqrt().item() or 1.0
    w = torch.rand(*v.shape[:-1], rank, generator=generator, dtype=v.dtype) * scale + 1e-3
    h = torch.rand(*v.shape[:-2], rank, v.shape[-1], generator=generator, dtype=v.dtype) * scale
    h = h + 1e-3
    for _ in range(steps):
        h = h * (w.transpose(-1, -2) @ v) / (w.transpose(-1, -2) @ w @ h + 1e-12)
        w = w * (v @ h.transpose(-1, -2)) / (w @ h @ h.transpose(-1, -2) + 1e-12)
    return w.float().to(matrix.device), h.float().to(matrix.device)


def nmf_factors(weights: torch.Tensor, rank: int = 3, seed: int = 0
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """Factor the inputs of several units' weights (units, in, kh, kw): returns spatial maps
    (units, rank, kh, kw) and signed loadings (rank, in) (positive part minus negative part)."""
    units, inputs, kh, kw = weights.shape
    matrix = weights.permute(0, 2, 3, 1).reshape(units * kh * kw, inputs)
    w, h = nmf(posneg(matrix, dim=1), rank, seed=seed)
    maps = w.reshape(units, kh, kw, rank).permute(0, 3, 1, 2)
    return maps, h[:, :inputs] - h[:, inputs:]
