"""Search shards: pages are split into Pagefind indexes by a hash of their path, and an edit
re-indexes only the shard of the edited page (the others are kept from the last build).

Whether the merged shards find what one fresh index finds is checked in the browser, through
Pagefind's own JavaScript: tests/browser/test_search_shards.py."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from conftest import copy_site, thread_cli, tree_digest

from generator import search
from generator.cache import cache_path

WORDS = ("curve", "edge", "texture", "neuron", "circuit", "weight", "gabor", "filter",
         "branch", "colour", "contrast", "frequency", "boundary", "orientation", "polysemantic")
ARTICLES = 16
SHARD_PAGES = 3
"""Small shards, so the fixture's ~20 indexed pages make eight of them."""


def search_site(target: Path, articles: int = ARTICLES) -> Path:
    """The basic fixture site with search on and a thread of ``articles`` short articles, each
    with a few words of its own (deterministic)."""
    site = copy_site(target)
    config = site / "site.toml"
    config.write_text(config.read_text().replace("\n\n", "\nsearch = true\n\n", 1))
    thread = site / "content" / "many"
    thread.mkdir()
    (thread / "thread.md").write_text("---\ntitle: Many\ndescription: Many articles.\n"
                                      "published: 2025-03-01\n---\n\nA thread of many.\n")
    rng = random.Random(0)
    for n in range(articles):
        text = " ".join(rng.choice(WORDS) for _ in range(40))
        (thread / f"part-{n:02d}.md").write_text(
            f"---\ntitle: Part {n}\nauthors:\n  - name: Ada Lovelace\n"
            f"published: 2025-03-{n + 2:02d}\n---\n\nPart {n} is about {text}.\n")
    return site


def edit(site: Path, article: str = "part-05", words: str = "zebrafinch") -> Path:
    path = site / "content" / "many" / f"{article}.md"
    path.write_text(path.read_text() + f"\nA new paragraph on {words}.\n")
    return path


@pytest.fixture
def small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "SHARD_PAGES", SHARD_PAGES)


