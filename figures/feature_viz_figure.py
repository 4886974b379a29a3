"""The ``feature-viz`` directive: many units of one layer, optimised in one batch.

```{feature-viz}
:model: planted
:layer: relu2
:units: 0-7
:size: 64
:steps: 64
:alt: Feature visualisations of the eight planted curve detectors.
```
"""

from __future__ import annotations

from generator.figures import FigureContext, FigureImage, FigureOutput, builder, parse_units


@builder("feature-viz")
def feature_viz(ctx: FigureContext, model: str, layer: str, units: list[str] = [],  # noqa: B006
                size: int = 128, steps: int = 256, seed: int = 0, transforms: str = "standard",
                objective: str = "channel", diversity: int = 1,
                direction: list[float] = [], lr: float = 0.05) -> FigureOutput:  # noqa: B006
    """Icons of ``units`` (``0-7``, ``3, 5`` or ``layer: mixed3b:379``): a grid, then one image
    per unit (other figures reuse those); data holds each unit's final activation. ``lr`` is
    Adam's learning rate (``figures.featureviz.LEARNING_RATE``, lucent's; 0.1 reaches a given
    activation in about half the steps, at some cost in fidelity: README, time to quality)."""
    from figures.featureviz import render, to_hwc, unit_activations

    net = ctx.models[model]
    layer, picked = (layer, [0]) if objective == "direction" else parse_units(layer, units)
    images = render(net, layer, picked, size=size, steps=steps, seed=seed, transforms=transforms,
                    objective=objective, per_unit=diversity, direction=direction, lr=lr,
                    progress=ctx.progress)
    tiles = to_hwc(images)
    owners = [u for u in picked for _ in range(diversity)]
    activations = unit_activations(net, layer, images, owners, "neuron" if objective == "neuron"
                                   else "channel") if objective != "direction" else []
    return FigureOutput(
        alt=f"Feature visualisations of {len(picked)} units of {layer}.",
        caption=f"Feature visualisation ({objective} objective) of `{layer}` units "
                f"{', '.join(map(str, picked))}; {steps} steps at {size} px, seed {seed}.",
        images=[_strip(tiles, [f"{layer}:{u}" for u in owners] if objective != "direction"
                       else None, size)]
        + [FigureImage(tile) for tile in tiles],
        data={"layer": layer, "units": owners, "activations": activations},
    )


COLUMNS = 4
"""Icons per row: at a 360 px wide screen four tiles of a ≤ 330 px column stay ≥ 48 px wide."""
SHOWN = 128
"""Pixels each icon is drawn at (nearest-neighbour, so a 64 px icon stays crisp), labels
beneath it at their own size; the strip is shown at its own size, at most 960 px wide."""


def _strip(tiles: list, labels: list[str] | None, size: int) -> FigureImage:
    from figures.grid import tile_grid

    grid = tile_grid(tiles, columns=min(COLUMNS, len(tiles)), gap=4, labels=labels,
                     scale=max(1, SHOWN // size))
    return FigureImage(grid, width=min(960, grid.shape[1]))
