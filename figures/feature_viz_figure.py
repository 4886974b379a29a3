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
                direction: list[float] = []) -> FigureOutput:  # noqa: B006
    """Icons of ``units`` (``0-7``, ``3, 5`` or ``layer: mixed3b:379``): a grid, then one image
    per unit (other figures reuse those); data holds each unit's final activation."""
    from figures.featureviz import render, to_hwc, unit_activations
    from figures.grid import tile_grid

    net = ctx.models[model]
    layer, picked = (layer, [0]) if objective == "direction" else parse_units(layer, units)
    images = render(net, layer, picked, size=size, steps=steps, seed=seed, transforms=transforms,
                    objective=objective, per_unit=diversity, direction=direction,
                    progress=ctx.progress)
    tiles = to_hwc(images)
    owners = [u for u in picked for _ in range(diversity)]
    activations = unit_activations(net, layer, images, owners, "neuron" if objective == "neuron"
                                   else "channel") if objective != "direction" else []
    return FigureOutput(
        alt=f"Feature visualisations of {len(picked)} units of {layer}.",
        caption=f"Feature visualisation ({objective} objective) of `{layer}` units "
                f"{', '.join(map(str, picked))}; {steps} steps at {size} px, seed {seed}.",
        images=[_shown(tile_grid(tiles, columns=min(8, len(tiles))))]
        + [FigureImage(tile) for tile in tiles],
        data={"layer": layer, "units": owners, "activations": activations},
    )


def _shown(grid) -> FigureImage:
    """Icons are small optimised images: show them 2.5× larger, at most 960 CSS pixels wide."""
    return FigureImage(grid, width=min(960, round(grid.shape[1] * 2.5)))
