"""``unit-weights``: each unit's strongest direct input and output weights, for unit pages.

```{unit-weights}
:model: planted
:layer: conv2
:units: 0, 4
:alt: The strongest inputs and outputs of curve detectors 0 and 4.
```
Inputs are the kernel of the convolution that computes the unit (``relu1`` is computed by
``conv1``), one input channel each; outputs are the unit's input slice in every convolution
that reads it (``conv2`` reads ``relu1`` through ``pool1``): :mod:`figures.graph` says which.
Both are ranked by the L2 norm of their raw kernels and coloured with the Circuits map after
:func:`figures.weights.normalise` of the *receiving* unit's whole kernel, as in
``weight-diagram``. Every neighbour is named by a layer of its family, the first in ``names``
(the layers a site's pages use) or else the ReLU after its convolution, and gets a small
feature-viz icon, rendered in one batch per neighbouring layer, unless ``icons`` is false (unit
pages take every icon from the neighbour's own ``feature-viz`` shard instead).
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.figures import FigureContext, FigureImage, FigureOutput, builder, parse_units

THUMBNAIL = 64
"""Heatmaps are stored about this many pixels wide (a whole number of pixels per weight)."""
RGB = ("red", "green", "blue")


@dataclass
class Link:
    """One kernel of ``conv`` between a unit of ``layer`` and a neighbour, either way."""

    neighbour: tuple[str, int]
    """The other unit (layer name, index); layer ``""`` is a channel of the input image."""
    label: str
    conv: str
    values: object
    """The (kh, kw) weights, normalised over the receiving unit's kernel."""
    norm: float


@builder("unit-weights")
def unit_weights(ctx: FigureContext, model: str, layer: str, units: list[str] = [],  # noqa: B006
                 k: int = 4, names: list[str] = [], icon_size: int = 64,  # noqa: B006
                 icon_steps: int = 64, seed: int = 0, input_size: int = 224,
                 icons: bool = True) -> FigureOutput:
    """Per unit of ``units``: its ``k`` strongest inputs and outputs as heatmaps, and an icon of
    every neighbour; ``data`` says which image shows what."""
    import torch

    from figures.graph import trace

    net = ctx.models[model]
    layer, picked = parse_units(layer, units)
    graph = trace(net, torch.zeros(1, 3, input_size, input_size, device=ctx.device))
    found = {unit: (inputs(net, graph, layer, unit, k, names),
                    outputs(net, graph, layer, unit, k, names)) for unit in picked}
    links = [x for ins, outs in found.values() for x in ins + outs]
    images = [_heatmap(x.values) for x in links]
    numbers = _icons(ctx, net, links, images, icon_size, icon_steps, seed) if icons else {}
    shown = {id(x): 1 + i for i, x in enumerate(links)}  # image 0 is the sheet
    entries = [{"unit": unit, "inputs": [_entry(x, shown[id(x)], numbers) for x in ins],
                "outputs": [_entry(x, shown[id(x)], numbers) for x in outs]}
               for unit, (ins, outs) in found.items()]
    sheet = _sheet([[x.values for x in ins] + [None] + [x.values for x in outs]
                    for ins, outs in found.values()])
    return FigureOutput(
        alt=f"Strongest input and output weights of {len(picked)} units of {layer}; red "
            "excites, blue inhibits.",
        caption=f"Rows: `{layer}` units {', '.join(map(str, picked))}; the {k} strongest inputs, "
                f"then the {k} strongest outputs, each normalised over the receiving unit.",
        images=[FigureImage(sheet, pixelated=True, width=min(640, sheet.shape[1] * 4)), *images],
        data={"layer": layer, "inputs_from": graph.conv(layer) or "",
              "outputs_to": graph.readers(layer), "units": entries},
    )


