"""The ``weight-diagram`` directive: a unit's strongest inputs as Circuits-coloured heatmaps.

```{weight-diagram}
:model: planted
:unit: conv2:0
:lower: relu1
:k: 4
:alt: The edge detectors that curve detector 0 reads, with their weights.
```
Modes: ``direct`` (the conv's own kernel), ``expanded`` (through the linearised network from
``lower``), ``nmf`` (factors of the weights of ``units``, positive and negative parts apart).
"""

from __future__ import annotations

from generator.figures import FigureContext, FigureImage, FigureOutput, builder, parse_units


@builder("weight-diagram")
def weight_diagram(ctx: FigureContext, model: str, unit: str, lower: str = "",
                   mode: str = "direct", k: int = 8, fraction: float = 0.0,
                   units: list[str] = [], rank: int = 3, icons: bool = True,  # noqa: B006
                   icon_size: int = 48, icon_steps: int = 64, input_size: int = 64,
                   seed: int = 0) -> FigureOutput:
    """Heatmaps normalised per output unit (strongest weight = ±1), pixelated, each beside the
    feature-viz icon of its input unit when ``lower`` names the input layer."""

    net = ctx.models[model]
    layer, (index, *_) = parse_units(unit)
    if mode == "nmf":
        return _nmf_figure(net, layer, parse_units(layer, units or [str(index)])[1], lower,
                           rank, input_size, seed)
    weights = _unit_weights(net, mode, layer, index, lower, input_size)
    return _diagram(ctx, net, weights, f"{layer}:{index}", lower, k, fraction,
                    icons, icon_size, icon_steps, seed)


def _unit_weights(net, mode: str, layer: str, index: int, lower: str, input_size: int):
    from figures.weights import direct_weights, expanded_weights

    if mode == "direct":
        return direct_weights(net, layer, index)
    if mode == "expanded":
        if not lower:
            raise ValueError("mode 'expanded' needs 'lower': the layer to expand from")
        return expanded_weights(net, lower, layer, index, input_size)
    raise ValueError(f"unknown mode '{mode}' (choose direct, expanded or nmf)")


def _diagram(ctx, net, weights, name, lower, k, fraction, icons, icon_size, icon_steps, seed):
    """The stacked raster (image 0: feeds, previews) and, for the page's labelled HTML rows
    (generator/directives/weight_rows.py), each input's heatmap (images 1…k) and icon (images
    k+1…2k), the range of each input's weights and the colour scale's stops."""
    import numpy as np

    from figures.featureviz import render, to_hwc
    from figures.weights import STOPS, heatmaps, normalise, top_inputs

    inputs = top_inputs(weights, k, fraction)
    maps = heatmaps(weights, inputs)
    tiles = [_upscale(m, icon_size) for m in maps]
    icon_images = []
    if icons and lower:
        rendered = to_hwc(render(net, lower, inputs, size=icon_size, steps=icon_steps,
                                 seed=seed, transforms="light", progress=ctx.progress))
        icon_images = [(icon * 255).round().astype(np.uint8) for icon in rendered]
        tiles = [np.concatenate([icon, _gap(icon_size), tile], axis=1)
                 for icon, tile in zip(icon_images, tiles, strict=True)]
    values = normalise(weights)
    ranges = [[float(values[i].min()), float(values[i].max())] for i in inputs]
    return FigureOutput(
        alt=f"Weights from the {len(inputs)} strongest inputs to {name}; red excites, "
            f"blue inhibits.",
        caption=f"Weights into `{name}` from inputs {', '.join(map(str, inputs))}, "
                "normalised so the strongest is ±1.",
        images=[_pixelated(_stack(tiles))]
        + [FigureImage(m, pixelated=True) for m in maps]
        + [FigureImage(icon) for icon in icon_images],
        data={"unit": name, "lower": lower, "inputs": inputs, "ranges": ranges,
              "icons": bool(icon_images),
              "scale": [[x, "#{:02x}{:02x}{:02x}".format(*rgb)] for x, rgb in STOPS],
              "weights": [values[i].tolist() for i in inputs]},
    )


def _nmf_figure(net, layer, indices, lower, rank, input_size, seed):
    import torch

    from figures.weights import colorize, direct_weights, expanded_weights, nmf_factors

    stack = torch.stack([expanded_weights(net, lower, layer, i, input_size) if lower
                         else direct_weights(net, layer, i) for i in indices])
    maps, loadings = nmf_factors(stack, rank, seed)
    peak = maps.max().clamp(min=1e-12)
    rows = [_stack([_upscale(colorize((m / peak).cpu().numpy()), 48) for m in unit], axis=1)
            for unit in maps]
    picture = _stack(rows)
    return FigureOutput(
        alt=f"{rank} NMF factors of the weights of {len(indices)} units of {layer}.",
        caption=f"NMF factors of `{layer}` units {', '.join(map(str, indices))} "
                "(posneg: positive and negative weights factored side by side).",
        images=[_pixelated(picture)],
        data={"layer": layer, "units": indices, "loadings": loadings.tolist(),
              "tiles": {"image": 0, "size": list(picture.shape[:2]), "tile": [48, 48], "gap": 4,
                        "rows": [f"{layer}:{unit}" for unit in indices],
                        "headings": [f"factor {j + 1}" for j in range(rank)]}},
    )


def _upscale(image, size: int):
    """Nearest-neighbour resize to size × size: every weight stays one flat colour block."""
    import numpy as np

    rows = np.arange(size) * image.shape[0] // size
    cols = np.arange(size) * image.shape[1] // size
    return image[rows][:, cols]


def _gap(size: int):
    import numpy as np

    return np.full((size, 4, 3), 255, dtype=np.uint8)


def _stack(tiles: list, axis: int = 0):
    """Tiles of equal width (or height) one after another, separated by white."""
    import numpy as np

    parts = []
    for tile in tiles:
        if parts:
            shape = list(tile.shape)
            shape[axis] = 4
            parts.append(np.full(shape, 255, dtype=np.uint8))
        parts.append(tile)
    return np.concatenate(parts, axis=axis)


def _pixelated(image) -> FigureImage:
    """Weights are read cell by cell: 4× nearest-neighbour, at most 640 CSS pixels wide."""
    return FigureImage(image, pixelated=True, width=min(640, image.shape[1] * 4))
