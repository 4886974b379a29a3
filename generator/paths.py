"""Input paths stay inside the site: the one check for every file an author names.

A site may take contributions from people its owner does not know, so no path written in
Markdown, front matter or site.toml (``../../etc/passwd``, ``/home/me/.ssh/id_rsa``, a symlink
pointing out of the folder) may make the build read a file outside the site root and publish it.
"""

from __future__ import annotations

import os
from pathlib import Path

OUTSIDE_HINT = "files a site uses must live in its folder (symlinks are followed)"


def inside_root(root: Path, path: Path | str,
                folders: dict[str, str] | None = None) -> Path | None:
    """``path`` (relative to ``root``, or absolute) with symlinks followed, or None if that
    lands outside ``root``. A missing file is still inside if its folder is.

    ``folders`` (a dict the caller keeps for one walk over many files) remembers the real path
    of each folder and of the root, so a file that is not itself a link costs one ``lstat``."""
    full = os.path.join(root, path)
    head, tail = os.path.split(full)
    if folders is None or tail in ("", ".", "..") or os.path.islink(full):
        resolved = os.path.realpath(full)  # Path.resolve raises on a link loop (3.11)
        real_root = os.path.realpath(root)
    else:
        if head not in folders:
            folders[head] = os.path.realpath(head)
        resolved = os.path.join(folders[head], tail)
        real_root = folders.setdefault(f"\0{root}", os.path.realpath(root))
    inside = resolved == real_root or resolved.startswith(real_root.rstrip(os.sep) + os.sep)
    return Path(resolved) if inside else None


def outside_message(what: str, name: str) -> str:
    """The message of every such error, so they read alike wherever they are found."""
    return f"{what} '{name}' is outside the site root"
