"""How a model's layers are wired, read from one forward pass: what each layer reads.

Direct weights join two units only through a convolution, and the layer a unit is named by is
often not that convolution: ``relu1:4`` is channel 4 of ``conv1`` after a ReLU, and ``conv2``
reads it after a max-pool. So a leaf module that keeps channels one to one (not a convolution,
no weight matrix, as many channels out as in: ReLU, pooling, batch norm) joins the layer it
reads in a *family*; channel ``i`` of every member is the same unit. A unit's input weights are
those of its family's convolution, its output weights those of every convolution that reads a
member (see :mod:`figures.unit_weights_figure`).

What a module reads is the layer whose output tensor it receives, by identity (the latest leaf
to return that tensor wins, so ``conv2`` reads an in-place ReLU, not the conv before it; ``""``
is the model's input). An input made outside any module (``torch.relu`` in ``forward``) is
matched to the latest earlier layer with as many channels, or to the input if none has.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from figures.hooks import layer_names


@dataclass(frozen=True)
class Graph:
    """Layers with 4-d outputs, in the order they first ran, and how they connect."""

    channels: dict[str, int]
    order: list[str]
    reads: dict[str, str]
    """Layer → the layer whose output it takes (``""``: the model's input image)."""
    kinds: dict[str, str]
    """``conv`` (an ungrouped Conv2d), ``relu`` or ``keeps`` (channel-wise), or ``other``."""

    def family(self, layer: str) -> list[str]:
        """The layers whose channel ``i`` is ``layer``'s channel ``i``, in network order."""
        linked = {layer}
        changed = True
        while changed:
            changed = False
            for name in self.order:
                if self.kinds[name] in ("relu", "keeps") and \
                        (name in linked) != (self.reads[name] in linked) and self.reads[name]:
                    linked |= {name, self.reads[name]}
                    changed = True
        return [name for name in self.order if name in linked]

    def conv(self, layer: str) -> str | None:
        """The convolution that computes ``layer``'s units, if one does."""
        return next((m for m in self.family(layer) if self.kinds[m] == "conv"), None)

    def readers(self, layer: str) -> list[str]:
        """The convolutions that read ``layer``'s units."""
        family = set(self.family(layer))
        return [m for m in self.order if self.kinds[m] == "conv" and self.reads[m] in family]

    def name(self, layer: str, preferred: list[str]) -> str:
        """How to name the unit ``layer`` shares with its family: a ``preferred`` member, else
        the ReLU after the convolution, else the first member."""
        family = self.family(layer)
        return next((m for m in family if m in preferred),
                    next((m for m in family if self.kinds[m] == "relu"), family[0]))


def trace(model: torch.nn.Module, image: torch.Tensor) -> Graph:
    """Run ``image`` through ``model`` once (no grad) and record the wiring of its layers."""
    modules = layer_names(model)
    seen = _Seen(image)
    with torch.no_grad(), _hooks(modules, seen):
        model(image)
    kinds = {name: _kind(modules[name], seen.inputs[name], seen.channels[name])
             for name in seen.order}
    return Graph(dict(seen.channels), list(seen.order), seen.resolved(), kinds)


class _Seen:
    """What the hooks record: producers of tensors (kept alive, so ``id`` stays unique)."""

    def __init__(self, image: torch.Tensor):
        self.producer: dict[int, str] = {id(image): ""}
        self.alive: list[torch.Tensor] = [image]
        self.order: list[str] = []
        self.channels: dict[str, int] = {}
        self.inputs: dict[str, int | None] = {}
        self.read: dict[str, tuple[str | None, int]] = {}

    def before(self, name: str, x) -> None:
        if name not in self.read:
            self.read[name] = (self.producer.get(id(x)), len(self.order))
            self.inputs[name] = int(x.shape[1]) if _is_map(x) else None

    def after(self, name: str, out, leaf: bool) -> None:
        if _is_map(out) and name not in self.channels:
            self.channels[name] = int(out.shape[1])
            self.order.append(name)
            self.alive.append(out)
            if leaf or id(out) not in self.producer:
                self.producer[id(out)] = name

    def resolved(self) -> dict[str, str]:
        """Each layer's source; one fed by an op outside any module gets the latest earlier
        layer with as many channels."""
        reads = {}
        for name in self.order:
            source, position = self.read.get(name, ("", 0))
            if source is None:
                source = next((m for m in reversed(self.order[:position])
                               if self.channels[m] == self.inputs[name]), "")
            reads[name] = source
        return reads


@contextmanager
def _hooks(modules: dict, seen: _Seen) -> Iterator[None]:
    handles = []
    for name, module in modules.items():
        leaf = next(module.children(), None) is None
        handles.append(module.register_forward_pre_hook(
            lambda _m, args, kwargs, name=name: seen.before(name, _first(args, kwargs)),
            with_kwargs=True))
        handles.append(module.register_forward_hook(
            lambda _m, _args, out, name=name, leaf=leaf: seen.after(name, out, leaf)))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _first(args: tuple, kwargs: dict):
    return next((v for v in (*args, *kwargs.values()) if isinstance(v, torch.Tensor)), None)


def _is_map(x) -> bool:
    return isinstance(x, torch.Tensor) and x.dim() == 4


def _kind(module: torch.nn.Module, in_channels: int | None, channels: int) -> str:
    if isinstance(module, torch.nn.Conv2d):
        return "conv" if module.groups == 1 else "other"
    leaf = next(module.children(), None) is None
    matrix = any(p.dim() > 1 for p in module.parameters(recurse=False))
    if not leaf or matrix or in_channels != channels:
        return "other"
    return "relu" if "relu" in type(module).__name__.lower() else "keeps"
