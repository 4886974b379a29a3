"""The only code that writes the site, and the guard of the output folder.

A build killed at any point leaves the site old or new, never a mix, and nothing stray:

- A **fresh write** builds the whole site in a hidden sibling folder (``._site.new-*``) and swaps
  it for the output folder in one step: Linux's ``renameat2(RENAME_EXCHANGE)``. Where that call is
  missing, the old folder is renamed aside and the new one into place; a kill between those two
  renames leaves no output folder, and the next build puts the old one back.
- An **update** (the build cache knows what the folder holds) writes only the files whose bytes
  changed, into a sibling journal folder (``._site.journal-*``); once all are there, one atomic
  write of ``journal.json`` (the list of moves and deletions) commits it, and the moves follow. A
  kill before the commit leaves the old site (the next build drops the journal); a kill after it
  is completed by the next build (or ``thread build`` run once more). An edit costs a handful of
  renames, not a copy of the site: deleting 1,000 folders is seconds on some file systems.

The build only ever replaces a folder that carries its marker file (:data:`MARKER`), and never the
site root, an ancestor of it or a folder that holds or lies in an input (:func:`output_problem`).
Leftovers of killed builds beside the output folder, and stray files inside it, are removed by
the next write.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

WRITERS = 8
"""Threads writing a site: creating 2,000 files is file-system latency, not CPU."""
MARKER = ".thread-site"
"""Written into every output folder; the build replaces only folders that have it."""
MARKER_TEXT = b"Built by thread-generator. `thread build` replaces this folder while this file is here.\n"

JOURNAL = "journal.json"
"""Written last into a journal folder: its presence is the commit of an update."""

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
               written: list[str] | None = None, later: Callable[[], Output] | None = None) -> dict:
    """Make ``out_dir`` hold exactly ``outputs``. With ``previous`` (the last build's stamps)
    only files whose bytes changed are written (see the module docstring). Returns the new
    stamps; appends every path written to ``written``.

    ``later`` gives outputs still being made (the search index, by Pagefind's processes): it is
    called once ``outputs`` are staged, its outputs are added to ``outputs`` and staged too, and
    only then is the write committed; if it raises, nothing is."""
    out_dir = out_dir.resolve()
    written = [] if written is None else written
    recover(out_dir)
    problem = replace_problem(out_dir)
    if problem:
        raise OutputRefused(f"{out_dir} {problem}")
    batches = _batches(outputs, later)
    if previous is not None and (out_dir / MARKER).is_file():
        return _update(batches, outputs, out_dir, previous, written)
    return _replace(batches, out_dir, written)


def _batches(outputs: Output, later: Callable[[], Output] | None) -> Iterator[Output]:
    """``outputs``, then what ``later`` gives (added to ``outputs`` first)."""
    yield outputs
    if later is not None:
        more = {rel: value for rel, value in later().items() if rel not in outputs}
        outputs.update(more)
        yield more


def _replace(batches: Iterator[Output], out_dir: Path, written: list[str]) -> dict:
    """Write a complete new site beside ``out_dir`` and swap it in."""
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)  # `--out new/folder/site`
    except OSError as exc:
        raise OutputRefused(f"{out_dir}: cannot make its parent folder: "
                            f"{exc.strerror or exc}") from None
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        (staging / MARKER).write_bytes(MARKER_TEXT)
        stamps = {}
        with ThreadPoolExecutor(WRITERS) as pool:  # file-system calls release the GIL
            for batch in batches:
                places = sorted(batch)
                folders = sorted({(staging / rel).parent for rel in places})
                list(pool.map(lambda folder: folder.mkdir(parents=True, exist_ok=True), folders))
                stamps.update(zip(places, pool.map(
                    lambda rel, batch=batch: _write_one(staging / rel, _bytes(batch[rel])),
                    places)))
        stamps = dict(sorted(stamps.items()))
        staging.chmod(0o755)
        swap(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # the retired old site, or the failed new one
    written.extend(stamps)
    return stamps


def _update(batches: Iterator[Output], outputs: Output, out_dir: Path, previous: dict,
            written: list[str]) -> dict:
    """Stage the changed files in a journal, commit it, apply it (module docstring)."""
    journal = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.journal-", dir=out_dir.parent))
    try:
        stamps, moves = {}, []
        for number, rel in enumerate(rel for batch in batches for rel in sorted(batch)):
            value, current, old = outputs[rel], out_dir / rel, previous.get(rel)
            if old is not None and isinstance(value, Path) and value == current:
                stamps[rel] = old  # a page the cache reused: verified before reuse
                continue
            data = _bytes(value)
            data_digest = digest(data)
            if old is not None and old.digest == data_digest and old.matches(current):
                stamps[rel] = old
                continue
            stamps[rel] = _write_one(journal / str(number), data, data_digest)  # kept by rename
            moves.append((rel, str(number)))
        stamps = dict(sorted(stamps.items()))
        deletions = sorted(set(previous) - set(outputs) | _strays(out_dir, outputs))
        write_file(journal / JOURNAL, json.dumps({"moves": moves, "delete": deletions}).encode())
    except BaseException:
        shutil.rmtree(journal, ignore_errors=True)
        raise
    _apply(journal, out_dir)
    written.extend(rel for rel, _ in moves)
    return stamps


def _strays(out_dir: Path, outputs: Output) -> set[str]:
    """Files in the output folder that no output accounts for (leftovers of older versions)."""
    found = set()
    for folder, _, files in os.walk(out_dir):
        rel = os.path.relpath(folder, out_dir)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        found.update(prefix + name for name in files)
    return found - set(outputs) - {MARKER}


def _apply(journal: Path, out_dir: Path) -> None:
    """Carry out a committed journal; safe to repeat after a kill part-way."""
    plan = json.loads((journal / JOURNAL).read_text(encoding="utf-8"))
    for rel in plan["delete"]:
        target = _inside(out_dir, rel)
        target.unlink(missing_ok=True)
        _prune(out_dir, target.parent)
    for rel, name in plan["moves"]:
        staged, target = journal / Path(name).name, _inside(out_dir, rel)
        if staged.is_file():  # not yet moved
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
    shutil.rmtree(journal)


def _inside(out_dir: Path, rel: str) -> Path:
    target = out_dir / rel
    if not target.resolve().is_relative_to(out_dir) or ".." in Path(rel).parts:
        raise OutputRefused(f"{out_dir}: a build journal names '{rel}', outside the folder")
    return target


def _prune(out_dir: Path, folder: Path) -> None:
    """Remove ``folder`` and its parents up to ``out_dir`` while they are empty."""
    while folder != out_dir and folder.is_relative_to(out_dir):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _write_one(target: Path, data: bytes, data_digest: str | None = None) -> Stamp:
    """Write one new file into a fresh staging or journal folder; returns its stamp. One open,
    write, chmod and stat on the descriptor: a site is thousands of small files, and each
    system call on a path counts."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fchmod(fd, 0o644)  # whatever the umask
        stat = os.fstat(fd)
    finally:
        os.close(fd)
    return Stamp(data_digest or digest(data), stat.st_size, stat.st_mtime_ns)


def digest(data: bytes) -> str:
    """The content hash that names output bytes in stamps and the build cache."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True)
class Stamp:
    """An output file as the last build left it."""

    digest: str
    size: int
    mtime_ns: int

    def matches(self, path: Path) -> bool:
        try:
            stat = path.stat()
        except OSError:
            return False
        return stat.st_size == self.size and stat.st_mtime_ns == self.mtime_ns


def _bytes(value: bytes | Path) -> bytes:
    """An output's content: its bytes, or the file to copy read once (hashed and written)."""
    return value.read_bytes() if isinstance(value, Path) else value


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
    for journal in sorted(parent.glob(f".{name}.journal-*")):
        if not _a_journal(journal):
            continue
        if (journal / JOURNAL).is_file() and out_dir.is_dir():
            _apply(journal, out_dir)  # committed: finish it
        else:
            shutil.rmtree(journal, ignore_errors=True)  # not committed: the old site stands
    leftovers = sorted(p for pattern in (f".{name}.new-*", f".{name}.old-*")
                       for p in parent.glob(pattern) if p.is_dir() and _ours(p))
    retired = [p for p in leftovers if p.name.startswith(f".{name}.old-")]
    if not out_dir.exists() and retired:
        os.replace(retired[-1], out_dir)
        leftovers.remove(retired[-1])
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)
    return leftovers


def _a_journal(folder: Path) -> bool:
    """A folder :func:`_update` made: numbered files, the journal, its temporary file."""
    return folder.is_dir() and all(p.name.isdigit() or p.name.startswith((JOURNAL, f".{JOURNAL}."))
                                   for p in folder.iterdir())


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
