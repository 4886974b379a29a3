"""The ``dataset-examples`` directive: the inputs of a dataset that activate units most, cut
to what each unit's position sees — the second half of every Circuits unit.

```{dataset-examples}
:model: planted
:layer: relu2
:units: 0-7
:dataset: procedural
:k: 9
:alt: The nine procedural images that excite each curve detector most.
```

Ranking is by a unit's **maximum activation over spatial positions** (``:sign: negative``:
the lowest minimum). ``:crop: receptive-field`` (the default) shows the square of the input
that the best position sees, computed from the model's convolution and pooling geometry;
``:crop: image`` the whole image. The build scans each dataset once for every layer its
stale figures ask for, in shards (``dataset-scan`` jobs; see generator/datasets.py), and hands
this builder its units' top-k; called without them it scans the whole dataset itself.
"""

from __future__ import annotations

from typing import Literal

from generator.figures import FigureContext, FigureImage, FigureOutput, builder, parse_units

TILE = 64
"""Display size of one example, in pixels (crops are upscaled to it, nearest neighbour)."""
LABEL = 14
"""Height of the line under each example that gives its activation."""
SPRITE_GAP = 2
"""White pixels between the crops of the sprite (the HTML view's picture)."""
CROPPED = "cropped to the receptive field (past the image's border, the colour of zero padding)"


@builder("dataset-scan")
def dataset_scan(ctx: FigureContext, model: str, dataset: str, layers: list[str],
                 start: int, stop: int, k: int = 9) -> FigureOutput:
    """One shard of a scan (the map step), scheduled by the build for ``dataset-examples``:
    images ``start:stop``, every unit of ``layers``, top-k and bottom-k each."""
    from figures.scan import scan

    data = ctx.datasets[dataset]
    batch = ctx.datasets.specs[dataset].get("batch", 64)
    found = scan(ctx.models[model], data, layers, start, stop, k, batch, ctx.device,
                 ctx.progress)
    return FigureOutput(alt=f"Scan of images {start}-{stop - 1} of dataset {dataset}.",
                        data=found)


@builder("dataset-examples")
def dataset_examples(ctx: FigureContext, model: str, layer: str, dataset: str,
                     units: list[str] = [],  # noqa: B006
                     k: int = 9, crop: Literal["receptive-field", "image"] = "receptive-field",
                     sign: Literal["positive", "negative"] = "positive",
                     tiles: bool = False) -> FigureOutput:
    """A grid of each unit's top-``k`` examples with their activations, then one image per
    unit; data lists every example (image id, position, value, crop box, label). ``tiles``:
    then one image per example too (its record says which), for unit pages. Last, one
    picture of every crop (data's ``tiles`` gives its layout), which articles lay out in
    HTML: a grid per unit, named and with each activation as text, that wraps on a phone."""
    from figures.scan import padding_colour, receptive_field

    net, data = ctx.models[model], ctx.datasets[dataset]
    layer, picked = parse_units(layer, units)
    found = ctx.inputs or _scan_here(ctx, net, data, dataset, layer, k, sign)
    side = ctx.datasets.specs[dataset]["side"]
    field = receptive_field(net, layer, side, ctx.device)
    fill = padding_colour(net)
    per_unit = [_unit_examples(data, found["examples"][str(u)][:k], field, crop, side, fill)
                for u in picked]
    grids = [_unit_grid(examples, k) for examples in per_unit]
    extra = _tiles(per_unit, 1 + len(grids)) if tiles else []
    sprite, layout = _sprite(per_unit, k)
    word = "most" if sign == "positive" else "least"
    return FigureOutput(
        alt=f"The {k} examples of dataset {dataset} that activate each of {len(picked)} units "
            f"of {layer} {word}.",
        caption=f"Dataset examples: the {k} images of `{dataset}` ({found['count']} scanned) "
                f"that activate each unit of `{layer}` {word} (maximum over positions"
                f"{'' if sign == 'positive' else ', here the minimum'}), "
                f"{CROPPED if crop != 'image' else 'whole'}; "
                f"units {', '.join(map(str, picked))}.",
        images=[FigureImage(_labelled_row(grids, picked, layer))]
        + [FigureImage(grid) for grid in grids] + extra + [sprite],
        data={"layer": layer, "dataset": dataset, "sign": sign, "crop": crop,
              "count": found["count"], "ranking": "max over positions" if sign == "positive"
              else "min over positions",
              "receptive_field": {"size": field.size, "stride": field.stride,
                                  "offset": field.offset},
              "units": [{"unit": u, "examples": [e["record"] for e in examples]}
                        for u, examples in zip(picked, per_unit, strict=True)],
              "tiles": {"image": 1 + len(grids) + len(extra), **layout}},
    )


