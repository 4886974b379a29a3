"""The persistent build cache (``.thread-cache/``): what the last build read and wrote, so the
next one parses, renders and writes only what changed.

Every build re-reads every content file and hashes it (cheap). A document's page is *reused* —
not parsed, not rendered, not written — when all of these are as the last build recorded them:

- the **salt**: site.toml's bytes, the generator's own code, the versions of the libraries that
  shape the HTML, the output folder and live reload (any change: a full build);
- the document's **bytes**;
- its **page inputs**: the templates its page renders with (the page template and everything it
  extends or includes, plus the card macros), the BibTeX entries it cites, the thread and site
  navigation around it (thread front matter, the previous and next articles' front matter, the
  list of threads), and the front matter of the article it responds to and of its responses;
- the **files it embeds** (their content hashes name the copied assets), the store **keys of
  its figures** and the digests of their manifests, and the keys and manifest digests of the
  icon shards of the units it references (fixed shards of a layer: a new reference elsewhere
  does not change them, a recomputed shard does). A manifest records the sha256 of every file of its entry, so an entry
  recomputed under the same key (another torch, a repaired or killed computation) re-renders
  the pages that show it, with its images and its "Reproduce" details;
- what it shows of **other articles' labels** (``{ref}`slug#label` ``): title, number and
  preview, compared once every label is numbered;
- the **files it wrote**, still in the output folder with the size and mtime recorded.

Thread pages, the home page, feeds, the sitemap, unit and model pages are rendered every build
from front matter and resolved units (cheap), and like every output are written only when their
bytes differ from what the output folder holds. ``thread check`` and ``figures gc`` never use the
cache: they look at the whole site.

The cache is JSON, never pickle: a cache file from elsewhere (a pull request) is data, not code.
One that does not read as this generator writes it is ignored with a note: a full build.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from generator.document_state import DocumentState
from generator.write import Stamp, digest, write_file

FOLDER = ".thread-cache"
FILE = "build.json"
QUICK = "quick.json"
"""The fingerprint and output stamps alone, for :func:`up_to_date`."""
FORMAT = 2
"""The file's shape; a record of another generator is never decoded anyway (the salt hashes the
generator's code), so a new record shape needs no new number."""
SHAPING_LIBRARIES = ("jinja2", "markdown-it-py", "mdit-py-plugins", "pygments", "math-core",
                     "pybtex", "pydantic", "pagefind")
"""Libraries whose version can change the bytes of a page."""
CARDS = "partials/cards.html"
"""Loaded by name while a page renders (hover cards), so no template names it statically."""
GENERATOR = Path(__file__).resolve().parent


def text_digest(*parts: object) -> str:
    return digest("\x1f".join(map(str, parts)).encode("utf-8"))


