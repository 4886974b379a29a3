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

import gzip
import hashlib
import json
import re
import tempfile
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


GZIPPED = (".pagefind", ".pf_meta", ".pf_fragment", ".pf_index", ".pf_filter")
"""Pagefind's gzipped data files (a truncated one does not decompress)."""


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
    if folder != BUNDLE:
        return path.startswith(folder + "/")
    return path.startswith(BUNDLE + "/") and path != MANIFEST \
        and not path.startswith(f"{BUNDLE}/shard-")


def index_search(outputs: Output, language: str, cache: BuildCache,
                 out_dir: Path) -> dict[str, str]:
    """Index the HTML pages of ``outputs`` shard by shard and add the bundle to them; returns
    each shard folder's digest of the pages indexed (the cache records it).

    A shard whose folder the cache holds as made from exactly these pages is kept as it is."""
    from generator.cache import text_digest

    old = cache.outputs
    pages = indexed_pages(outputs)
    shards = shard_folders(list(pages))
    digests = {folder: text_digest(BUNDLE, folder, language, *NOT_INDEXED,
                                   *(f"{path}:{_digest(path, outputs[path], pages, old)}"
                                     for path in paths))
               for folder, paths in shards.items()}
    stale = {}
    for folder, paths in shards.items():
        files = sorted(p for p in old if in_folder(p, folder))
        if files and cache.search_shards.get(folder) == digests[folder] \
                and cache.kept(out_dir, files):
            outputs.update((path, out_dir / path) for path in files)
        else:
            stale[folder] = {path: pages[path] for path in paths}
    if stale:
        outputs.update(_run(stale, language))
    outputs[MANIFEST] = json.dumps(
        {"merge": [folder[len(BUNDLE) + 1:] + "/" for folder in shards if folder != BUNDLE]},
        separators=(",", ":")).encode("utf-8")
    return digests


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
    import asyncio  # here, not above: an edit with search off (or a kept index) never needs it

    count = sum(map(len, shards.values()))
    seconds = PATIENCE[0] + PATIENCE[1] * count
    # Pagefind's API is async; its own thread keeps it clear of any event loop of the caller.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _bounded(search_shards(shards, language), seconds,
                                                 count)).result()


async def _bounded(indexing, seconds: float, count: int) -> dict[str, bytes]:
    """The bundle, or SearchFailed when Pagefind fails or has not finished within ``seconds``
    (cancelling the index stops Pagefind's process)."""
    import asyncio

    try:
        return await asyncio.wait_for(indexing, seconds)
    except TimeoutError:
        raise SearchFailed(f"Pagefind did not finish indexing {count} pages within "
                           f"{seconds:.0f} s") from None
    except Exception as exc:  # the wrapper's own errors name no type of their own
        raise SearchFailed(f"Pagefind failed while indexing {count} pages: {exc}") from exc


def _html(value: bytes | Path) -> bytes:
    return value.read_bytes() if isinstance(value, Path) else value


async def search_shards(shards: dict[str, dict[str, bytes]],
                        language: str) -> dict[str, bytes]:
    """``{output path: bytes}`` of the Pagefind bundle of each shard (folder → {output path:
    HTML}); shards but the primary lose Pagefind's scripts, which only the primary serves.

    One Pagefind process indexes every shard, concurrently. Each shard's pages go to a scratch
    folder indexed in one call: the wrapper answers each call after a 0.1 s poll, so one call
    per page would cost minutes on a large site.
    """
    import asyncio

    from pagefind.service import PagefindService

    with tempfile.TemporaryDirectory(prefix="thread-search-") as scratch:
        async with PagefindService() as service:  # stops Pagefind's process on exit
            bundles = await asyncio.gather(*(
                _index(service, Path(scratch) / str(n), pages, language)
                for n, pages in enumerate(shards.values())))
    files = {}
    for folder, bundle in zip(shards, bundles):
        files.update((f"{folder}/{name}", data) for name, data in bundle.items()
                     if folder == BUNDLE or not SHARED.fullmatch(name))
    return files


async def _index(service, scratch: Path, pages: dict[str, bytes],
                 language: str) -> dict[str, bytes]:
    """One shard's bundle: bundle-relative name → bytes."""
    from pagefind.index import IndexConfig

    site, bundle = scratch / "site", scratch / BUNDLE
    for path, html in pages.items():
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_bytes(html)
    config = IndexConfig(output_path=str(bundle), exclude_selectors=NOT_INDEXED,
                         force_language=language)
    index = await service.create_index(config)
    await index.add_directory(str(site))
    await index.write_files()
    return await _settled(bundle)


async def _settled(bundle: Path, poll: float = 0.05) -> dict[str, bytes]:
    """The bundle's files once Pagefind has finished writing them.

    Pagefind answers ``write_files`` before its last writes land (its files are not flushed
    before the reply; about one build in thirty read an empty ``pagefind-entry.json``), and
    stopping its process then loses them. So the files are read until two reads a moment apart
    agree and every file is complete: the entry is JSON and each gzipped index file decompresses.
    The caller's time limit bounds the wait."""
    import asyncio

    previous = None
    while True:
        files = {file.relative_to(bundle).as_posix(): file.read_bytes()
                 for file in sorted(bundle.rglob("*")) if file.is_file()}
        if files == previous and all(map(_complete, files.items())):
            return files
        previous = files
        await asyncio.sleep(poll)


def _complete(item: tuple[str, bytes]) -> bool:
    path, data = item
    if not data:
        return False
    try:
        if path.endswith(".json"):
            json.loads(data)
        elif path.endswith(GZIPPED):
            gzip.decompress(data)
    except (ValueError, EOFError, OSError):
        return False
    return True
