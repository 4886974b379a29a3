"""The resolve stage's state: labels and numbers, assets to copy, and per-page lookups.

Directive and role ``check`` hooks run here, after every document is loaded and before any page
renders, so numbering is global and a dangling reference is an error with its line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from generator.content import Document
from generator.errors import ErrorCollector


@dataclass(frozen=True)
class Asset:
    """A file copied into the site under a content-addressed name."""

    source: Path
    url: str
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class Label:
    kind: str
    """``figure``, ``equation`` or ``section``."""
    number: int
    document: Document
    anchor: str


@dataclass
class Resolver:
    root: Path
    errors: ErrorCollector
    assets: dict[str, Asset] = field(default_factory=dict)
    labels: dict[tuple[int, str], Label] = field(default_factory=dict)
    counters: dict[tuple[int, str], int] = field(default_factory=dict)

    def asset(self, source: Path) -> Asset:
        """Register a file to copy; the URL is derived from its content hash."""
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:16]
        url = f"assets/{digest}{source.suffix.lower()}"
        if url not in self.assets:
            self.assets[url] = Asset(source, url, *_image_size(source))
        return self.assets[url]

    def number(self, document: Document, kind: str, label: str | None) -> int:
        """Next number of ``kind`` in ``document``; registers ``label`` when given."""
        key = (id(document), kind)
        self.counters[key] = self.counters.get(key, 0) + 1
        number = self.counters[key]
        if label:
            self.labels[(id(document), label)] = Label(kind, number, document, label)
        return number


def _image_size(path: Path) -> tuple[int | None, int | None]:
    try:
        from PIL import Image

        with Image.open(path) as image:
            return image.size
    except OSError:  # not an image Pillow knows (SVG, PDF): no intrinsic size
        return None, None
