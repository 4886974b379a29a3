"""A tiny chart builder: mean activation per channel of the tiny model, as Vega-Lite."""

from generator.figures import FigureContext, FigureOutput, builder


@builder("tiny-chart")
def tiny_chart(ctx: FigureContext, model: str, layer: str = "conv1") -> FigureOutput:
    import torch

    from figures.hooks import capture

    net = ctx.models[model]
    with capture(net, [layer]) as outputs, torch.no_grad():
        net(torch.ones(1, 3, 8, 8, device=ctx.device))
    means = outputs[layer][0].mean(dim=(1, 2)).tolist()
    values = [{"channel": i, "mean": round(m, 6)} for i, m in enumerate(means)]
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json",
            "data": {"values": values}, "mark": "bar",
            "encoding": {"x": {"field": "channel", "type": "ordinal"},
                         "y": {"field": "mean", "type": "quantitative"}}}
    return FigureOutput(alt="Mean activation of each channel.", vega_lite=spec, data=values)
