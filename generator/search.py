"""Full-text search: Pagefind indexes the rendered pages in shards; the bundle joins the outputs.

Pagefind's binary ships inside the ``pagefind[bin]`` wheel, so nothing is downloaded. It reads
the part of each page marked ``data-pagefind-body`` (articles and comments; unit pages can opt in
the same way) and emits a static index plus its search UI under ``pagefind/``, which the search
box in the header loads from the site itself: no request leaves the site.

Pagefind cannot update an index, so the pages are split into shards by a stable hash of their
output path (:func:`shard_of`) and each shard is its own Pagefind index: an edit re-indexes only
the shard that holds the edited page, and every other shard is kept from the last build. The
first non-empty shard is the *primary* index at ``pagefind/`` (with Pagefind's scripts and
WebAssembly); the others live in ``pagefind/shard-N/`` (their data files only) and are listed in
``pagefind/shards.json``, which the search box passes to Pagefind's ``mergeIndex``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.cache import BuildCache
    from generator.write import Output

BUNDLE = "pagefind"
"""Output folder of the index and the search UI."""
MANIFEST = f"{BUNDLE}/shards.json"
"""The folders of the shards merged into the primary index, relative to ``pagefind/``."""
NOT_INDEXED = [".thread-nav", ".d-appendix", ".d-byline h3", ".has-card", ".hover-card"]
"""Parts of an indexed page that are not its text: navigation, labels, citations, cards."""
PATIENCE = (60.0, 0.1)
"""Seconds Pagefind gets: a base plus a share per page (1,000 articles index in ~5 s). A Pagefind
that crashes leaves its wrapper waiting for an answer forever; this turns that into an error."""
SHARD_PAGES = 64
"""Pages per shard the shard count aims at: re-indexing a shard costs Pagefind's ~0.4 s start
plus ~2.5 ms a page, and each shard is a few more requests when a reader first searches."""
MAX_SHARDS = 32
"""At most this many shards (10,000 pages: ~310 a shard), so a search stays a few requests."""
MARKED = re.compile(rb"<[a-zA-Z][^<>]*\sdata-pagefind-body[\s=/>]")
"""A tag carrying ``data-pagefind-body`` (in text, ``<`` is escaped, so this is an attribute)."""
SHARED = re.compile(r"(pagefind[-.a-z]*\.(js|css)|wasm\.[^/]*\.pagefind)")
"""Pagefind's scripts and WebAssembly: the primary index's alone are loaded by a browser."""


class SearchFailed(Exception):
    """Pagefind did not produce the bundle (it crashed, hung, or reported an error)."""


def shard_count(pages: int) -> int:
    """A power of two near ``pages / SHARD_PAGES`` (at most ``MAX_SHARDS``): when a growing site
    doubles it, each shard splits in two (see :func:`shard_of`)."""
    count = 1
    while count < MAX_SHARDS and count * SHARD_PAGES < pages:
        count *= 2
    return count


def shard_of(path: str, count: int) -> int:
    """The shard of the page at output ``path``: a hash of the path, so a page stays in its shard
    while pages come and go, and shards stay balanced."""
    return int.from_bytes(hashlib.sha256(path.encode("utf-8")).digest()[:8], "big") % count


def shard_folders(paths: list[str]) -> dict[str, list[str]]:
    """Output folder of each non-empty shard → its pages (sorted); the first shard is the
    primary index at ``pagefind/``, the others ``pagefind/shard-N/``."""
    count = shard_count(len(paths))
    shards: dict[int, list[str]] = {}
    for path in sorted(paths):
        shards.setdefault(shard_of(path, count), []).append(path)
    numbers = sorted(shards)
    return {BUNDLE if n == numbers[0] else f"{BUNDLE}/shard-{n}": shards[n] for n in numbers}


def indexed_pages(outputs: Output) -> dict[str, bytes]:
    """The HTML pages Pagefind indexes: those marked ``data-pagefind-body`` when any page is
    (Pagefind's own rule, applied to the whole site so that no shard falls back to whole
    pages), else every page."""
    pages = {path: _html(value) for path, value in outputs.items() if path.endswith(".html")}
    marked = {path: html for path, html in pages.items()
              if b"data-pagefind-body" in html and MARKED.search(html)}  # the first test is fast
    return marked or pages


def in_folder(path: str, folder: str) -> bool:
    """``path`` belongs to the shard at ``folder`` (the primary's excludes every other shard)."""
    return folder_of(path) == folder


def folder_of(path: str) -> str | None:
    """The shard folder that output ``path`` belongs to, if any (the manifest is no shard's)."""
    if not path.startswith(BUNDLE + "/") or path == MANIFEST:
        return None
    if path.startswith(f"{BUNDLE}/shard-"):
        return path[:path.index("/", len(BUNDLE) + 1)] if path.count("/") > 1 else None
    return BUNDLE


def index_search(outputs: Output, language: str, cache: BuildCache,
                 out_dir: Path) -> tuple[dict[str, str], Callable[[], Output]]:
    """Index the HTML pages of ``outputs`` shard by shard: returns each shard folder's digest
    of the pages indexed (the cache records it), and a call that gives the bundle files of the
    re-indexed shards once Pagefind has made them (it raises :class:`SearchFailed`).

    A shard whose folder the cache holds as made from exactly these pages is kept as it is
    (its files, and the manifest, are added to ``outputs`` at once). The others are indexed in
    a thread while the caller goes on (the write stage stages the pages meanwhile)."""
    from generator.cache import text_digest

    old = cache.outputs
    pages = indexed_pages(outputs)
    shards = shard_folders(list(pages))
    digests = {folder: text_digest(BUNDLE, folder, language, *NOT_INDEXED,
                                   *(f"{path}:{_digest(path, outputs[path], pages, old)}"
                                     for path in paths))
               for folder, paths in shards.items()}
    held: dict[str, list[str]] = {}
    for path in old:
        held.setdefault(folder_of(path), []).append(path)
    stale = {}
    for folder, paths in shards.items():
        files = sorted(held.get(folder, []))
        if files and cache.search_shards.get(folder) == digests[folder] \
                and cache.kept(out_dir, files):
            outputs.update((path, out_dir / path) for path in files)
        else:
            stale[folder] = {path: pages[path] for path in paths}
    outputs[MANIFEST] = json.dumps(
        {"merge": [folder[len(BUNDLE) + 1:] + "/" for folder in shards if folder != BUNDLE]},
        separators=(",", ":")).encode("utf-8")
    return digests, _started(stale, language)


def _started(stale: dict[str, dict[str, bytes]], language: str) -> Callable[[], Output]:
    """Index ``stale`` in a thread from now on; the returned call waits for its bundle."""
    if not stale:
        return dict
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search")
    future = pool.submit(_run, stale, language)
    pool.shutdown(wait=False)  # the thread ends with its one task
    return future.result


def keep_index(outputs: Output, cache: BuildCache, out_dir: Path) -> dict[str, str]:
    """The bundle as the last build left it in ``out_dir`` (files changed since are left out, so
    the next index rebuilds their shards); returns the digests that build recorded.

    ``thread serve`` shows an edited page with this, then re-indexes in a second build."""
    outputs.update((path, out_dir / path) for path in cache.outputs
                   if path.startswith(BUNDLE + "/") and cache.kept(out_dir, [path]))
    return dict(cache.search_shards)


def _digest(path: str, value: bytes | Path, pages: dict[str, bytes], old) -> str:
    from generator.cache import digest

    return old[path].digest if isinstance(value, Path) and path in old else digest(pages[path])


def _run(shards: dict[str, dict[str, bytes]], language: str) -> dict[str, bytes]:
    """The bundle files of ``shards`` (folder → pages), Pagefind's time bounded."""
    from generator.search_service import OutOfTime, ServiceFailed

    count = sum(map(len, shards.values()))
    seconds = PATIENCE[0] + PATIENCE[1] * count
    try:
        return search_shards(shards, language, seconds)
    except OutOfTime:
        raise SearchFailed(f"Pagefind did not finish indexing {count} pages within "
                           f"{seconds:.0f} s") from None
    except ServiceFailed as exc:
        raise SearchFailed(f"Pagefind failed while indexing {count} pages: {exc}") from None


def _html(value: bytes | Path) -> bytes:
    return value.read_bytes() if isinstance(value, Path) else value


def search_shards(shards: dict[str, dict[str, bytes]], language: str,
                  seconds: float) -> dict[str, bytes]:
    """``{output path: bytes}`` of the Pagefind bundle of each shard (folder → {output path:
    HTML}); shards but the primary lose Pagefind's scripts, which only the primary serves.

    The pages go to Pagefind from memory (generator/search_service.py), the shards spread over
    one Pagefind process per CPU; every process is stopped after ``seconds``."""
    from generator.parallel import jobs
    from generator.search_service import index_all

    config = {"exclude_selectors": NOT_INDEXED, "force_language": language}
    bundles = index_all(shards, config, jobs(), seconds)
    files = {}
    for folder, bundle in bundles.items():
        files.update((f"{folder}/{name}", data) for name, data in sorted(bundle.items())
                     if folder == BUNDLE or not SHARED.fullmatch(name))
    return files
