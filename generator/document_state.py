"""What one document's directives and roles record while it is resolved, in one record.

Sphinx keeps per-document state that each extension purges and merges (``env-purge-doc``,
``env-merge-info``); here every directive and role writes through one call,
:meth:`generator.resolve.Resolver.record`, into the document's :class:`DocumentState`. The
site-wide path, the self-contained worker (generator/self_contained.py) and the build cache all
produce and consume this same record, and :meth:`~generator.resolve.Resolver.merge` is the one
place that folds it into the site-wide resolver. A new directive's state cannot be lost on the
way, because nothing is copied field by field.

Entries are JSON values (the cache stores the record as JSON), grouped by kind, in the order
they were recorded. The built-in kinds:

- ``asset``: ``{"path", "url", "width", "height"}`` of a file the document embeds (site-relative);
- ``cite``: a citation key, on its first use (its number is its position);
- ``credit``: a credit line of a reused figure, for the Reuse appendix;
- ``label``: ``[kind, name, number, title, summary]`` of a labelled figure, equation, section
  or target (``number`` 0 and its ``title``: an unnumbered target; ``summary``: what a card in
  another article shows, see generator/resolve.py's ``summary``);
- ``figure``: ``{"builder", "params", "line", "key"}`` of a builder figure;
- ``unit``: ``[model, layer, index, line, argument]`` of a ``{unit}`` reference;
- ``xref``: ``[url, label, shown]`` of another document's label this one shows, ``shown``
  being what its card shows (a page reused from the cache is made again when that changed);
- ``teaser``: the URL of the image its front matter's ``teaser:`` names.

Any other kind belongs to a directive or role outside this list; templates read every
document's entries of a kind with ``recorded(kind)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DocumentState:
    """Everything one document's directives and roles recorded, by kind (JSON values)."""

    entries: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, kind: str, value: Any) -> None:
        self.entries.setdefault(kind, []).append(value)

    def get(self, kind: str) -> list[Any]:
        """The entries of ``kind``, in the order they were recorded."""
        return self.entries.get(kind, [])
