"""The content-addressed figure store: one folder per figure, named by the hash of its inputs.

An entry's key hashes the builder's name, the source of its module and of every ``figures``
module that module imports (transitively), the canonical parameters and the fingerprints of
the models it names. The versions of torch, torchvision, lucent (and vl-convert, for charts) are
recorded in the entry's manifest; an entry computed with other versions than the build host's
(on a cluster worker, say) is used all the same, and the build says so once, naming both.
The store is a committable folder (``figures/store/`` by default); entries are written to a
temporary sibling and renamed into place, so a build killed mid-figure never leaves a
half-written entry.

The key says what an entry *should* hold, not what it holds: the manifest records the sha256
of every file, and an entry is used only after its manifest validates and every file matches
its hash (once per build and store). A damaged entry is reported as a :class:`Damage` and
treated as missing: recomputed, or under ``--frozen`` an error naming the file. Pages depend
on :attr:`Entry.digest`, the hash of the manifest's bytes (so of every file), not on the key.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict, ValidationError

from generator.write import write_file

MANIFEST = "manifest.json"
TEMP_PREFIX = ".tmp-"
HASH_SUFFIX = ".sha256"
"""A cached file's recorded sha256 lies beside it: ``vega-bundle-X.js.sha256``."""


class ImageRecord(BaseModel):
    """One stored image as the manifest describes it (PNG and WebP, 1× and 2×)."""

    width: int
    height: int
    pixelated: bool
    png: str
    png_2x: str
    webp: str
    webp_2x: str


NOT_ENTRIES = frozenset({"models"})
"""Folders of the store that are not entries: ``models/`` holds cached trained weights."""


class Manifest(BaseModel):
    """What a page needs from an entry's manifest.json; other keys are kept as they are."""

    model_config = ConfigDict(extra="allow")

    key: str
    builder: str
    files: list[str]
    sha256: dict[str, str]
    """File name → sha256 of its bytes, for every name in ``files``."""
    params: dict
    models: dict[str, str]
    versions: dict[str, str | None]
    seed: int
    device: str
    seconds: float
    alt: str = ""
    caption: str = ""
    images: list[ImageRecord] = []
    svg: str | None = None
    vega_lite: str | None = None
    vega_svg: str | None = None
    data: str | None = None

    def named(self) -> list[str]:
        """Every file the manifest points a page at: each must be one of ``files``."""
        names = [getattr(image, field) for image in self.images
                 for field in ("png", "png_2x", "webp", "webp_2x")]
        return names + [n for n in (self.svg, self.vega_lite, self.vega_svg, self.data) if n]


@dataclass(frozen=True)
class Entry:
    key: str
    folder: Path
    manifest: dict
    digest: str = ""
    """sha256 of manifest.json's bytes: changes whenever any file of the entry changes."""

    def path(self, name: str) -> Path:
        return self.folder / name

    def toolchain_changes(self, versions: dict[str, str | None]) -> list[tuple[str, str, str]]:
        """``(name, recorded, installed)`` for each toolchain version this entry was computed
        with that differs from the installed one (unknown on either side: not compared)."""
        recorded = self.manifest.get("versions", {})
        return [(name, recorded[name], have) for name, have in sorted(versions.items())
                if have is not None and recorded.get(name) not in (None, have)]


@dataclass(frozen=True)
class Damage:
    """Why a stored entry (or cached file) cannot be used: the file at fault and what is wrong."""

    key: str
    file: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}"


