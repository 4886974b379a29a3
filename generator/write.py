"""The only code that writes the site.

A full write puts everything in a temporary sibling folder first, which then replaces the
output folder, so a failed build never leaves a half-written site. An incremental write (the
build cache knows what the folder holds) replaces only files whose bytes changed, each one
atomically, and removes files the site no longer has: a one-article edit rewrites a handful of
files, not the whole site. Either way it returns a :class:`~generator.cache.Stamp` per file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

WRITERS = 8
"""Threads writing a fresh site: creating 2,000 files is file-system latency, not CPU."""

Output = dict[str, bytes | Path]
"""Site-relative path → file content, or a source file to copy."""


def write_site(outputs: Output, out_dir: Path, previous: dict | None = None,
               written: list[str] | None = None) -> dict:
    """Write ``outputs``; incrementally when ``previous`` (the last build's stamps) is given and
    the folder exists. Returns the new stamps; appends every path written to ``written``."""
    out_dir = out_dir.resolve()
    written = [] if written is None else written
    if previous is not None and out_dir.is_dir():
        return _update(outputs, out_dir, previous, written)
    written.extend(sorted(outputs))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        folders = sorted({(staging / rel).parent for rel in outputs})
        with ThreadPoolExecutor(WRITERS) as pool:  # file-system calls release the GIL
            list(pool.map(lambda folder: folder.mkdir(parents=True, exist_ok=True), folders))
            stamps = dict(zip(outputs, pool.map(
                lambda rel: _write_one(staging / rel, outputs[rel]), outputs)))
        staging.chmod(0o755)
        _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return stamps


def _update(outputs: Output, out_dir: Path, previous: dict, written: list[str]) -> dict:
    """Replace changed files in place (each atomically); delete files no longer produced."""
    stamps = {}
    for rel in sorted(outputs):
        value, target, old = outputs[rel], out_dir / rel, previous.get(rel)
        if isinstance(value, Path) and value == target and old is not None:
            stamps[rel] = old  # kept by the cache: verified before it was reused
            continue
        data_digest = _digest(value)
        if old is not None and old.digest == data_digest and old.matches(target):
            stamps[rel] = old
            continue
        write_file(target, value.read_bytes() if isinstance(value, Path) else value, mode=0o644)
        stamps[rel] = stamp(target, data_digest)
        written.append(rel)
    for rel in sorted(set(previous) - set(outputs)):
        (out_dir / rel).unlink(missing_ok=True)
        _prune(out_dir, (out_dir / rel).parent)
    return stamps


def _prune(out_dir: Path, folder: Path) -> None:
    """Remove ``folder`` and its parents up to ``out_dir`` while they are empty."""
    while folder != out_dir and folder.is_relative_to(out_dir):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _digest(value: bytes | Path) -> str:
    from generator.cache import digest

    return digest(value.read_bytes() if isinstance(value, Path) else value)


def stamp(path: Path, data_digest: str):
    from generator.cache import Stamp

    stat = os.stat(path)
    return Stamp(data_digest, stat.st_size, stat.st_mtime_ns)


def _write_one(target: Path, value: bytes | Path):
    """Write one file of a fresh staging folder (its folder exists); returns its stamp."""
    if isinstance(value, Path):
        shutil.copyfile(value, target)
    else:
        target.write_bytes(value)
    return stamp(target, _digest(value))


def _swap(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.replace(out_dir, retired / "site")
    os.replace(staging, out_dir)
    shutil.rmtree(retired, ignore_errors=True)


def write_file(path: Path, data: bytes, mode: int | None = None) -> None:
    """Atomically write one file (temp file + rename), e.g. scaffolds and store entries."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
