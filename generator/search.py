"""Full-text search: Pagefind indexes the rendered pages; its bundle joins the site's outputs.

Pagefind's binary ships inside the ``pagefind[bin]`` wheel, so nothing is downloaded. It reads
the part of each page marked ``data-pagefind-body`` (articles and comments; unit pages can opt in
the same way) and emits a static index plus its search UI under ``pagefind/``, which the search
box in the header loads from the site itself: no request leaves the site.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.cache import BuildCache
    from generator.write import Output

BUNDLE = "pagefind"
"""Output folder of the index and the search UI."""
NOT_INDEXED = [".thread-nav", ".d-appendix", ".d-byline h3", ".has-card", ".hover-card"]
"""Parts of an indexed page that are not its text: navigation, labels, citations, cards."""
PATIENCE = (60.0, 0.1)
"""Seconds Pagefind gets: a base plus a share per page (1,000 articles index in ~5 s). A Pagefind
that crashes leaves its wrapper waiting for an answer forever; this turns that into an error."""


GZIPPED = (".pagefind", ".pf_meta", ".pf_fragment", ".pf_index", ".pf_filter")
"""Pagefind's gzipped data files (a truncated one does not decompress)."""


class SearchFailed(Exception):
    """Pagefind did not produce the bundle (it crashed, hung, or reported an error)."""


def index_search(outputs: Output, language: str, cache: BuildCache, out_dir: Path) -> str:
    """Index every HTML page of ``outputs`` and add the bundle to them; returns the digest of
    the pages indexed (the cache records it).

    When ``cache`` holds an index made from exactly these pages, it is kept as it is."""
    from generator.cache import digest, text_digest

    old = cache.outputs
    pages = {path: value for path, value in outputs.items() if path.endswith(".html")}
    search_digest = text_digest(BUNDLE, language, *NOT_INDEXED, *(
        f"{path}:{old[path].digest if isinstance(value, Path) and path in old else digest(_html(value))}"
        for path, value in sorted(pages.items())))
    bundle = sorted(path for path in old if path.startswith(BUNDLE + "/"))
    if bundle and search_digest == cache.search and cache.kept(out_dir, bundle):
        outputs.update((path, out_dir / path) for path in bundle)
        return search_digest
    import asyncio  # here, not above: an edit with search off (or a kept index) never needs it

    pages = {path: _html(value) for path, value in pages.items()}
    # Pagefind's API is async; its own thread keeps it clear of any event loop of the caller.
    seconds = PATIENCE[0] + PATIENCE[1] * len(pages)
    with ThreadPoolExecutor(max_workers=1) as pool:
        bundle = pool.submit(asyncio.run, _bounded(search_bundle(pages, language), seconds,
                                                   len(pages))).result()
    outputs.update(bundle)
    return search_digest


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


async def search_bundle(pages: dict[str, bytes], language: str) -> dict[str, bytes]:
    """``{output path: bytes}`` of the Pagefind bundle for ``pages`` (output path → HTML).

    The pages go to a scratch folder that Pagefind indexes in one call: the wrapper answers each
    call after a 0.1 s poll, so one call per page would cost minutes on a large site.
    """
    from pagefind.index import IndexConfig
    from pagefind.service import PagefindService

    with tempfile.TemporaryDirectory(prefix="thread-search-") as scratch:
        site, bundle = Path(scratch) / "site", Path(scratch) / BUNDLE
        for path, html in pages.items():
            (site / path).parent.mkdir(parents=True, exist_ok=True)
            (site / path).write_bytes(html)
        config = IndexConfig(output_path=str(bundle), exclude_selectors=NOT_INDEXED,
                             force_language=language)
        async with PagefindService() as service:  # stops Pagefind's process on exit
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
        files = {f"{BUNDLE}/{file.relative_to(bundle).as_posix()}": file.read_bytes()
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
