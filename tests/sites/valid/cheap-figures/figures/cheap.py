"""Builders that need no torch, so store tests can recompute in milliseconds.

Two environment variables change a figure without changing its store key, as recomputing it
on another machine (another torch, another GPU) would: ``CHEAP_SHIFT`` shifts the colour,
``CHEAP_DELAY`` (seconds) slows the builder, which its "Reproduce" details show.
"""

import os
import time

from generator.figures import FigureContext, FigureImage, FigureOutput, builder


@builder("cheap-image")
def cheap_image(ctx: FigureContext, shade: int = 128) -> FigureOutput:
    from PIL import Image

    if shade < 0:
        raise ValueError("a shade is 0 or more")
    time.sleep(float(os.environ.get("CHEAP_DELAY", "0")))
    shade = (shade + int(os.environ.get("CHEAP_SHIFT", "0"))) % 256
    image = Image.new("RGB", (8, 8), (shade, 255 - shade, 64))
    return FigureOutput(alt=f"A flat colour of shade {shade}.", caption=f"Shade {shade}.",
                        images=[FigureImage(image, pixelated=True)], data={"shade": shade})


@builder("cheap-chart")
def cheap_chart(ctx: FigureContext, bars: int = 3) -> FigureOutput:
    values = [{"bar": i, "height": i + 1} for i in range(bars)]
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json",
            "data": {"values": values}, "mark": "bar",
            "encoding": {"x": {"field": "bar", "type": "ordinal"},
                         "y": {"field": "height", "type": "quantitative"}}}
    return FigureOutput(alt="Three bars of growing height.", vega_lite=spec, data=values)
