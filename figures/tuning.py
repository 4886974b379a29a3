"""Tuning curves: a unit's activation as a synthetic stimulus turns through orientations."""

from __future__ import annotations

import torch

from figures.featureviz import layer_output
from figures.stimuli import sweep


def tuning(model: torch.nn.Module, layer: str, units: list[int], kind: str = "curve",
           orientations: list[float] | None = None, size: int = 64, **options) -> list[dict]:
    """Rows ``{unit, orientation, activation}``: the centre activation of each unit for the
    stimulus ``kind`` centred in the image at each orientation."""
    orientations = orientations if orientations is not None else list(range(0, 360, 15))
    device = next(model.parameters()).device
    acts = layer_output(model, layer, sweep(kind, size, orientations, **options).to(device))
    centre = acts[:, :, acts.shape[2] // 2, acts.shape[3] // 2].cpu()
    return [{"unit": unit, "orientation": float(o), "activation": float(centre[i, unit])}
            for unit in units for i, o in enumerate(orientations)]


def preferred(rows: list[dict], unit: int) -> float:
    """The orientation at which ``unit`` responds most."""
    return max((r for r in rows if r["unit"] == unit), key=lambda r: r["activation"])[
        "orientation"]


def tuning_chart(rows: list[dict], title: str = ""):
    """A line chart of activation against orientation, one line per unit (Vega-Lite)."""
    import altair as alt

    return alt.Chart(alt.Data(values=rows), title=title).mark_line(point=True).encode(
        x=alt.X("orientation:Q", title="orientation (°)", scale=alt.Scale(domain=[0, 360])),
        y=alt.Y("activation:Q", title="activation"),
        color=alt.Color("unit:N", title="unit"),
    )
