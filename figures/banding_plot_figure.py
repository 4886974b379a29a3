"""The ``banding-plot`` directive: every unit of a conv layer as RGB NMF factors of its weights.

```{banding-plot}
:model: planted
:layer: conv3
:clusters: 3
:alt: Weights of the planted banded layer: horizontal stripes in every unit.
```
"""

from __future__ import annotations

from generator.figures import FigureContext, FigureImage, FigureOutput, builder


@builder("banding-plot")
def banding_plot(ctx: FigureContext, model: str, layer: str, scale: int = 8, columns: int = 16,
                 clusters: int = 0, seed: int = 0) -> FigureOutput:
    """A grid of all units, and the layer's banding score (see figures/banding.py); with
    ``clusters`` > 0, an Altair bar chart of k-means clusters of the units' factors."""
    from figures.banding import banding_grid, banding_score, cluster_chart, unit_factors
    from figures.hooks import layer_names

    module = layer_names(ctx.models[model]).get(layer)
    weight = getattr(module, "weight", None)
    if weight is None or weight.dim() != 4:
        raise ValueError(f"layer '{layer}' is not a convolution")
    factors = unit_factors(weight.detach().cpu(), seed=seed)
    score = banding_score(weight.detach().cpu())
    grid = banding_grid(factors, scale, columns)
    verdict = "banded" if score.banded else "not banded"
    return FigureOutput(
        alt=f"NMF factors of the weights of all {len(factors)} units of {layer}, as colours; "
            f"the layer is {verdict}.",
        caption=f"Weights of `{layer}` as three NMF factors (red, green, blue, top to bottom). "
                f"Banding score {score.score:.2f}: {verdict}.",
        images=[FigureImage(grid)],
        vega_lite=cluster_chart(factors, clusters, seed) if clusters > 0 else None,
        data={"layer": layer, "horizontal": score.horizontal, "vertical": score.vertical,
              "banded": score.banded,
              "tiles": {"image": 0, "tile": [factors.shape[1] * scale, factors.shape[2] * scale],
                        "gap": 2, "size": list(grid.shape[:2]),
                        "columns": min(columns, len(factors)),
                        "labels": [f"{layer}:{unit}" for unit in range(len(factors))]}},
    )
