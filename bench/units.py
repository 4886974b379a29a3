"""Plan and render the unit pages of a whole InceptionV1 (~11,000 units) from a synthetic store.

    .venv/bin/python bench/units.py                  # every mixed layer and its four branches
    .venv/bin/python bench/units.py --scale 0.25     # a quarter of each layer's channels

The site's atlas lists all of mixed3a…mixed5b with InceptionV1's real channel counts (5,484
units) and each layer's four branch outputs (as many again): every unit gets a full page with
its icon, negative and diverse visualisations and its 4 strongest inputs and 4 outputs. The
figure store is synthetic but complete and verified like a real one: entries under the keys the
build computes, every image a distinct small PNG of its own (~340,000 files, ~1.4 GB of disk
blocks under /tmp while it runs; the WebP names alias the PNGs), weights linking each unit to
random units of the layer before and after. No torch runs.

Timed, in a fresh process: the build's load, documents, resolve, figures (all stored) and render
stages, i.e. planning every shard, reading and verifying the store, assembling every page and
rendering them (across processes, ``THREAD_JOBS`` workers); writing and the search index are
left out. Peak memory is the parent's peak RSS and the largest worker's (``getrusage``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BRANCHES = {  # InceptionV1's mixed layers: 1x1, 3x3, 5x5 and pool-projection channels
    "mixed3a": (64, 128, 32, 32), "mixed3b": (128, 192, 96, 64),
    "mixed4a": (192, 204, 48, 64), "mixed4b": (160, 224, 64, 64),
    "mixed4c": (128, 256, 64, 64), "mixed4d": (112, 288, 64, 64),
    "mixed4e": (256, 320, 128, 128), "mixed5a": (256, 320, 128, 128),
    "mixed5b": (384, 384, 128, 128)}
SUFFIXES = ("1x1", "3x3", "5x5", "pool_reduce")
SITE_TOML = """title = "Units bench"
base_url = "https://example.org/units/"
search = false

[models.inception]
source = "lucent:inceptionv1"

[units]
atlas = {atlas}
"""
THREAD = "---\ntitle: Units\npublished: 2025-05-01\n---\n\nUnits of InceptionV1.\n"
ARTICLE = """---
title: Some units
authors:
  - name: Ada Lovelace
published: 2025-05-01
---

