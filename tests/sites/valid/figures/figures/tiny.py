"""A tiny test builder: one channel of the tiny model's first layer on a fixed stimulus."""

import os
import time

from generator.figures import FigureContext, FigureImage, FigureOutput, builder


@builder("tiny-activations")
def tiny_activations(ctx: FigureContext, model: str, channel: int = 0, layer: str = "conv1",
                     hold: float = 0.0) -> FigureOutput:
    import torch

    from figures.hooks import capture

    started = time.time()
    net = ctx.models[model]
    stimulus = torch.linspace(0, 1, 3 * 8 * 8).reshape(1, 3, 8, 8).to(ctx.device)
    with capture(net, [layer]) as outputs, torch.no_grad():
        net(stimulus)
    activation = outputs[layer][0, channel]
    scaled = (activation - activation.min()) / (activation.max() - activation.min() + 1e-8)
    ctx.progress(1, 2)
    time.sleep(hold)
    return FigureOutput(
        alt=f"An 8 by 8 map of channel {channel} of {layer}.",
        caption=f"Channel {channel} of `{layer}`.",
        images=[FigureImage(scaled.cpu().numpy(), pixelated=True)],
        data={"pid": os.getpid(), "started": started, "finished": time.time(),
              "threads": torch.get_num_threads(), "mark": os.environ.get("THREAD_TEST_MARK")},
    )
