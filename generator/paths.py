"""Input paths stay inside the site: the one check for every file an author names.

A site may take contributions from people its owner does not know, so no path written in
Markdown, front matter or site.toml (``../../etc/passwd``, ``/home/me/.ssh/id_rsa``, a symlink
pointing out of the folder) may make the build read a file outside the site root and publish it.
"""

from __future__ import annotations

import os
from pathlib import Path

OUTSIDE_HINT = "files a site uses must live in its folder (symlinks are followed)"


def inside_root(root: Path, path: Path | str) -> Path | None:
    """``path`` (relative to ``root``, or absolute) with symlinks followed, or None if that
    lands outside ``root``. A missing file is still inside if its folder is."""
    resolved = Path(os.path.realpath(root / path))  # Path.resolve raises on a link loop (3.11)
    return resolved if resolved.is_relative_to(os.path.realpath(root)) else None


def outside_message(what: str, name: str) -> str:
    """The message of every such error, so they read alike wherever they are found."""
    return f"{what} '{name}' is outside the site root"