def inputs(net, graph, layer: str, unit: int, k: int, names: list[str]) -> list[Link]:
    """The ``k`` input channels of the unit's own convolution with the largest kernels."""
    from figures.weights import direct_weights, normalise, top_inputs

    conv = graph.conv(layer)
    if conv is None:
        return []
    weights = direct_weights(net, conv, unit)
    source = graph.reads[conv] and graph.name(graph.reads[conv], names)
    values = normalise(weights)
    return [Link((source, i), _label(source, i, len(weights)), conv, values[i],
                 float(weights[i].norm())) for i in top_inputs(weights, k)]


def _label(layer: str, index: int, channels: int) -> str:
    if layer:
        return f"{layer}:{index}"
    return f"input {RGB[index]}" if channels == 3 else f"input channel {index}"


def outputs(net, graph, layer: str, unit: int, k: int, names: list[str]) -> list[Link]:
    """The ``k`` units of convolutions reading this one that it feeds with the largest kernels."""
    from figures.weights import direct_weights, normalise

    found = []
    for conv in graph.readers(layer):
        target = graph.name(conv, names)
        for out in range(graph.channels[conv]):
            weights = direct_weights(net, conv, out)
            found.append(Link((target, out), f"{target}:{out}", conv,
                              normalise(weights)[unit], float(weights[unit].norm())))
    return sorted(found, key=lambda x: -x.norm)[:k]  # stable: ties keep network order


def _icons(ctx, net, links: list[Link], images: list, size: int, steps: int,
           seed: int) -> dict[tuple[str, int], int]:
    """Append one icon per neighbour unit to ``images`` (a batch per neighbouring layer);
    returns each neighbour's image number (image 0 being the sheet)."""
    from figures.featureviz import render, to_hwc

    wanted: dict[str, list[int]] = {}
    for name, index in (x.neighbour for x in links):
        if name and index not in wanted.setdefault(name, []):
            wanted[name].append(index)
    icons = {}
    for step, (name, indices) in enumerate(sorted(wanted.items())):
        tiles = to_hwc(render(net, name, indices, size=size, steps=steps, seed=seed,
                              progress=lambda done, total, step=step:
                              ctx.progress(step + done / total, len(wanted))))
        for index, tile in zip(indices, tiles, strict=True):
            images.append(FigureImage(tile))
            icons[(name, index)] = len(images)
    return icons


def _entry(link: Link, weights: int, icons: dict) -> dict:
    """A link as data: the neighbour, the conv, its strongest weight and its image numbers."""
    values = link.values
    peak = float(values.flatten()[values.abs().flatten().argmax()])
    return {"layer": link.neighbour[0], "index": link.neighbour[1], "label": link.label,
            "conv": link.conv, "size": list(values.shape), "peak": round(peak, 4),
            "norm": round(link.norm, 6), "weights": weights, "icon": icons.get(link.neighbour)}


def _heatmap(values) -> FigureImage:
    """A kernel in the Circuits colours, a whole number of pixels per weight."""
    from figures.weights import colorize

    rgb = colorize(values.cpu().numpy())
    return FigureImage(rgb, pixelated=True, width=rgb.shape[1] * max(1, THUMBNAIL // rgb.shape[1]))


def _sheet(rows: list[list]):
    """One row of upscaled heatmaps per unit (``None``: the gap between inputs and outputs)."""
    import numpy as np

    from figures.weights import colorize

    cell, gap = 32, 4
    width = max(len(row) for row in rows) * (cell + gap)
    sheet = np.full((len(rows) * (cell + gap), max(width, cell), 3), 255, dtype=np.uint8)
    for r, row in enumerate(rows):
        for c, values in enumerate(row):
            if values is not None:
                tile = colorize(values.cpu().numpy())
                ys = np.arange(cell) * tile.shape[0] // cell
                xs = np.arange(cell) * tile.shape[1] // cell
                top, left = r * (cell + gap), c * (cell + gap)
                sheet[top:top + cell, left:left + cell] = tile[ys][:, xs]
    return sheet