@dataclass
class DocRecord:
    source: str
    """Hash of the Markdown file's bytes."""
    meta: Any
    """Its validated front matter (a model of generator/content.py)."""
    inputs: str
    """Hash of its page inputs (:func:`page_inputs`)."""
    template: str
    """The template its page rendered with."""
    state: DocumentState
    """What its directives and roles recorded (merged again when the page is reused)."""
    manifests: list[str] = field(default_factory=list)
    """Manifest digest of the store entry each builder figure showed (its ``figure`` entries)."""
    icons: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(model, layer, key, manifest digest) of the icon jobs its unit cards show."""
    outputs: list[str] = field(default_factory=list)


@dataclass
class BuildCache:
    salt: str = ""
    fingerprint: str = ""
    """:func:`site_fingerprint` when the build that wrote this cache started."""
    documents: dict[str, DocRecord] = field(default_factory=dict)
    """Site-relative Markdown path → record."""
    outputs: dict[str, Stamp] = field(default_factory=dict)
    search_shards: dict[str, str] = field(default_factory=dict)
    """Output folder of each search shard → hash of what it was built from."""
    out_dir: str = ""
    """The output folder the stamps describe."""

    def record(self, path: Path, source: str) -> DocRecord | None:
        """The record of a document whose bytes are unchanged, if any."""
        record = self.documents.get(path.as_posix())
        return record if record is not None and record.source == source else None

    def kept(self, out_dir: Path, paths: list[str]) -> bool:
        """Every one of ``paths`` is in ``out_dir`` exactly as the last build wrote it."""
        return all(p in self.outputs and self.outputs[p].matches(out_dir / p) for p in paths)


def site_fingerprint(root: Path, out_dir: Path, live_reload: bool) -> str:
    """Size and mtime of every file under the site root (dot-folders, caches and the output
    folder aside) plus the salt: equal fingerprints mean the site's inputs did not change.

    A false "changed" costs only the normal, content-hashed build; stat-based is enough. Plain
    strings and ``os.scandir``, not :class:`Path`: this runs on every rebuild of every site."""
    skip = os.path.realpath(out_dir)
    parts = [salt((root / "site.toml").read_bytes(), live_reload)]
    for folder, dirs, files in os.walk(root):
        rel = os.path.relpath(folder, root)
        prefix = "" if rel == "." else rel + "/"
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__"
                         and os.path.realpath(os.path.join(folder, d)) != skip)
        parts += [f"{prefix}{d}/" for d in dirs]  # a folder named x.md
        for name in sorted(files):
            try:
                stat = os.stat(os.path.join(folder, name))
            except OSError:  # a broken or looping link: the build says so
                parts.append(f"{prefix}{name}:unreadable")
                continue
            parts.append(f"{prefix}{name}:{stat.st_size}:{stat.st_mtime_ns}")
    return text_digest(*parts)


def up_to_date(root: Path, out_dir: Path, live_reload: bool = False,
               fingerprint: str | None = None) -> bool:
    """Nothing under the site root changed since the last successful build started, and its
    output folder is exactly as that build left it: there is nothing to do. ``fingerprint``:
    the site's, when the caller computed it already."""
    try:
        quick = json.loads((root / FOLDER / QUICK).read_bytes())  # stdlib only, like all of this
        fingerprint = fingerprint or site_fingerprint(root, out_dir, live_reload)
        return quick["format"] == FORMAT and quick["out_dir"] == str(out_dir.resolve()) \
            and quick["fingerprint"] == fingerprint \
            and all(_stat(out_dir / path) == tuple(stamp)
                    for path, stamp in quick["stamps"].items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return False


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def cache_path(root: Path) -> Path:
    return root / FOLDER / FILE


def load(root: Path, salt: str, out_dir: str) -> BuildCache:
    """The last build's cache when its salt matches, else an empty one (a full build).

    A cache that is not JSON, not shaped as this generator writes it or of another format is
    ignored, with a one-line note on stderr."""
    path = cache_path(root)
    try:
        cache = decode(path.read_bytes(), salt)
    except FileNotFoundError:
        return BuildCache(salt, out_dir=out_dir)
    except (OSError, ValueError, TypeError, RecursionError) as exc:  # pydantic's: ValueErrors
        _note(f"ignoring {path.relative_to(root)} ({_reason(exc)}); building every page")
        return BuildCache(salt, out_dir=out_dir)
    if cache.out_dir != out_dir:
        return BuildCache(salt, out_dir=out_dir)
    if salt and cache.salt != salt:  # every page is rebuilt; the output files are still known
        return BuildCache(salt, outputs=cache.outputs, search_shards=cache.search_shards,
                          out_dir=out_dir)
    return cache


def decode(data: bytes, salt: str) -> BuildCache:
    """A cache from its JSON; the document records only under a matching ``salt`` (else none
    is reused, and front matter models may have changed). Raises ValueError or TypeError."""
    from pydantic import TypeAdapter

    stored = json.loads(data)
    if not isinstance(stored, dict):
        raise TypeError(f"a JSON {type(stored).__name__}, not a build cache")
    if stored.get("format") != FORMAT:
        raise ValueError(f"format {stored.get('format')}, this generator reads format {FORMAT}")
    documents = stored.pop("documents", None)
    cache = TypeAdapter(BuildCache).validate_python({**stored, "documents": {}})
    if not salt or cache.salt == salt:
        cache.documents = TypeAdapter(dict[str, DocRecord]).validate_python(documents)
        for record in cache.documents.values():
            record.meta = _front_matter(record.meta)
    return cache


def encode(cache: BuildCache) -> bytes:
    """The cache as JSON (fields as they are: ``vars``, not the deep copies of ``asdict``)."""
    documents = {path: {"source": record.source, "meta": {
                            "model": type(record.meta).__name__,
                            "data": record.meta.model_dump(mode="json")},
                        "inputs": record.inputs, "template": record.template,
                        "state": vars(record.state), "manifests": record.manifests,
                        "icons": record.icons, "outputs": record.outputs}
                 for path, record in cache.documents.items()}
    stored = {"format": FORMAT, **vars(cache), "documents": documents,
              "outputs": {path: vars(stamp) for path, stamp in cache.outputs.items()}}
    return json.dumps(stored, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _front_matter(stored: Any):
    """A record's front matter, validated again by the model it names (of a fixed few)."""
    from generator.content import ArticleMeta, PageMeta, ThreadMeta

    models = {model.__name__: model for model in (ArticleMeta, PageMeta, ThreadMeta)}
    if not isinstance(stored, dict) or stored.get("model") not in models:
        raise ValueError("a record's front matter names no known model")
    return models[stored["model"]].model_validate(stored.get("data"))


def _reason(exc: BaseException) -> str:
    """One line on why a cache was not loaded."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):  # its first problem
        first = exc.errors()[0]
        return f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _note(message: str) -> None:
    import logging

    logging.getLogger(__name__).warning("note: %s", message)


def save(root: Path, cache: BuildCache) -> None:
    write_file(cache_path(root), encode(cache))
    quick = {"format": FORMAT, "fingerprint": cache.fingerprint, "out_dir": cache.out_dir,
             "stamps": {path: [s.size, s.mtime_ns] for path, s in cache.outputs.items()}}
    write_file(root / FOLDER / QUICK, json.dumps(quick, separators=(",", ":")).encode("utf-8"))


def clear(root: Path) -> None:
    """Forget the last build (``--no-cache``): the next one renders and writes everything."""
    for name in (FILE, QUICK):
        (root / FOLDER / name).unlink(missing_ok=True)


def salt(config_bytes: bytes, live_reload: bool) -> str:
    """What invalidates every page at once: configuration, generator code, library versions."""
    return text_digest(FORMAT, digest(config_bytes), live_reload, *_running_code())


@functools.cache
def _running_code() -> tuple[str, ...]:
    """The generator's code and the shaping libraries' versions, read once per process: what
    this process runs cannot change under it (``serve`` keeps running the code it loaded)."""
    code = sorted(GENERATOR.rglob("*.py"))
    parts = [f"{p.relative_to(GENERATOR)}:{digest(p.read_bytes())}" for p in code]
    return (*parts, *(f"{name}=={_version(name)}" for name in SHAPING_LIBRARIES))


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "-"


@functools.lru_cache(maxsize=1024)
def _referenced_templates(source: str) -> tuple[str | None, ...]:
    """The templates a template's source extends, includes or imports (None: a computed name,
    or a source that does not parse), parsed once per distinct source in this process."""
    from jinja2 import Environment, TemplateSyntaxError, meta

    try:
        return tuple(meta.find_referenced_templates(Environment().parse(source)))
    except TemplateSyntaxError:
        return (None,)


class Templates:
    """Digests of the theme's templates and which templates each page template pulls in."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.digests = {p.relative_to(folder).as_posix(): digest(p.read_bytes())
                        for p in sorted(folder.rglob("*")) if p.is_file()}
        self._closures: dict[str, frozenset[str]] = {}

    def closure(self, name: str) -> frozenset[str]:
        """``name`` and every template it extends, includes or imports, transitively."""
        if name not in self._closures:
            seen: set[str] = set()
            todo = [name, CARDS]
            while todo:
                current = todo.pop()
                if current in seen:
                    continue
                seen.add(current)
                if current not in self.digests:  # missing: its absence is part of the digest
                    continue
                try:
                    source = (self.folder / current).read_text(encoding="utf-8")
                except OSError:
                    referenced: tuple[str | None, ...] = (None,)
                else:
                    referenced = _referenced_templates(source)
                if None in referenced:  # a computed name: depend on every template
                    seen.update(self.digests)
                    break
                todo.extend(referenced)
            self._closures[name] = frozenset(seen)
        return self._closures[name]

    def digest_of(self, name: str) -> str:
        return text_digest(*(f"{t}:{self.digests.get(t, '-')}"
                             for t in sorted(self.closure(name))))


def page_inputs(document, template: str, cited: list[str], templates: Templates,
                threads: list) -> str:
    """Hash of what a document's page shows besides its own file (see the module docstring)."""
    parts = [templates.digest_of(template)]
    parts += [f"{key}:{document.references.get(key)!r}" for key in cited]
    parts += [f"{t.url}:{t.meta.title}" for t in threads]
    thread = getattr(document, "thread", None)
    if thread is not None:
        parts += [thread.url, repr(thread.meta)]
        for neighbour in (document.previous, document.next):
            parts.append(f"{neighbour.url}:{neighbour.meta!r}" if neighbour else "-")
        for other in [document.answers, *document.responses]:  # "A comment on", "Comments on"
            parts.append(f"{other.url}:{other.meta!r}" if other else "-")
    return text_digest(*parts)