@pytest.fixture
def pagefind_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The shard folders of every Pagefind run (the real Pagefind runs)."""
    runs: list[list[str]] = []
    real = search.search_shards

    def recorded(shards, language, seconds):
        runs.append(list(shards))
        return real(shards, language, seconds)

    monkeypatch.setattr(search, "search_shards", recorded)
    return runs


def test_shard_of_a_page_is_stable_and_shards_are_balanced() -> None:
    paths = [f"posts/article-{n:05d}/index.html" for n in range(1000)]
    count = search.shard_count(len(paths))
    assert count == 16
    sizes = [0] * count
    for path in paths:
        sizes[search.shard_of(path, count)] += 1
    assert min(sizes) > 1000 / count / 2 and max(sizes) < 1000 / count * 2
    more = paths + [f"posts/new-{n}/index.html" for n in range(20)]
    assert search.shard_count(len(more)) == count  # new pages leave old ones where they were
    assert all(search.shard_of(path, count) == search.shard_of(path, count) for path in paths)
    # Doubling the count splits each shard in two: a page of shard k goes to k or k + count.
    assert {search.shard_of(p, 2 * count) - search.shard_of(p, count) for p in paths} == {0, count}


def test_shard_count_grows_in_powers_of_two_up_to_the_cap() -> None:
    assert search.shard_count(1) == 1
    assert search.shard_count(search.SHARD_PAGES) == 1
    assert search.shard_count(search.SHARD_PAGES + 1) == 2
    assert search.shard_count(10_000) == search.MAX_SHARDS


def test_only_marked_pages_are_indexed_when_any_page_is_marked() -> None:
    marked = b'<html><body><main data-pagefind-body="">text</main></body></html>'
    quoted = b"<html><body><p>the &lt;main data-pagefind-body&gt; attribute</p></body></html>"
    outputs = {"a/index.html": marked, "b/index.html": quoted, "feed.xml": b"<feed/>"}
    assert list(search.indexed_pages(outputs)) == ["a/index.html"]
    assert list(search.indexed_pages({"b/index.html": quoted})) == ["b/index.html"]


def test_a_fresh_build_writes_one_index_per_shard_and_lists_the_merged_ones(
        tmp_path: Path, small_shards: None) -> None:
    site = search_site(tmp_path / "site")
    assert thread_cli("build", "--root", site).exit_code == 0
    bundle = site / "_site" / "pagefind"
    merged = json.loads((bundle / "shards.json").read_text())["merge"]
    assert len(merged) >= 4 and all((bundle / folder / "pagefind-entry.json").is_file()
                                    for folder in merged)
    assert (bundle / "pagefind-entry.json").is_file() and (bundle / "pagefind.js").is_file()
    assert not any((bundle / folder / "pagefind.js").exists() for folder in merged)
    counts = [json.loads((folder / "pagefind-entry.json").read_text())["languages"]["en"]
              ["page_count"] for folder in [bundle, *(bundle / f for f in merged)]]
    marked = [p for p in (site / "_site").rglob("*.html")
              if search.MARKED.search(p.read_bytes())]
    assert sum(counts) == len(marked) == ARTICLES + 3  # every article once, in one shard
    recorded = json.loads(cache_path(site).read_text())["search_shards"]
    assert sorted(recorded) == sorted(["pagefind", *(f"pagefind/{f}"[:-1] for f in merged)])


def test_an_edit_reindexes_only_the_shard_of_the_edited_article(
        tmp_path: Path, small_shards: None, pagefind_runs: list[list[str]]) -> None:
    site = search_site(tmp_path / "site")
    assert thread_cli("build", "--root", site).exit_code == 0
    before = tree_digest(site / "_site" / "pagefind")
    edit(site)
    assert thread_cli("build", "--root", site).exit_code == 0
    after = tree_digest(site / "_site" / "pagefind")
    folder = next(f for f, pages in search.shard_folders(list_marked(site)).items()
                  if "many/part-05/index.html" in pages)
    assert pagefind_runs[-1] == [folder]  # one shard handed to Pagefind
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    assert changed and all(search.in_folder(f"pagefind/{path}", folder) for path in changed)


def test_no_change_keeps_every_shard_and_a_new_article_touches_few(
        tmp_path: Path, small_shards: None, pagefind_runs: list[list[str]]) -> None:
    site = search_site(tmp_path / "site")
    assert thread_cli("build", "--root", site).exit_code == 0
    assert len(pagefind_runs) == 1 and len(pagefind_runs[0]) > 1
    part = site / "content" / "many" / "part-00.md"
    part.write_text(part.read_text())  # same bytes, new mtime: the build runs, no page changes
    assert thread_cli("build", "--root", site).exit_code == 0
    assert len(pagefind_runs) == 1  # every shard kept
    (site / "content" / "many" / "part-99.md").write_text(
        "---\ntitle: Part 99\nauthors:\n  - name: Ada Lovelace\npublished: 2025-04-01\n"
        "---\n\nA late part on zebrafinch.\n")
    assert thread_cli("build", "--root", site).exit_code == 0
    assert len(pagefind_runs) == 2 and len(pagefind_runs[1]) <= 3


def test_a_deleted_shard_folder_is_rebuilt(tmp_path: Path, small_shards: None,
                                           pagefind_runs: list[list[str]]) -> None:
    site = search_site(tmp_path / "site")
    assert thread_cli("build", "--root", site).exit_code == 0
    before = tree_digest(site / "_site" / "pagefind")
    merged = json.loads((site / "_site" / "pagefind" / "shards.json").read_text())["merge"]
    shutil.rmtree(site / "_site" / "pagefind" / merged[0])
    assert thread_cli("build", "--root", site).exit_code == 0
    assert pagefind_runs[-1] == [f"pagefind/{merged[0]}"[:-1]]
    assert tree_digest(site / "_site" / "pagefind") == before


def list_marked(site: Path) -> list[str]:
    out = site / "_site"
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html")
                  if search.MARKED.search(p.read_bytes()))


def test_a_site_that_outgrows_its_shard_count_equals_a_fresh_build(
        tmp_path: Path, small_shards: None) -> None:
    site = search_site(tmp_path / "site")
    assert thread_cli("build", "--root", site).exit_code == 0
    before = json.loads((site / "_site/pagefind/shards.json").read_text())["merge"]
    for n in range(ARTICLES, ARTICLES + 8):  # 19 indexed pages → 27: twice the shards
        (site / "content" / "many" / f"part-{n:02d}.md").write_text(
            f"---\ntitle: Part {n}\nauthors:\n  - name: Ada Lovelace\n"
            f"published: 2025-04-{n - ARTICLES + 1:02d}\n---\n\nPart {n}.\n")
    assert thread_cli("build", "--root", site).exit_code == 0
    merged = json.loads((site / "_site/pagefind/shards.json").read_text())["merge"]
    assert len(merged) > len(before)
    folders = {p.name + "/" for p in (site / "_site/pagefind").glob("shard-*")}
    assert folders == set(merged)  # no folder of the old count is left behind
    fresh = tmp_path / "fresh"
    shutil.copytree(site, fresh, ignore=shutil.ignore_patterns("_site", ".thread-cache"))
    assert thread_cli("build", "--root", fresh).exit_code == 0
    assert tree_digest(site / "_site") == tree_digest(fresh / "_site")
