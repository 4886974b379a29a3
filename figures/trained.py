"""A small CNN trained on procedurally generated images: the built-in ``trained-cnn`` model.

It learns to tell 24 classes apart — curves, lines and frequency boundaries (3 kinds) at 8
orientation bins — from images drawn by :mod:`figures.stimuli` with random radius, width,
contrast, offset and noise. Training is seeded and takes well under two minutes on a laptop
CPU; the weights are cached in the figure store (``figures/store/models/``) under a key
hashing the recipe and the source of this module and of the stimuli, so it trains once.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from figures import stimuli

KINDS = ("curve", "line", "boundary")
BINS = 8
PERIOD = {"curve": 360.0, "line": 180.0, "boundary": 360.0}


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the trained weights (with this module's source)."""

    size: int = 32
    steps: int = 1200
    batch: int = 64
    lr: float = 3e-3
    seed: int = 0


RECIPE = Recipe()


class TrainedCNN(nn.Module):
    """conv1 → conv2 → conv3, each with ReLU, max-pools after the first two, linear head."""

    input_range = "unit"

    def __init__(self, classes: int = len(KINDS) * BINS):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 5, padding=2)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(32, 32, 3, padding=1)
        self.relu3 = nn.ReLU()
        self.head = nn.Linear(32, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool2(self.relu2(self.conv2(self.pool1(self.relu1(self.conv1(x))))))
        return self.head(self.relu3(self.conv3(x)).mean(dim=(2, 3)))


def sample(rng: random.Random, size: int) -> tuple[torch.Tensor, int]:
    """One random training image and its class (kind · BINS + orientation bin)."""
    kind = rng.randrange(len(KINDS))
    name = KINDS[kind]
    orientation = rng.uniform(0, PERIOD[name])
    if name == "curve":
        image = stimuli.curve(size, orientation, radius=rng.uniform(4, size / 3),
                              width=rng.uniform(1, 2.5), contrast=rng.uniform(0.5, 1))
    elif name == "line":
        image = stimuli.line(size, orientation, width=rng.uniform(1, 2.5),
                             contrast=rng.uniform(0.5, 1))
    else:
        image = stimuli.frequency_boundary(size, orientation, seed=rng.randrange(1 << 30))
    label = kind * BINS + int(orientation / PERIOD[name] * BINS) % BINS
    return image, label


def batch(rng: random.Random, recipe: Recipe) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = zip(*(sample(rng, recipe.size) for _ in range(recipe.batch)), strict=True)
    noise = torch.randn(recipe.batch, 1, recipe.size, recipe.size,
                        generator=torch.Generator().manual_seed(rng.randrange(1 << 30))) * 0.05
    return (torch.stack(images) + noise).clamp(0, 1), torch.tensor(labels)


def train(recipe: Recipe = RECIPE) -> TrainedCNN:
    """Train from scratch on CPU, deterministically for a given recipe."""
    with torch.random.fork_rng():
        torch.manual_seed(recipe.seed)
        model = TrainedCNN()
    rng = random.Random(recipe.seed)
    optimiser = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    for _ in range(recipe.steps):
        images, labels = batch(rng, recipe)
        loss = nn.functional.cross_entropy(model(images), labels)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return model.eval()


def recipe_key(recipe: Recipe) -> str:
    """Hash of the recipe and of the code that turns it into weights."""
    sources = [Path(__file__).read_text(encoding="utf-8"),
               Path(stimuli.__file__).read_text(encoding="utf-8")]
    text = json.dumps(asdict(recipe), sort_keys=True) + "\n".join(sources)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_or_train(recipe: Recipe, cache: Path) -> TrainedCNN:
    """The cached weights for ``recipe`` if present, else train and cache them atomically."""
    path = cache / f"trained-cnn-{recipe_key(recipe)}.pt"
    if path.is_file():
        model = TrainedCNN()
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return model.eval()
    model = train(recipe)
    cache.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=cache)
    with os.fdopen(handle, "wb") as file:
        file.write(buffer.getvalue())
    os.replace(temporary, path)
    return model


def default_cache(root: Path | None = None) -> Path:
    """``figures/store/models/`` of the site at ``root`` (the working directory if not given)."""
    return (root if root is not None else Path.cwd()) / "figures" / "store" / "models"


def trained_cnn(root: Path | None = None) -> TrainedCNN:
    """Factory for ``builtin:trained-cnn``; weights are cached in the site's figure store."""
    return load_or_train(RECIPE, default_cache(root))
