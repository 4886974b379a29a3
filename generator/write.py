"""The only code that writes the site: everything lands in a temporary sibling folder first,
which then replaces the output folder, so a failed build never leaves a half-written site."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

Output = dict[str, bytes | Path]
"""Site-relative path → file content, or a source file to copy."""


def write_site(outputs: Output, out_dir: Path) -> None:
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        for rel in sorted(outputs):
            _write_one(staging / rel, outputs[rel])
        staging.chmod(0o755)
        _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write_one(target: Path, value: bytes | Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(value, Path):
        shutil.copyfile(value, target)
    else:
        target.write_bytes(value)


def _swap(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.replace(out_dir, retired / "site")
    os.replace(staging, out_dir)
    shutil.rmtree(retired, ignore_errors=True)


def write_file(path: Path, data: bytes) -> None:
    """Atomically write one file (temp file + rename), e.g. scaffolds and store entries."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
