"""The content-addressed figure store: one folder per figure, named by the hash of its inputs.

An entry's key hashes the builder's name, the source of its module and of every ``figures``
module that module imports (transitively), the canonical parameters and the fingerprints of
the models it names. The versions of torch, torchvision and lucent are recorded in the entry's
manifest and compared whenever they are installed, so a checkout without torch (deploy CI)
still finds every entry, while a researcher who upgrades torch recomputes. The store is a
committable folder (``figures/store/`` by default); entries are written to a temporary sibling
and renamed into place, so a build killed mid-figure never leaves a half-written entry.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from generator.write import write_file

MANIFEST = "manifest.json"
TEMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class Entry:
    key: str
    folder: Path
    manifest: dict

    def path(self, name: str) -> Path:
        return self.folder / name

    def is_current(self, versions: dict[str, str | None]) -> bool:
        """Recorded toolchain versions match the installed ones (unknown when not installed)."""
        recorded = self.manifest.get("versions", {})
        return all(recorded.get(name) == have for name, have in versions.items()
                   if have is not None)


class FigureStore:
    def __init__(self, folder: Path):
        self.folder = folder

    def get(self, key: str) -> Entry | None:
        manifest = self.folder / key / MANIFEST
        try:
            return Entry(key, manifest.parent, json.loads(manifest.read_text(encoding="utf-8")))
        except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
            return None

    def stored_keys(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir()
                      if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).is_file())

    def put(self, key: str, files: dict[str, bytes], manifest: dict) -> Entry:
        """Write every file, then the manifest, into a temporary folder and rename it into place."""
        self.folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{key}-", dir=self.folder))
        try:
            for name, data in sorted(files.items()):
                write_file(staging / name, data)
            manifest = {"key": key, **manifest, "files": sorted(files)}
            write_file(staging / MANIFEST, (json.dumps(manifest, indent=2, sort_keys=True)
                                            + "\n").encode())
            self._swap_in(staging, self.folder / key)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return Entry(key, self.folder / key, manifest)

    def _swap_in(self, staging: Path, target: Path) -> None:
        if target.exists():
            retired = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=self.folder))
            os.replace(target, retired / "old")
            os.replace(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, target)

    def remove(self, key: str) -> None:
        shutil.rmtree(self.folder / key, ignore_errors=True)

    def clean_temporary(self) -> int:
        """Delete leftovers of killed builds; returns how many."""
        leftovers = list(self.folder.glob(TEMP_PREFIX + "*")) if self.folder.is_dir() else []
        for path in leftovers:
            shutil.rmtree(path, ignore_errors=True)
        return len(leftovers)

    def cached_file(self, name: str, make) -> Path:
        """A derived file kept in the store (e.g. the vega bundle): made once, atomically."""
        path = self.folder / name
        if not path.is_file():
            write_file(path, make())
        return path


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
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return [name for name in found if name == "figures" or name.startswith("figures.")]


def file_digest(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(chunk)
    return hasher.hexdigest()