class FigureStore:
    """The store folder; reads are verified once per instance (one instance per build)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._read: dict[str, Entry | Damage | None] = {}
        self._cached: dict[str, Path | Damage | None] = {}

    def read(self, key: str) -> Entry | Damage | None:
        """The verified entry under ``key``, why it cannot be used, or None if there is none."""
        if key not in self._read:
            self._read[key] = read_entry(self.folder / key, key)
        return self._read[key]

    def get(self, key: str) -> Entry | None:
        found = self.read(key)
        return found if isinstance(found, Entry) else None

    def stored_keys(self) -> list[str]:
        """Every entry folder, with or without a (readable) manifest; not ``models/`` (trained
        weights that builders cache beside the entries: figures/trained.py)."""
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir()
                      if p.is_dir() and not p.name.startswith(".") and p.name not in NOT_ENTRIES)

    def put(self, key: str, files: dict[str, bytes], manifest: dict) -> Entry:
        """Write every file, then the manifest with their hashes, into a temporary folder and
        rename it into place."""
        self.folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{key}-", dir=self.folder))
        try:
            hashes = {name: sha256_hex(files[name]) for name in sorted(files)}
            for name in hashes:
                write_file(staging / name, files[name])
            manifest = {"key": key, **manifest, "files": sorted(files), "sha256": hashes}
            data = manifest_bytes(manifest)
            write_file(staging / MANIFEST, data)
            self._swap_in(staging, self.folder / key)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._read[key] = Entry(key, self.folder / key, manifest, sha256_hex(data))
        return self._read[key]

    def _swap_in(self, staging: Path, target: Path) -> None:
        if target.exists():
            retired = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=self.folder))
            os.replace(target, retired / "old")
            os.replace(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, target)

    def remove(self, key: str) -> None:
        self._read.pop(key, None)
        shutil.rmtree(self.folder / key, ignore_errors=True)

    def clean_temporary(self) -> int:
        """Delete leftovers of killed builds; returns how many."""
        leftovers = list(self.folder.glob(TEMP_PREFIX + "*")) if self.folder.is_dir() else []
        for path in leftovers:
            shutil.rmtree(path, ignore_errors=True)
        return len(leftovers)

    # --- derived files (the vega bundle) -----------------------------------------------------

    def read_cached(self, name: str) -> Path | Damage | None:
        """A derived file that matches the sha256 recorded beside it; None if it is absent."""
        if name not in self._cached:
            self._cached[name] = read_cached(self.folder / name)
        return self._cached[name]

    def cached_file(self, name: str, make: Callable[[], bytes]) -> Path:
        """A derived file kept in the store (e.g. the vega bundle): made once, atomically, with
        its sha256 beside it, and made again when absent or not matching that hash."""
        path = self.folder / name
        if not isinstance(self.read_cached(name), Path):
            data = make()
            write_file(path, data)
            write_file(path.with_name(name + HASH_SUFFIX), f"{sha256_hex(data)}\n".encode())
            self._cached[name] = path
        return path

    def remove_cached(self, name: str) -> None:
        self._cached.pop(name, None)
        for path in (self.folder / name, self.folder / (name + HASH_SUFFIX)):
            path.unlink(missing_ok=True)

    # --- thread figures verify ---------------------------------------------------------------

    def verify(self) -> tuple[int, list[Damage]]:
        """Check every entry and derived file, decoding each image as well: (checked, damaged)."""
        damaged = []
        keys = self.stored_keys()
        for key in keys:
            found = read_entry(self.folder / key, key)
            damage = found if isinstance(found, Damage) else decodes(found)
            if damage is not None:
                damaged.append(damage)
        sidecars = self.folder.glob(f"*{HASH_SUFFIX}") if self.folder.is_dir() else []
        derived = sorted({p.name.removesuffix(HASH_SUFFIX) for p in sidecars}
                         | {p.name for p in self.folder.glob("vega-bundle-*.js")})
        damaged += [d for d in map(self.read_cached, derived) if isinstance(d, Damage)]
        return len(keys) + len(derived), damaged


# --- reading and verifying entries -----------------------------------------------------------

PNG_START, PNG_END = b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"


def read_entry(folder: Path, key: str) -> Entry | Damage | None:
    """Read ``folder``'s manifest and check every file it lists against its recorded sha256."""
    if not folder.is_dir():
        return None
    path = folder / MANIFEST
    try:
        if folder.is_symlink() or path.is_symlink():
            raise ValueError("is a symbolic link")
        raw = path.read_bytes()
        data, manifest = parse_manifest(raw, key)
    except FileNotFoundError:
        return Damage(key, path, "is missing")
    except OSError as exc:
        return Damage(key, path, f"cannot be read ({exc.strerror})")
    except ValueError as exc:
        return Damage(key, path, str(exc))
    for name in manifest.files:
        reason = check_file(folder / name, manifest.sha256.get(name))
        if reason is not None:
            return Damage(key, folder / name, reason)
    return Entry(key, folder, data, sha256_hex(raw))


