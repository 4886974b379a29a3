"""Reading activations by lucent's layer and unit names (``mixed3b``, ``mixed3b:379``).

Forward hooks are registered in a context manager and always removed, unlike lucent's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


def layer_names(model) -> dict[str, object]:
    """Lucent's names for a model's modules: dotted paths with ``_`` for ``.``."""
    return {name.replace(".", "_"): module for name, module in model.named_modules() if name}


@contextmanager
def capture(model, layers: list[str]) -> Iterator[dict[str, object]]:
    """Collect the outputs of ``layers`` during forward passes inside the ``with`` block."""
    modules = layer_names(model)
    unknown = [layer for layer in layers if layer not in modules]
    if unknown:
        raise KeyError(f"unknown layer {', '.join(unknown)} (layers: {', '.join(modules)})")
    outputs: dict[str, object] = {}
    handles = [modules[layer].register_forward_hook(
        lambda _module, _inputs, output, layer=layer: outputs.__setitem__(layer, output))
        for layer in layers]
    try:
        yield outputs
    finally:
        for handle in handles:
            handle.remove()
