"""``model-layers``: the channel count of every layer of a model, by lucent's layer names, the
order the layers run in, the layer each one reads (``""``: the input image) and its families
(layers whose channel ``i`` is the same unit, by the name unit pages use unless a site prefers
another member: the ReLU after the convolution).

Not a figure for readers: the generator checks unit references (``{unit}`planted/relu1:3```)
against it, and lists a model's units in network order, without importing torch, because the
answer is frozen in the figure store. figures/graph.py says how the wiring is read.
"""

from __future__ import annotations

from generator.figures import FigureContext, FigureOutput, builder


@builder("model-layers")
def model_layers(ctx: FigureContext, model: str, input_size: int = 224) -> FigureOutput:
    """One forward pass of a blank image, recording each layer's output channels and inputs."""
    import torch

    from figures.graph import trace

    graph = trace(ctx.models[model], torch.zeros(1, 3, input_size, input_size, device=ctx.device))
    families = {graph.name(layer, []): graph.family(layer) for layer in graph.order}
    return FigureOutput(alt=f"Layers of {model}.",
                        data={"layers": dict(sorted(graph.channels.items())),
                              "order": graph.order, "reads": graph.reads,
                              "families": families})