def _scan_here(ctx: FigureContext, net, data, dataset: str, layer: str, k: int,
               sign: str) -> dict:
    """No shards were handed in: scan the whole dataset in this process."""
    from figures.scan import scan

    batch = ctx.datasets.specs[dataset].get("batch", 64)
    found = scan(net, data, [layer], 0, len(data), k, batch, ctx.device, ctx.progress)
    lists = found["layers"][layer][sign]
    return {"count": found["count"], "examples": {str(u): rows for u, rows in enumerate(lists)}}


def _unit_examples(data, rows: list[list], field, crop: str, side: int, fill) -> list[dict]:
    """Each example's crop (H×W×3 array; past the image's border, ``fill``: the colour the
    model's zero padding stands for) and its record for data.json."""
    from figures.scan import crop as cut

    images = data.images([row[1] for row in rows]) if rows else []
    examples = []
    for (value, index, y, x), image in zip(rows, images, strict=True):
        box = field.box(y, x) if crop == "receptive-field" else (0, 0, side)
        examples.append({"tile": cut(image, box, fill).permute(1, 2, 0).numpy(),
                         "record": {**data.describe(index, box), "value": value, "position": [y, x],
                                    "box": list(box)}})
    return examples


def _tiles(per_unit: list[list[dict]], first: int) -> list[FigureImage]:
    """One pixelated image per example, numbered from ``first``; each record gets its number."""
    images = []
    for examples in per_unit:
        for example in examples:
            example["record"]["image"] = first + len(images)
            images.append(FigureImage(example["tile"], width=TILE, pixelated=True))
    return images


def _sprite(per_unit: list[list[dict]], k: int) -> tuple[FigureImage, dict]:
    """Every crop at its own resolution, a row per unit and ``k`` to a row, ``SPRITE_GAP``
    white pixels apart: the picture that the page's HTML view shows a window of per example
    (generator/directives/example_grid.py), and its layout for data.json."""
    import numpy as np

    from figures.scan import grid_columns

    height, width = next((e["tile"].shape[:2] for examples in per_unit for e in examples),
                         (1, 1))
    size = [len(per_unit) * (height + SPRITE_GAP) - SPRITE_GAP,
            k * (width + SPRITE_GAP) - SPRITE_GAP]
    canvas = np.ones((*size, 3), dtype=np.float32)
    for row, examples in enumerate(per_unit):
        for column, example in enumerate(examples):
            top, left = row * (height + SPRITE_GAP), column * (width + SPRITE_GAP)
            canvas[top:top + height, left:left + width] = np.clip(example["tile"], 0, 1)
    layout = {"size": size, "tile": [height, width], "gap": SPRITE_GAP,
              "grid_columns": grid_columns(k)}
    return FigureImage(canvas, width=size[1], pixelated=True), layout


def _unit_grid(examples: list[dict], k: int):
    """One unit's examples in a square-ish grid, each with its activation under it."""
    import numpy as np
    from PIL import Image, ImageDraw

    from figures.scan import grid_columns

    columns, gap = grid_columns(k), 4
    rows = max(1, -(-len(examples) // columns))
    canvas = Image.new("RGB", (columns * (TILE + gap) - gap, rows * (TILE + LABEL + gap) - gap),
                       "white")
    draw = ImageDraw.Draw(canvas)
    for i, example in enumerate(examples):
        r, c = divmod(i, columns)
        tile = Image.fromarray((np.clip(example["tile"], 0, 1) * 255).round().astype(np.uint8))
        x, y = c * (TILE + gap), r * (TILE + LABEL + gap)
        canvas.paste(tile.resize((TILE, TILE), Image.Resampling.NEAREST), (x, y))
        draw.text((x + TILE / 2, y + TILE + 1), f"{example['record']['value']:.2f}",
                  fill=(90, 90, 90), font=_font(), anchor="ma")
    return np.asarray(canvas)


def _labelled_row(grids: list, units: list[int], layer: str, per_row: int = 4):
    """Every unit's grid under its name, ``per_row`` units a row (Circuits' layout)."""
    import numpy as np
    from PIL import Image, ImageDraw

    height, width = grids[0].shape[:2]
    gap, title = 16, 18
    rows = -(-len(grids) // per_row)
    canvas = Image.new("RGB", (min(per_row, len(grids)) * (width + gap) - gap,
                               rows * (height + title + gap) - gap), "white")
    draw = ImageDraw.Draw(canvas)
    for i, (grid, unit) in enumerate(zip(grids, units, strict=True)):
        r, c = divmod(i, per_row)
        x, y = c * (width + gap), r * (height + title + gap)
        draw.text((x, y + 2), f"{layer}:{unit}", fill=(0, 0, 0), font=_font(12))
        canvas.paste(Image.fromarray(grid), (x, y + title))
    return np.asarray(canvas)


def _font(size: int = 10):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)
