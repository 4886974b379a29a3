"""Scanning a dataset for the inputs that activate units most (and least), and cutting out the
part of each input a unit's position sees.

A unit's activation on an image is its **maximum over spatial positions** (for negative
examples, its minimum); the position where it is reached is kept with the image id. Ties are
broken by the lower image id, and a shard's range is whole batches, so the top-k of a sharded
scan merged is exactly the top-k of one scan of the whole dataset.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from figures.featureviz import preprocess_for
from figures.hooks import capture, layer_names

SIGNS = {"positive": True, "negative": False}
"""``sign`` → whether the largest values rank first."""


class _Stop(Exception):
    """Raised once every layer a scan needs has run: nothing deeper is computed."""


@contextmanager
def stop_when_captured(model, layers: list[str]) -> Iterator[dict]:
    """Capture ``layers``; the forward pass stops as soon as all of them have run."""
    with capture(model, layers) as outputs:
        def check(*_args) -> None:
            if len(outputs) == len(layers):
                raise _Stop
        handles = [layer_names(model)[name].register_forward_hook(check) for name in layers]
        try:
            yield outputs
        finally:
            for handle in handles:
                handle.remove()


def activations(model, layers: list[str], images: torch.Tensor) -> dict[str, torch.Tensor]:
    """``layers``' outputs for a batch of [0, 1] images, without gradients. The batch goes in
    channels-last, which convolutions and pools keep: on CPU that ran the trained CNN about
    twice as fast and InceptionV1 to ``mixed3b`` about 1.3× (bench/dataset_scan.py)."""
    prep = preprocess_for(model)
    with torch.no_grad(), stop_when_captured(model, layers) as outputs:
        try:
            model(prep(images).contiguous(memory_format=torch.channels_last))
        except _Stop:
            pass
        return dict(outputs)


@dataclass
class TopK:
    """The running k best (value, image id, flat position) per unit of one layer."""

    k: int
    largest: bool
    values: torch.Tensor | None = None
    ids: torch.Tensor | None = None
    positions: torch.Tensor | None = None

    def add(self, values: torch.Tensor, ids: torch.Tensor, positions: torch.Tensor) -> None:
        """Merge a batch (B × units, ids ascending and above every id seen so far): a stable
        sort keeps the lower id first among equal values."""
        if self.values is not None:
            values = torch.cat([self.values, values])
            ids = torch.cat([self.ids, ids])
            positions = torch.cat([self.positions, positions])
        order = torch.sort(values, dim=0, descending=self.largest, stable=True).indices[: self.k]
        self.values, self.ids = values.gather(0, order), ids.gather(0, order)
        self.positions = positions.gather(0, order)

    def rows(self, width: int) -> list[list[list]]:
        """Per unit: ``[value, image id, y, x]`` best first."""
        return [[[float(v), int(i), int(p) // width, int(p) % width]
                 for v, i, p in zip(self.values[:, u], self.ids[:, u], self.positions[:, u],
                                    strict=True)]
                for u in range(self.values.shape[1])]


def scan(model, dataset, layers: list[str], start: int, stop: int, k: int, batch: int,
         device: str = "cpu", progress: Callable[[float, float], None] | None = None) -> dict:
    """Images ``start:stop`` of ``dataset`` in batches of ``batch``: each layer's top-k and
    bottom-k per unit, as JSON-able lists (see :func:`TopK.rows`)."""
    kept = {(layer, sign): TopK(k, largest) for layer in layers for sign, largest in SIGNS.items()}
    widths: dict[str, int] = {}
    for first in range(start, stop, batch):
        ids = list(range(first, min(first + batch, stop)))
        outputs = activations(model, layers, dataset.images(ids).to(device))
        id_column = torch.tensor(ids)[:, None]
        for layer in layers:
            flat = positions_last(outputs[layer])
            widths[layer] = outputs[layer].shape[-1]
            for sign, (values, positions) in (("positive", flat.max(dim=1)),
                                              ("negative", flat.min(dim=1))):
                kept[(layer, sign)].add(values, id_column.expand_as(values), positions)
        if progress is not None:
            progress(ids[-1] + 1 - start, stop - start)
    return {"start": start, "stop": stop, "count": stop - start, "k": k,
            "layers": {layer: {sign: kept[(layer, sign)].rows(widths[layer]) for sign in SIGNS}
                       for layer in layers}}


def positions_last(output: torch.Tensor) -> torch.Tensor:
    """A (B, C, H, W) activation as (B, H·W, C) on the CPU, flat position ``y·W + x``: a view
    of a channels-last tensor, so the max over positions copies nothing."""
    batch, channels = output.shape[:2]
    return output.permute(0, 2, 3, 1).reshape(batch, -1, channels).float().cpu()


# --- what a position sees ------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    """The input square a layer's position (y, x) sees: its top-left corner is
    ``(y·stride + offset, x·stride + offset)``, its side ``size`` (it may reach past the
    image, where there is only padding)."""

    size: int
    stride: int
    offset: int

    def box(self, y: int, x: int) -> tuple[int, int, int]:
        return y * self.stride + self.offset, x * self.stride + self.offset, self.size


def receptive_field(model, layer: str, side: int, device: str = "cpu") -> Field:
    """The receptive field of ``layer``'s positions, from the network's own geometry: the input
    pixels that the centre position (and its diagonal neighbour, for the stride) depends on,
    i.e. the support of the gradient, united over a few random inputs so that every max-pool
    window element and every ReLU path is seen. Probed on a larger input when the field at
    ``side`` would be cut by the image border."""
    found = None
    for probe in (side, 2 * side, 4 * side):
        try:
            here = [_support(model, layer, probe, device, step) for step in (0, 1)]
        except (RuntimeError, ValueError):  # a model that needs its own input size
            break
        found = here
        top, bottom = here[0][:2]
        if 0 < top and bottom < probe - 1:
            break
    if found is None:
        raise ValueError(f"cannot find the receptive field of layer '{layer}'")
    (top, bottom, position, count), (next_top, _, next_position, _) = found
    stride = ((next_top - top) // (next_position - position) if next_position != position
              else max(1, round(probe / count)))
    return Field(bottom - top + 1, stride, top - position * stride)


def _support(model, layer: str, probe: int, device: str, step: int
             ) -> tuple[int, int, int, int]:
    """(first and last input row that position (c + step, c + step) of ``layer`` depends on,
    that position's row c + step, the layer's height), on a ``probe``² input."""
    generator = torch.Generator().manual_seed(step)
    rows = torch.zeros(probe, dtype=torch.bool)
    prep = preprocess_for(model)
    for _ in range(4):
        x = torch.rand(1, 3, probe, probe, generator=generator).to(device).requires_grad_(True)
        with stop_when_captured(model, [layer]) as outputs:
            try:
                model(prep(x))
            except _Stop:
                pass
        out = outputs[layer]
        height, width = out.shape[-2:]
        y, x_at = min(height // 2 + step, height - 1), min(width // 2 + step, width - 1)
        (grad,) = torch.autograd.grad(out[0, :, y, x_at].sum(), x)  # weights' grads untouched
        rows |= (grad[0].abs().sum(dim=(0, 2)) > 0).cpu()
    where = rows.nonzero().flatten()
    if where.numel() == 0:
        return 0, probe - 1, y, height
    return int(where[0]), int(where[-1]), y, height


def crop(image: torch.Tensor, box: tuple[int, int, int],
         fill: float | torch.Tensor = 1.0) -> torch.Tensor:
    """The square ``box`` (top, left, size) of a (3, H, W) image; outside the image: ``fill``
    (a value, or one per channel such as :func:`padding_colour`)."""
    top, left, size = box
    out = torch.empty((image.shape[0], size, size), dtype=image.dtype)
    out[:] = torch.as_tensor(fill, dtype=image.dtype).reshape(-1, 1, 1)
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + size, image.shape[1]), min(left + size, image.shape[2])
    if y1 > y0 and x1 > x0:
        out[:, y0 - top:y1 - top, x0 - left:x1 - left] = image[:, y0:y1, x0:x1]
    return out


def padding_colour(model) -> torch.Tensor:
    """The input colour (per channel, in [0, 1]) that the model's preprocessing maps to zero:
    what its convolutions' zero padding stands for. A crop that reaches past the image shows
    it there, so a unit that fires on the image's border shows the edge it sees."""
    prep = preprocess_for(model)
    with torch.no_grad():
        zero, one = (prep(torch.full((1, 3, 1, 1), v)).flatten() for v in (0.0, 1.0))
    scale = torch.where((one - zero).abs() > 1e-12, one - zero, torch.ones_like(zero))
    return (-zero / scale).clamp(0, 1)


def clipped(box: tuple[int, int, int], side: int) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of ``box`` inside a ``side``² image (bottom/right exclusive)."""
    top, left, size = box
    return max(top, 0), max(left, 0), min(top + size, side), min(left + size, side)


def grid_columns(k: int) -> int:
    return max(1, math.ceil(math.sqrt(k)))
