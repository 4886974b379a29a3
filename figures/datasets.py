"""Datasets a scan reads (``[datasets.NAME]`` in site.toml): an image folder or the procedural
images. Both hand out batches by image id, so a shard of a scan loads only its own images and
memory is bounded by the batch, never by the dataset's size.

torch and PIL are imported inside functions: the generator lists a folder with
:func:`image_paths` (to fingerprint it) without torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")
"""Image files a folder dataset reads (any case); other files are ignored."""


def image_paths(folder: Path) -> list[tuple[str, Path]]:
    """(relative path, path) of the images under ``folder`` at any depth, sorted by relative
    path: an image's id is its place in this list."""
    return sorted((p.relative_to(folder).as_posix(), p) for p in folder.rglob("*")
                  if p.is_file() and p.suffix.lower() in EXTENSIONS)


@dataclass
class Procedural:
    """``builtin:procedural``: ``size`` images drawn from (seed, id) alone."""

    size: int
    seed: int
    side: int

    def __len__(self) -> int:
        return self.size

    def images(self, ids: list[int]):
        import torch

        from figures.procedural import draw

        return torch.stack([draw(self.seed, i, self.side) for i in ids])

    def describe(self, index: int, box: tuple[int, int, int] | None = None) -> dict:
        """Image ``index``'s label; with a crop ``box``, also what part of a curve the crop
        shows (``in_crop``: the orientation of the arc inside it, and its length)."""
        from figures.procedural import in_crop, label

        found = {"id": index, **label(self.seed, index, self.side)}
        seen = in_crop(found, box, self.side) if box is not None else None
        return {**found, "in_crop": seen} if seen is not None else found


@dataclass
class Folder:
    """``folder:PATH``: each image resized (shorter side to ``side``) and centre-cropped."""

    files: list[tuple[str, Path]]
    side: int

    def __len__(self) -> int:
        return len(self.files)

    def images(self, ids: list[int]):
        import torch

        return torch.stack([self._load(self.files[i][1]) for i in ids])

    def _load(self, path: Path):
        import numpy as np
        import torch
        from PIL import Image, ImageOps

        with Image.open(path) as image:
            fitted = ImageOps.fit(image.convert("RGB"), (self.side, self.side),
                                  Image.Resampling.BICUBIC)
        array = np.asarray(fitted, dtype=np.float32) / 255.0
        return torch.from_numpy(array.copy()).permute(2, 0, 1)

    def describe(self, index: int, box: tuple[int, int, int] | None = None) -> dict:
        """Image ``index``'s path (a folder has no labels, so a crop adds nothing)."""
        return {"id": index, "path": self.files[index][0]}


def open_dataset(spec: dict, root: Path) -> Procedural | Folder:
    """The dataset of a ``[datasets.NAME]`` entry (as a dict with its resolved ``side``)."""
    kind, _, rest = spec["source"].partition(":")
    if kind == "builtin":
        return Procedural(spec["size"], spec["seed"], spec["side"])
    files = image_paths(root / rest)
    if not files:
        raise FileNotFoundError(f"no images in dataset folder '{rest}'")
    return Folder(files, spec["side"])
