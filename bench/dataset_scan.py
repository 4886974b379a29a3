"""Images per second of the dataset scan (figures/scan.py) on CPU, against a plain loop, and
its peak memory as the dataset grows.

    .venv/bin/python bench/dataset_scan.py                    # defaults: a few minutes, 2 cores
    .venv/bin/python bench/dataset_scan.py --images 4096 --inception-images 512 \\
        --memory-sizes 1000 10000 100000                      # a bigger run

Models: the built-in trained CNN (figures/trained.py; its shipped weights, or with another
recipe its cached ones, else the same architecture with seeded random weights: the speed is
the same) at
``relu1``, ``relu2``, ``relu3`` on 32-px images, and InceptionV1's architecture with random
weights (lucent's ``inceptionv1()``, nothing downloaded) at ``mixed3b`` on 224-px images. The
images are ``builtin:procedural``'s, drawn once and kept in memory so both contestants time the
network and the top-k bookkeeping; the scan is timed again drawing each batch as it goes (what
a build does), and that ratio adds the drawing time to the loop's.

- **scan**: :func:`figures.scan.scan`, batches of ``--batch``, the forward pass stopped once the
  layers asked for have run, each batch's max over positions merged into a running top-k per
  unit with one sort;
- **plain loop**: one image at a time through the whole network, with a forward hook, the max
  over positions per unit, and a Python heap per unit keeping its top-k.

Both keep the top-k and bottom-k (the scan always does both; the loop too, to be fair), and
the bench checks that they find the same top-k values. Memory: the scan of the trained CNN in
a fresh process for each ``--memory-sizes`` count, its peak RSS (``ru_maxrss``), which should
not grow with the dataset: images stream in batches.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def trained_model():
    """The trained CNN: shipped or cached weights when there are some, else seeded random ones."""
    import torch

    from figures.trained import RECIPE, TrainedCNN, default_cache, find_weights

    path = find_weights(RECIPE, default_cache(ROOT))
    torch.manual_seed(0)
    model = TrainedCNN()
    if path is not None:
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval(), "random" if path is None else "trained"


def inception_model():
    """InceptionV1's architecture with random weights (seed 0), as lucent builds it."""
    import torch
    from lucent.modelzoo import inceptionv1

    torch.manual_seed(0)
    return inceptionv1().eval(), "random"


MODELS = {"trained-cnn": (trained_model, ["relu1", "relu2", "relu3"], 32),
          "inceptionv1": (inception_model, ["mixed3b"], 224)}
"""name → (factory, layers, image side)."""


def plain_loop(model, dataset, layers: list[str], count: int, k: int) -> dict[str, list]:
    """One image at a time, the whole network, a heap per unit and sign; each layer's top-k
    values per unit, best first."""
    import torch

    from figures.featureviz import preprocess_for
    from figures.hooks import capture

    prep = preprocess_for(model)
    heaps: dict[tuple[str, str], list[list]] = {}
    with torch.no_grad(), capture(model, layers) as outputs:
        for index in range(count):
            model(prep(dataset.images([index])))
            for layer in layers:
                flat = outputs[layer][0].flatten(1)
                for sign, values in (("positive", flat.max(dim=1).values),
                                     ("negative", -flat.min(dim=1).values)):
                    units = heaps.setdefault((layer, sign), [[] for _ in range(len(values))])
                    for heap, value in zip(units, values.tolist(), strict=True):
                        if len(heap) < k:
                            heapq.heappush(heap, (value, -index))
                        else:
                            heapq.heappushpop(heap, (value, -index))
    return {layer: [sorted((v for v, _ in heap), reverse=True)
                    for heap in heaps[(layer, "positive")]] for layer in layers}


