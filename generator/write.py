"""The only code that writes the site, and the guard of the output folder.

Every write — a fresh site or an update — builds a complete new site in a hidden sibling folder
(``._site.new-*``) and then swaps it for the output folder in one step, so a build that fails or
is killed at any point leaves the previous site exactly as it was: old or new, never a mix. An
update (the build cache knows what the folder holds) hard-links every unchanged file into the
new folder instead of writing it, so a one-article edit still writes a handful of files; their
inodes and mtimes stay as they were.

The swap is Linux's ``renameat2(RENAME_EXCHANGE)``, which exchanges two folders atomically.
Where that call is missing, the old folder is renamed aside and the new one into place; a kill
between those two renames leaves no output folder, and the next build puts the old one back.

The build only ever replaces a folder that carries its marker file (:data:`MARKER`), and never the
site root, an ancestor of it or a folder that holds or lies in an input (:func:`output_problem`).
Leftover staging and retired folders of killed builds are removed by the next write.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

WRITERS = 8
"""Threads writing a site: creating 2,000 files is file-system latency, not CPU."""
MARKER = ".thread-site"
"""Written into every output folder; the build replaces only folders that have it."""
MARKER_TEXT = b"Built by thread-generator. `thread build` replaces this folder while this file is here.\n"

Output = dict[str, bytes | Path]
"""Site-relative path → file content, or a source file to copy."""


class OutputRefused(Exception):
    """The output folder must not be written (it is an input, or not the build's own)."""


def output_problem(out_dir: Path, root: Path, inputs: list[Path]) -> str | None:
    """Why writing ``out_dir`` (replacing it wholesale) could destroy something, or None.

    ``inputs`` are the files and folders the site reads (content, theme, figures, store,
    bibliographies...): the output folder may neither lie in one nor contain one."""
    out, root = out_dir.resolve(), root.resolve()
    if out == root:
        return "is the site root: building would replace the sources with the site"
    if root.is_relative_to(out):
        return "contains the site root: building would replace the sources with the site"
    for path in inputs:
        path = path.resolve()
        if out == path or out.is_relative_to(path) or path.is_relative_to(out):
            where = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
            return f"overlaps '{where}', which the build reads"
    return replace_problem(out)


def replace_problem(out: Path) -> str | None:
    """Why the build may not replace ``out`` as a whole: it is a file, or a folder with files
    that the build did not write. A missing or empty folder is fine."""
    if out.exists() and not out.is_dir():
        return "is a file, not a folder"
    if out.is_dir() and not (out / MARKER).is_file() and any(out.iterdir()):
        return (f"holds files that thread build did not write (it has no {MARKER} marker); "
                "move them away or choose another output folder")
    return None


def write_site(outputs: Output, out_dir: Path, previous: dict | None = None,
               written: list[str] | None = None) -> dict:
    """Write ``outputs`` as the new content of ``out_dir`` in one swap. With ``previous`` (the
    last build's stamps), files whose bytes did not change are hard-linked from the old folder
    instead of written. Returns the new stamps; appends every path written to ``written``."""
    out_dir = out_dir.resolve()
    written = [] if written is None else written
    recover(out_dir)
    problem = replace_problem(out_dir)
    if problem:
        raise OutputRefused(f"{out_dir} {problem}")
    keep = previous if previous is not None and out_dir.is_dir() else {}
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        _mark(staging, out_dir)
        places = sorted(outputs)
        folders = sorted({(staging / rel).parent for rel in places})
        with ThreadPoolExecutor(WRITERS) as pool:  # file-system calls release the GIL
            list(pool.map(lambda folder: folder.mkdir(parents=True, exist_ok=True), folders))
            results = list(pool.map(lambda rel: place(
                staging / rel, outputs[rel], out_dir / rel, keep.get(rel)), places))
        stamps = {}
        for rel, (file_stamp, wrote) in zip(places, results):
            stamps[rel] = file_stamp
            if wrote:
                written.append(rel)
        staging.chmod(0o755)
        swap(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # the retired old site, or the failed new one
    return stamps


def _mark(staging: Path, out_dir: Path) -> None:
    """Put the marker into the new site (linked, so an update leaves it untouched)."""
    old = out_dir / MARKER
    if not (old.is_file() and old.read_bytes() == MARKER_TEXT and _link(old, staging / MARKER)):
        (staging / MARKER).write_bytes(MARKER_TEXT)


def place(target: Path, value: bytes | Path, current: Path, old) -> tuple[object, bool]:
    """Put one file into the staging folder: a hard link to ``current`` when the last build
    wrote these very bytes there (``old`` is its stamp), else a new file. Returns its stamp and
    whether it was written."""
    if old is not None and isinstance(value, Path) and value == current:
        if _link(current, target):  # a reused page, verified by the cache before reuse
            return old, False
        value = current
    data_digest = _digest(value)
    if old is not None and old.digest == data_digest and old.matches(current) \
            and _link(current, target):
        return old, False
    if isinstance(value, Path):
        shutil.copyfile(value, target)
    else:
        target.write_bytes(value)
    return stamp(target, data_digest), True


def _link(source: Path, target: Path) -> bool:
    try:
        os.link(source, target)
        return True
    except OSError:  # a file system without hard links: the caller writes a copy
        return False


def _digest(value: bytes | Path) -> str:
    from generator.cache import digest

    return digest(value.read_bytes() if isinstance(value, Path) else value)


def stamp(path: Path, data_digest: str):
    from generator.cache import Stamp

    stat = os.stat(path)
    return Stamp(data_digest, stat.st_size, stat.st_mtime_ns)


# --- the swap and its recovery ----------------------------------------------------------------

AT_FDCWD = -100
RENAME_EXCHANGE = 2


def swap(staging: Path, out_dir: Path) -> None:
    """Make ``staging`` the output folder; afterwards ``staging`` holds the old site, if any."""
    if not out_dir.exists():
        os.replace(staging, out_dir)
    elif not exchange(staging, out_dir):
        retired = _retired_name(out_dir)
        os.replace(out_dir, retired)  # a kill from here ...
        os.replace(staging, out_dir)  # ... to here leaves no output folder: see recover()
        os.replace(retired, staging)


def exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (``renameat2``); False where the system cannot."""
    call = getattr(_libc(), "renameat2", None)
    if call is None:
        return False
    if call(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _retired_name(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"


def recover(out_dir: Path) -> list[Path]:
    """Undo what a killed build left beside ``out_dir``: put the old site back if the output
    folder is missing, and remove every staging or retired folder that is the build's own."""
    parent, name = out_dir.parent, out_dir.name
    if not parent.is_dir():
        return []
    leftovers = sorted(p for pattern in (f".{name}.new-*", f".{name}.old-*")
                       for p in parent.glob(pattern) if p.is_dir() and _ours(p))
    retired = [p for p in leftovers if p.name.startswith(f".{name}.old-")]
    if not out_dir.exists() and retired:
        os.replace(retired[-1], out_dir)
        leftovers.remove(retired[-1])
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)
    return leftovers


def _ours(folder: Path) -> bool:
    return (folder / MARKER).is_file() or not any(folder.iterdir())


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
