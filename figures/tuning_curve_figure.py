"""The ``tuning-curve`` directive: activation against the orientation of a synthetic stimulus.

```{tuning-curve}
:model: planted
:layer: conv2
:units: 0, 2, 4
:stimulus: curve
:alt: Each curve detector responds most to curves facing its own direction.
```
"""

from __future__ import annotations

from generator.figures import FigureContext, FigureOutput, builder, parse_units


@builder("tuning-curve")
def tuning_curve(ctx: FigureContext, model: str, layer: str, units: list[str] = [],  # noqa: B006
                 stimulus: str = "curve", step: float = 15.0, size: int = 64,
                 radius: float = 8.0) -> FigureOutput:
    """An Altair line chart (the pipeline stores the Vega-Lite spec and an SVG fallback)."""
    from figures.tuning import preferred, tuning, tuning_chart

    layer, picked = parse_units(layer, units)
    period = 180.0 if stimulus in ("line", "edge") else 360.0
    orientations = [i * step for i in range(int(period // step))]
    options = {"radius": radius} if stimulus == "curve" else {}
    rows = tuning(ctx.models[model], layer, picked, stimulus, orientations, size, **options)
    best = {unit: preferred(rows, unit) for unit in picked}
    return FigureOutput(
        alt=f"Activation of {layer} units {', '.join(map(str, picked))} as a {stimulus} turns "
            f"through {period:.0f}°.",
        caption=f"Tuning of `{layer}` to {stimulus} orientation; preferred: "
                + ", ".join(f"unit {u} at {o:.0f}°" for u, o in best.items()) + ".",
        vega_lite=tuning_chart(rows, f"{layer}: {stimulus} orientation"),
        data={"rows": rows, "preferred": {str(u): o for u, o in best.items()}},
    )