def timed(function, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def best_of(repeats: int, contestants: dict) -> dict[str, float]:
    """The fastest of ``repeats`` runs of each contestant (name → (function, args)), taken in
    turns so a burst of load on a shared machine slows them alike."""
    best = {name: math.inf for name in contestants}
    for _ in range(repeats):
        for name, (function, *args) in contestants.items():
            best[name] = min(best[name], timed(function, *args)[0])
    return best


class Drawn:
    """A dataset's images drawn once and kept: the contestants then time the model and the
    top-k bookkeeping, not the procedural drawing (timed apart)."""

    def __init__(self, dataset, count: int):
        import torch

        self.count, self.tensor = count, dataset.images(list(range(count)))
        self.describe = dataset.describe
        assert isinstance(self.tensor, torch.Tensor)

    def __len__(self) -> int:
        return self.count

    def images(self, ids: list[int]):
        return self.tensor[ids[0]:ids[-1] + 1]


def speed(name: str, count: int, loop_count: int, batch: int, k: int, repeats: int) -> dict:
    """Images/s of the scan (``count`` images) and of the plain loop (the first
    ``loop_count``: its cost per image is the same for any number), on procedural images
    drawn beforehand; and of the scan drawing them as it goes (the build's case)."""
    from figures.datasets import Procedural
    from figures.scan import scan

    factory, layers, side = MODELS[name]
    model, weights = factory()
    procedural = Procedural(count, 0, side)
    draw_s, drawn = timed(Drawn, procedural, count)
    check(name, scan(model, drawn, layers, 0, loop_count, k, batch),
          plain_loop(model, drawn, layers, loop_count, k), layers)  # and a warm-up
    best = best_of(repeats, {"scan": (scan, model, drawn, layers, 0, count, k, batch),
                             "loop": (plain_loop, model, drawn, layers, loop_count, k),
                             "streamed": (scan, model, procedural, layers, 0, count, k,
                                          batch)})
    scan_rate, loop_rate = count / best["scan"], loop_count / best["loop"]
    streamed_rate, draw_rate = count / best["streamed"], count / draw_s
    loop_drawing = 1 / (1 / loop_rate + 1 / draw_rate)
    import torch

    return {"model": name, "weights": weights, "layers": layers, "side": side,
            "images": count, "loop_images": loop_count, "batch": batch,
            "threads": torch.get_num_threads(),
            "scan_images_per_s": round(scan_rate, 1), "loop_images_per_s": round(loop_rate, 1),
            "ratio": round(scan_rate / loop_rate, 1),
            "draw_images_per_s": round(draw_rate, 1),
            "scan_drawing_images_per_s": round(streamed_rate, 1),
            "ratio_drawing": round(streamed_rate / loop_drawing, 1)}


def check(name: str, found: dict, plain: dict, layers: list[str]) -> None:
    """The scan and the loop find the same top-k values (channels-last and batching change
    the last bits of an activation, not which images rank first)."""
    for layer in layers:
        got = [[row[0] for row in unit] for unit in found["layers"][layer]["positive"]]
        if not all(math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-4)
                   for ours, theirs in zip(got, plain[layer], strict=True)
                   for a, b in zip(ours, theirs, strict=True)):
            raise AssertionError(f"{name}/{layer}: the scan and the plain loop disagree")


def memory_child(count: int, batch: int, k: int) -> None:
    """In a fresh process: scan ``count`` procedural images with the trained CNN; one JSON line
    with the peak RSS."""
    from figures.datasets import Procedural
    from figures.scan import scan

    factory, layers, side = MODELS["trained-cnn"]
    model, _ = factory()
    start = time.perf_counter()
    scan(model, Procedural(count, 0, side), layers, 0, count, k, batch)
    print(json.dumps({"images": count, "seconds": round(time.perf_counter() - start, 1),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                           / 1024, 1)}))


def memory(sizes: list[int], batch: int, k: int, threads: list[str]) -> list[dict]:
    rows = []
    for count in sizes:
        done = subprocess.run([sys.executable, __file__, "--memory-child", str(count),
                               "--batch", str(batch), "--k", str(k), *threads],
                              capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1024,
                        help="images the trained CNN's scan is timed on")
    parser.add_argument("--inception-images", type=int, default=64,
                        help="images InceptionV1's scan is timed on (224 px)")
    parser.add_argument("--loop-images", type=int, default=256,
                        help="images the trained CNN's plain loop is timed on")
    parser.add_argument("--inception-loop-images", type=int, default=16,
                        help="images InceptionV1's plain loop is timed on")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each; the fastest counts")
    parser.add_argument("--batch", type=int, default=64,
                        help="images per forward pass of the trained CNN")
    parser.add_argument("--inception-batch", type=int, default=8,
                        help="images per forward pass of InceptionV1 (larger ones were slower "
                             "on CPU: its 56×56 activations leave the cache)")
    parser.add_argument("--k", type=int, default=9, help="examples kept per unit")
    parser.add_argument("--memory-sizes", type=int, nargs="*", default=[1000, 10000],
                        help="dataset sizes whose scan's peak memory is measured")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: torch's own)")
    parser.add_argument("--skip", choices=sorted(MODELS), action="append", default=[],
                        help="leave a model out of the speed test")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.memory_child is not None:
        memory_child(args.memory_child, args.batch, args.k)
        return
    # First, while this process is small: Linux keeps the peak RSS across fork and exec, so a
    # child started from a process that already holds torch and images would report its size.
    threads = ["--threads", str(args.threads)] if args.threads else []
    for row in memory(args.memory_sizes, args.batch, args.k, threads):
        print(json.dumps({"memory": row}), flush=True)
    counts = {"trained-cnn": (args.images, args.loop_images, args.batch),
              "inceptionv1": (args.inception_images, args.inception_loop_images,
                              args.inception_batch)}
    for name in [m for m in MODELS if m not in args.skip]:
        row = speed(name, *counts[name], args.k, args.repeats)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
