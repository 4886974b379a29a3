"""``model-layers``: the channel count of every layer of a model, by lucent's layer names.

Not a figure for readers: the generator checks unit references (``{unit}`planted/relu1:3```)
against it without importing torch, because the answer is frozen in the figure store.
"""

from __future__ import annotations

from generator.figures import FigureContext, FigureOutput, builder


@builder("model-layers")
def model_layers(ctx: FigureContext, model: str, input_size: int = 224) -> FigureOutput:
    """One forward pass of a blank image, recording each layer's output channels."""
    import torch

    from figures.hooks import capture, layer_names

    net = ctx.models[model]
    names = [name for name in layer_names(net)]
    with torch.no_grad(), capture(net, names) as outputs:
        net(torch.zeros(1, 3, input_size, input_size, device=ctx.device))
    layers = {name: int(out.shape[1]) for name, out in outputs.items()
              if hasattr(out, "shape") and len(out.shape) == 4}
    return FigureOutput(alt=f"Layers of {model}.", data={"layers": dict(sorted(layers.items()))})