def parse_manifest(raw: bytes, key: str) -> tuple[dict, Manifest]:
    """The manifest as JSON and as validated; ValueError says what is wrong with it."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not JSON ({exc})") from None
    except RecursionError:
        raise ValueError("is not JSON (nested too deeply)") from None
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"is not a store manifest ({where + ': ' if where else ''}"
                         f"{first['msg'].lower()})") from None
    if manifest.key != key:
        raise ValueError(f"records the key '{manifest.key}', not its folder's")
    outside = [name for name in manifest.files if not _inside(name)]
    if outside:
        raise ValueError(f"lists a file outside its entry: {outside[0]!r}")
    unlisted = [name for name in manifest.named() if name not in manifest.files]
    if unlisted:
        raise ValueError(f"names '{unlisted[0]}', which is not one of its files")
    return data, manifest


PLAIN_NAME = re.compile(r"[\w@-]+(\.[\w@-]+)*(/[\w@-]+(\.[\w@-]+)*)*")
"""A relative name of plain parts, none of them ``.`` or ``..`` (most names: checked fast)."""


def _inside(name: str) -> bool:
    if PLAIN_NAME.fullmatch(name) and name != MANIFEST:
        return True
    parts = PurePosixPath(name).parts
    return bool(parts) and not PurePosixPath(name).is_absolute() and "\\" not in name \
        and all(part not in ("", ".", "..") for part in parts) and name != MANIFEST


def check_file(path: Path, recorded: str | None) -> str | None:
    """What is wrong with one stored file, or None: its hash, then its structure (cheap)."""
    if recorded is None:
        return "has no sha256 in the manifest"
    if path.is_symlink():
        return "is a symbolic link"
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return "is missing"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if sha256_hex(data) != recorded:
        return "does not match the sha256 its manifest records"
    return malformed(path.suffix, data)


def malformed(suffix: str, data: bytes) -> str | None:
    """A structural check beside the hash, so a manifest rewritten to match bad bytes still
    publishes no truncated image or broken spec: complete PNG and WebP containers, JSON."""
    if suffix == ".png" and not (data.startswith(PNG_START) and data.endswith(PNG_END)):
        return "is not a complete PNG image"
    if suffix == ".webp" and not (data[:4] == b"RIFF" and data[8:12] == b"WEBP"
                                  and int.from_bytes(data[4:8], "little") + 8 == len(data)):
        return "is not a complete WebP image"
    if suffix == ".json":
        try:
            json.loads(data)
        except ValueError:
            return "is not valid JSON"
    return None


def decodes(entry: Entry) -> Damage | None:
    """Decode every image of a verified entry (``figures verify``: thorough, not per build)."""
    from PIL import Image

    for name in entry.manifest["files"]:
        if PurePosixPath(name).suffix in (".png", ".webp"):
            try:
                with Image.open(io.BytesIO(entry.path(name).read_bytes())) as image:
                    image.load()
            except Exception as exc:  # noqa: BLE001 (Pillow raises many kinds for bad data)
                return Damage(entry.key, entry.path(name), f"does not decode ({exc})")
    return None


def read_cached(path: Path) -> Path | Damage | None:
    """``path`` if it matches the sha256 recorded beside it; None if it does not exist."""
    if not path.exists():
        return None
    record = path.with_name(path.name + HASH_SUFFIX)
    try:
        recorded = record.read_text(encoding="ascii").strip()
        actual = file_digest(path)
    except FileNotFoundError as exc:
        return Damage(path.name, path, f"has no recorded sha256 ({exc.filename} is missing)")
    except (OSError, UnicodeDecodeError):
        return Damage(path.name, record, "cannot be read")
    if actual != recorded:
        return Damage(path.name, path, f"does not match the sha256 recorded in {record.name}")
    return path


def manifest_bytes(manifest: dict) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- keys ------------------------------------------------------------------------------------

def digest(*parts: str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode("utf-8"))
        hasher.update(b"\0")
    return hasher.hexdigest()


def figure_key(builder: str, source: str, params_json: str, fingerprints: dict[str, str]) -> str:
    """The store key: 24 hex digits of the hash of everything that determines the figure."""
    models = json.dumps(fingerprints, sort_keys=True)
    return digest("figure/v1", builder, source, params_json, models)[:24]


def module_file(module: str, search: list[Path]) -> Path | None:
    """The file of a ``figures.x.y`` module in the package folders ``search``."""
    parts = module.split(".")[1:]
    for base in search:
        for candidate in (base.joinpath(*parts).with_suffix(".py") if parts else None,
                          base.joinpath(*parts, "__init__.py")):
            if candidate is not None and candidate.is_file():
                return candidate
    return None


def source_digest(module: str, search: list[Path]) -> str:
    """Hash of a module's source and of every ``figures`` module it imports, transitively."""
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        path = module_file(name, search)
        if name in seen or path is None:
            continue
        seen[name] = path
        todo.extend(imported_figures_modules(name, path))
    return digest(*(f"{name}\n{seen[name].read_text(encoding='utf-8')}" for name in sorted(seen)))


def imported_figures_modules(module: str, path: Path) -> list[str]:
    """``figures.*`` modules named by any import in the file, at top level or in a function."""
    return list(_figures_imports(module, path.name == "__init__.py",
                                 path.read_text(encoding="utf-8")))


@functools.lru_cache(maxsize=1024)
def _figures_imports(module: str, is_package: bool, source: str) -> tuple[str, ...]:
    """:func:`imported_figures_modules` of a module's source, parsed once per process (every
    build keys its figures by their modules' imports: 0.3 s of a 2.5 s cached demo build)."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return tuple(name for name in found if name == "figures" or name.startswith("figures."))


def file_digest(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(chunk)
    return hasher.hexdigest()