See {unit}`inception/mixed4a:0` and {unit}`inception/mixed3b:1`.
"""


def layers(scale: float) -> dict[str, int]:
    """Layer → channels, in network order (each mixed layer after its branches)."""
    found = {}
    for name, branches in BRANCHES.items():
        for suffix, count in zip(SUFFIXES, branches):
            found[f"{name}_{suffix}"] = max(1, round(count * scale))
        found[name] = sum(found[f"{name}_{s}"] for s in SUFFIXES)
    return found


def make_site(root: Path, channels: dict[str, int]) -> None:
    (root / "content/inception").mkdir(parents=True)
    atlas = json.dumps([f"inception/{layer}" for layer in channels])
    (root / "site.toml").write_text(SITE_TOML.format(atlas=atlas))
    (root / "content/inception/thread.md").write_text(THREAD)
    (root / "content/inception/some-units.md").write_text(ARTICLE)


def png(number: int) -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (16, 16), (number % 256, number // 256 % 256, number // 65536)).save(out,
                                                                                       "PNG")
    return out.getvalue()


class SyntheticStore:
    """Writes verified entries, every image a distinct PNG."""

    def __init__(self, folder: Path):
        from generator.jobs import installed_versions

        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self.versions = installed_versions()

    def image(self, target: Path) -> str:
        """A distinct small PNG (as a real store's are: each its own asset); its sha256."""
        from generator.store import sha256_hex

        self.count += 1
        data = png(self.count)
        target.write_bytes(data)
        return sha256_hex(data)

    def put(self, use, images: int, data: dict) -> None:
        from generator.jobs import canonical_json
        from generator.store import manifest_bytes, sha256_hex

        entry = self.folder / use.job.key
        entry.mkdir()
        records, hashes = [], {}
        for i in range(images):
            names = (f"image-{i}.png", f"image-{i}@2x.png")
            for name in names:
                hashes[name] = self.image(entry / name)
            records.append({"width": 64, "height": 64, "pixelated": False, "png": names[0],
                            "png_2x": names[1], "webp": names[0], "webp_2x": names[1]})
        raw = canonical_json(data).encode()
        (entry / "data.json").write_bytes(raw)
        hashes["data.json"] = sha256_hex(raw)
        manifest = {"key": use.job.key, "builder": use.job.builder, "params": use.job.params,
                    "models": use.job.fingerprints, "versions": self.versions, "seed": 0,
                    "device": "cpu", "seconds": 0.0, "alt": "synthetic", "images": records,
                    "data": "data.json", "files": sorted(hashes), "sha256": hashes}
        (entry / "manifest.json").write_bytes(manifest_bytes(manifest))


def fill_store(root: Path, channels: dict[str, int]) -> int:
    """Entries for every job the build plans: the layers, then every shard's jobs."""
    from generator import build as pipeline

    store = SyntheticStore(root / "figures/store")
    names = list(channels)
    build = pipeline.run(root, stages=pipeline.RESOLVE_STAGES)
    [layers_use] = build.resolver.unit_jobs.layers.values()
    store.put(layers_use, 0, {"layers": channels, "order": names,
                              "reads": {n: names[i - 1] if i else "" for i, n in enumerate(names)},
                              "families": {n: [n] for n in names}})
    build = pipeline.run(root, stages=pipeline.RESOLVE_STAGES)
    rng = random.Random(0)
    count = 0
    for shard in build.resolver.unit_jobs.shards.values():
        units = range(shard.start, shard.stop)
        store.put(shard.icons, 1 + len(units), {"units": list(units)})
        store.put(shard.variants["negative"], 1 + len(units), {"units": list(units)})
        store.put(shard.variants["diversity"], 1 + 4 * len(units), {"units": list(units)})
        store.put(shard.weights, 1 + 8 * len(units), weights(shard, units, names, channels, rng))
        count += 1
    return count


def weights(shard, units: range, names: list[str], channels: dict[str, int],
            rng: random.Random) -> dict:
    """Each unit's 4 inputs from the layer before and 4 outputs to the layer after."""
    at = names.index(shard.layer)
    before, after = names[at - 1] if at else "", names[at + 1] if at + 1 < len(names) else ""
    entries, image = [], 1

    def link(layer: str) -> dict:
        nonlocal image
        index = rng.randrange(channels[layer]) if layer else rng.randrange(3)
        image += 1
        return {"layer": layer, "index": index, "label": f"{layer}:{index}" if layer else
                "input red", "conv": "conv", "size": [3, 3], "peak": round(rng.uniform(-1, 1), 4),
                "norm": 1.0, "weights": image - 1, "icon": None}

    for unit in units:
        entries.append({"unit": unit, "inputs": [link(before) for _ in range(4)],
                        "outputs": [link(after) for _ in range(4)] if after else []})
    return {"layer": shard.layer, "inputs_from": "conv", "outputs_to": ["conv"] if after else [],
            "units": entries}


def timed(root: Path) -> None:
    """In this (fresh) process: the build up to rendering; prints one JSON line."""
    from generator import build as pipeline

    started = time.perf_counter()
    build = pipeline.run(root, stages=pipeline.STAGES.disable("search", "write"))
    seconds = time.perf_counter() - started
    pages = sum(1 for path in build.outputs if path.startswith("units/"))
    print(json.dumps({"seconds": round(seconds, 1), "unit_pages": pages,
                      "stages": {k: round(v, 1) for k, v in build.timings.items()},
                      "parent_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                      "worker_peak_mb":
                          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of each layer's units")
    parser.add_argument("--timed", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.timed:
        return timed(args.timed)
    work = Path(tempfile.mkdtemp(prefix="units-bench-"))
    try:
        channels = layers(args.scale)
        make_site(work / "site", channels)
        started = time.perf_counter()
        shards = fill_store(work / "site", channels)
        print(f"{sum(channels.values())} units in {len(channels)} layers, {shards} shards; "
              f"synthetic store written in {time.perf_counter() - started:.0f} s "
              f"({os.cpu_count()} CPUs, THREAD_JOBS={os.environ.get('THREAD_JOBS', 'all')})")
        result = subprocess.run([sys.executable, __file__, "--timed", str(work / "site")],
                                capture_output=True, text=True, check=False)
        print(result.stdout.strip() or result.stderr[-3000:])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
