"""A sharded search index, updated by an edit, finds what a fresh index finds: queried through
Pagefind's own JavaScript in Chromium, with the shards merged as the search box merges them.

Against one index of the whole site, merged shards find the same pages or more: Pagefind
resolves each query word within each index, so in a shard where a word of a several-word query
does not occur, that word is left out (and a word no indexed word starts with falls back to the
longest indexed word it starts with)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import thread_cli
from test_search_shards import WORDS, edit, search_site

from generator import search

from .conftest import serve_folder
from .visit import Visit, open_page, record

pytestmark = pytest.mark.browser

BASE_PATH = "/fixture/"
"""The path of the fixture site's ``base_url``."""
QUERIES = (*WORDS, "zebrafinch", "second article", "lovelace", "curve detectors", "part")

# Pagefind's JavaScript API, as the search box uses it: the primary index, the shards of
# shards.json merged in; each query's result URLs, sorted.
SEARCH = """async ([bundle, baseUrl, queries]) => {
  const pagefind = await import(bundle + "pagefind.js");
  await pagefind.options({ baseUrl });
  const shards = await (await fetch(bundle + "shards.json")).json();
  for (const folder of shards.merge) await pagefind.mergeIndex(bundle + folder, { baseUrl });
  const found = {};
  for (const query of queries) {
    const search = await pagefind.search(query);
    const pages = await Promise.all(search.results.map((result) => result.data()));
    found[query] = pages.map((page) => page.url).sort();
  }
  return found;
}"""


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """``folder`` served on 127.0.0.1 under the fixture's base path; yields the site's URL."""
    with serve_folder(folder, BASE_PATH) as origin:
        yield origin + BASE_PATH


def found(browser, folder: Path) -> dict[str, list[str]]:
    with served(folder) as url:
        context, page = open_page(browser, url, 1280)
        try:
            page.goto(url)
            return page.evaluate(SEARCH, [url + "pagefind/", BASE_PATH, list(QUERIES)])
        finally:
            context.close()


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same edited site indexed three ways: incrementally (built, edited, rebuilt: one shard
    re-indexed), fresh in shards, and fresh in one index."""
    folder = tmp_path_factory.mktemp("shards")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search, "SHARD_PAGES", 3)
        site = search_site(folder / "incremental")
        assert thread_cli("build", "--root", site).exit_code == 0
        edit(site)
        fresh = folder / "fresh"
        shutil.copytree(site, fresh, ignore=shutil.ignore_patterns("_site", ".thread-cache"))
        assert thread_cli("build", "--root", site).exit_code == 0
        assert thread_cli("build", "--root", fresh).exit_code == 0
        whole = folder / "whole"
        shutil.copytree(fresh, whole, ignore=shutil.ignore_patterns("_site", ".thread-cache"))
        patch.setattr(search, "SHARD_PAGES", 1000)
        assert thread_cli("build", "--root", whole).exit_code == 0
    assert (site / "_site/pagefind/shards.json").read_text() != '{"merge":[]}'
    assert (whole / "_site/pagefind/shards.json").read_text() == '{"merge":[]}'
    return {name: path / "_site" for name, path in
            (("incremental", site), ("fresh", fresh), ("whole", whole))}


def test_an_updated_index_finds_the_pages_a_fresh_one_finds(browser, indexes) -> None:
    results = {name: found(browser, folder) for name, folder in indexes.items()}
    assert results["incremental"] == results["fresh"]
    assert results["fresh"]["zebrafinch"] == [BASE_PATH + "many/part-05/"]  # the edit is found
    assert len(results["fresh"]["part"]) == 16
    assert all(results["whole"][word] for word in WORDS)
    assert all(set(results["whole"][q]) <= set(results["fresh"][q]) for q in QUERIES)
    single = [q for q in QUERIES if " " not in q]
    same = [q for q in single if results["whole"][q] == results["fresh"][q]]
    assert len(same) >= len(single) - 2, {q: (results["whole"][q], results["fresh"][q])
                                          for q in single if q not in same}


def test_the_search_box_finds_pages_of_every_shard(browser, indexes) -> None:
    with served(indexes["incremental"]) as url:
        context, page = open_page(browser, url, 1280)
        seen = Visit(url, 1280)
        try:
            record(page, seen, url.removesuffix(BASE_PATH))
            page.goto(url)
            page.get_by_role("textbox", name="Search the articles").fill("part")
            page.get_by_text("16 results for part").wait_for(timeout=10_000)
            page.get_by_role("textbox", name="Search the articles").fill("zebrafinch")
            page.locator(".pagefind-ui__result-link", has_text="Part 5").wait_for(timeout=10_000)
        finally:
            context.close()
    assert seen.console_errors == [] and seen.failed_requests == []
    assert seen.foreign_requests == []
