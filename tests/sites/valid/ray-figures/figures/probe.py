"""``probe``: one channel of a model's first layer on a random image drawn from the job's
seeded torch RNG, after the model is loaded (so loading must leave that RNG alone).
``model-loads``: how many times this process has built the ``saved`` model."""

from generator.figures import FigureContext, FigureImage, FigureOutput, builder

LOADS = []


def counted():
    """The ``saved`` model's factory: the tiny CNN, counting how often it is built."""
    from figures.tiny_cnn import tiny_cnn

    LOADS.append(1)
    return tiny_cnn()


@builder("probe")
def probe(ctx: FigureContext, model: str, channel: int = 0, seed: int = 0) -> FigureOutput:
    import torch

    net = ctx.models[model]
    image = torch.rand(1, 3, 8, 8).to(ctx.device)
    with torch.no_grad():
        activation = net.conv1(image)[0, channel]
    scaled = (activation - activation.min()) / (activation.max() - activation.min() + 1e-8)
    ctx.progress(1, 1)
    return FigureOutput(alt=f"Channel {channel}.", images=[FigureImage(scaled.cpu().numpy(),
                                                                       pixelated=True)],
                        data={"mean": round(float(activation.mean()), 6)})


@builder("model-loads")
def model_loads(ctx: FigureContext, model: str, job: int = 0) -> FigureOutput:
    ctx.models[model]
    ctx.progress(1, 2)
    return FigureOutput(alt="How often this worker built the model.", data={"loads": len(LOADS)})
