"""The build cache (issue 8): an incremental build equals a clean build byte for byte, and it
writes exactly the files whose bytes change — for edits to an article, a template, the config,
a BibTeX file, an embedded image, and for added and deleted articles."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, thread_cli

from generator import build as pipeline

DEMO_PARTS = ("site.toml", "content", "figures", "theme")
THREAD = "content/planted"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the demo site (its figure store is committed fresh: no torch runs)."""
    site = tmp_path / "site"
    for part in DEMO_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, site / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            site.mkdir(exist_ok=True)
            shutil.copy(source, site / part)
    pipeline.run(site, use_cache=True)
    return site


def incremental(site: Path, edit: Callable[[Path], None]) -> set[str]:
    """Apply ``edit``, rebuild with the cache, compare with a clean build of the edited site;
    return the written paths, checked to be exactly the outputs whose bytes changed."""
    return rebuild(site, edit)[0]


def rebuild(site: Path, edit: Callable[[Path], None]) -> tuple[set[str], pipeline.Build]:
    before = snapshot(site / "_site")
    edit(site)
    result = pipeline.run(site, use_cache=True)
    after = snapshot(site / "_site")
    clean = pipeline.run(site, out=site.parent / "clean")
    assert after == snapshot(clean.out_dir), "the incremental build differs from a clean build"
    changed = {path for path, data in after.items() if before.get(path) != data}
    assert set(result.written) == changed
    assert len(result.written) == len(set(result.written))
    return changed, result


def pages(paths: set[str]) -> set[str]:
    """The HTML, feed and BibTeX outputs among ``paths`` (not search-index or asset files)."""
    return {p for p in paths if not p.startswith(("pagefind/", "assets/"))}


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def articles(site: Path) -> list[str]:
    """The demo thread's entry URLs in thread order (from the built thread page)."""
    html = (site / "_site" / "planted" / "index.html").read_text()
    return list(dict.fromkeys(re.findall(r'href="([a-z-]+)/"', html)))


def test_a_rebuild_without_changes_writes_nothing(demo: Path) -> None:
    assert incremental(demo, lambda site: None) == set()
    result = pipeline.run(demo, use_cache=True)
    assert len(result.reused) == len(result.content.documents()) - len(result.content.threads)


def test_editing_an_article_body_rewrites_only_its_page(demo: Path) -> None:
    def edit(site: Path) -> None:
        replace(site / THREAD / "curves-from-edges.md", "## ", "A new first paragraph.\n\n## ")

    changed = incremental(demo, edit)
    assert pages(changed) == {"planted/curves-from-edges/index.html"}
    assert any(p.startswith("pagefind/") for p in changed), "the new text is indexed"


def test_editing_an_article_title_rewrites_its_listings_and_neighbours(demo: Path) -> None:
    order = articles(demo)
    middle = order.index("curves-from-edges")

    def edit(site: Path) -> None:
        replace(site / THREAD / "curves-from-edges.md", "title: Curve", "title: Renamed Curve")

    changed = pages(incremental(demo, edit))
    neighbours = {f"planted/{order[middle - 1]}/index.html", f"planted/{order[middle + 1]}/index.html"}
    assert changed == {"planted/curves-from-edges/index.html", "planted/index.html",
                       "planted/feed.xml", "feed.xml", "planted/curves-from-edges/citation.bib",
                       *neighbours} | {p for p in changed if p.startswith("units/")}
    assert all("curves-from-edges" in (demo / "_site" / p).read_text() or p.endswith(".bib")
               for p in changed if p.startswith("units/")), "unit pages changed only as backlinks"


def test_editing_a_template_rewrites_exactly_the_pages_that_use_it(demo: Path) -> None:
    def edit(site: Path) -> None:
        replace(site / "theme/templates/partials/thread-nav.html", "This {{", "Part of the thread. This {{")

    changed = pages(incremental(demo, edit))
    entries = {f"planted/{name}/index.html" for name in articles(demo)}
    assert changed == entries  # articles and comments; not the thread, unit or standalone pages


def test_editing_the_config_rewrites_every_page(demo: Path) -> None:
    def edit(site: Path) -> None:
        replace(site / "site.toml", 'title = "', 'title = "The ')

    changed = incremental(demo, edit)
    html = {p for p in snapshot(demo / "_site") if p.endswith(".html") and not p.startswith("pagefind/")}
    assert html <= changed


def test_editing_a_bibtex_entry_rewrites_the_pages_that_cite_it(demo: Path) -> None:
    def edit(site: Path) -> None:
        replace(site / THREAD / "refs.bib", "Curve Detectors", "Curve Detectors, Revisited")

    changed = pages(incremental(demo, edit))
    citing = {f"planted/{p.stem}/index.html" for p in (demo / THREAD).glob("*.md")
              if "@cammarata2020curve" in p.read_text() and p.name != "thread.md"}
    assert citing and changed == citing


def test_changing_an_embedded_image_rewrites_its_page_and_moves_the_asset(demo: Path) -> None:
    image = next(p for p in sorted((demo / THREAD / "images").iterdir()) if p.suffix == ".png")
    users = {f"planted/{p.stem}/index.html" for p in (demo / THREAD).glob("*.md")
             if image.name in p.read_text()}

    def edit(site: Path) -> None:
        from PIL import Image

        with Image.open(image) as picture:
            picture.rotate(180).save(image)

    changed = incremental(demo, edit)
    assert users and pages(changed) - {"planted/index.html"} == users
    assert any(p.startswith("assets/") for p in changed)  # the thread page shows it as a teaser


def test_adding_and_deleting_an_article(demo: Path) -> None:
    text = (demo / THREAD / "limits-of-planting.md").read_text()

    def add(site: Path) -> None:
        (site / THREAD / "zz-late-note.md").write_text(
            text.replace('title: "', 'title: "A late note: ', 1).replace("2026-05-20", "2031-01-01"))

    added = pages(incremental(demo, add))
    assert "planted/zz-late-note/index.html" in added and "planted/index.html" in added

    def delete(site: Path) -> None:
        (site / THREAD / "zz-late-note.md").unlink()

    incremental(demo, delete)
    assert not (demo / "_site/planted/zz-late-note").exists()


def test_a_failed_build_keeps_site_and_cache(demo: Path) -> None:
    before = snapshot(demo / "_site")
    replace(demo / THREAD / "curves-from-edges.md", "[@cammarata2020curve", "[@nosuchkey")
    result = thread_cli("build", "--root", demo)
    assert result.exit_code == 1 and "nosuchkey" in result.output
    assert snapshot(demo / "_site") == before
    replace(demo / THREAD / "curves-from-edges.md", "[@nosuchkey", "[@cammarata2020curve")
    assert incremental(demo, lambda site: None) == set()


def test_no_cache_flag_and_a_damaged_output_folder_rebuild(demo: Path) -> None:
    page = demo / "_site/planted/curves-from-edges/index.html"
    page.write_text("damaged")
    result = pipeline.run(demo, use_cache=True)
    assert "planted/curves-from-edges/index.html" in result.written
    assert page.read_text().startswith("<!doctype html>")
    (demo / ".thread-cache/build.pickle").write_bytes(b"not a pickle")
    assert thread_cli("build", "--root", demo).exit_code == 0
    assert thread_cli("build", "--root", demo, "--no-cache").exit_code == 0


UNITS = """---
title: {title}
authors:
  - name: Ada Lovelace
published: {date}
---

Unit {{unit}}`tiny/conv1:0` and unit {{unit}}`tiny/conv1:{index}`.
"""


@pytest.mark.torch
def test_a_new_unit_reference_keeps_the_pages_showing_that_layers_icons(tmp_path: Path) -> None:
    """Icons of a layer come from fixed shards of it (issue 15): a new reference in one article
    changes no icon another article's cards show, so those pages are reused."""
    from conftest import SITES

    site = tmp_path / "site"
    shutil.copytree(SITES / "valid/figures", site)
    folder = site / "content/demo"
    (folder / "activations.md").unlink()  # its figures are not what this test is about
    (folder / "a.md").write_text(UNITS.format(title="A", date="2025-05-01", index=1))
    (folder / "b.md").write_text(UNITS.format(title="B", date="2025-05-02", index=1))
    (folder / "c.md").write_text(UNITS.format(title="C", date="2025-05-03", index=1)
                                 .replace("tiny/conv1", "tiny/conv2"))
    pipeline.run(site, use_cache=True)

    def edit(site: Path) -> None:
        (folder / "b.md").write_text(UNITS.format(title="B", date="2025-05-02", index=2))

    changed, result = rebuild(site, edit)
    reused = {doc.source.path.name for doc, _ in result.reused.values()}
    assert reused == {"a.md", "c.md"}  # same conv1 shard: a.md's cards show the same icons
    assert "demo/b/index.html" in changed and "demo/a/index.html" not in changed


def test_nothing_changed_is_found_without_loading_the_site(demo: Path) -> None:
    """The CLI's fast path: unchanged inputs and an intact output folder mean no build at all;
    any edited input or damaged output goes through the (content-hashed) build."""
    assert thread_cli("build", "--root", demo).exit_code == 0  # records the fingerprint
    assert "Nothing changed" in thread_cli("build", "--root", demo).output
    page = demo / "_site/planted/curves-from-edges/index.html"
    page.write_text("damaged")
    assert "Nothing changed" not in thread_cli("build", "--root", demo).output
    assert page.read_text().startswith("<!doctype html>")
    assert "Nothing changed" in thread_cli("build", "--root", demo).output
    replace(demo / "theme/templates/partials/byline.html", "<", "<!-- edited -->\n<")
    result = thread_cli("build", "--root", demo)
    assert "Nothing changed" not in result.output and "written" in result.output


def test_a_build_that_changes_the_site_root_leaves_no_fast_path(demo: Path) -> None:
    """A build that writes into the site root (the figures stage adding store entries) or
    runs beside an edit records no fingerprint: the next build looks at everything again.
    Otherwise deleting the new store entries afterwards would read as "nothing changed"."""
    from generator import cache

    def add_store_entry(build: pipeline.Build) -> None:  # what computing a figure does
        (demo / "figures/store/new-entry").mkdir()
        (demo / "figures/store/new-entry/manifest.json").write_text("{}")

    stages = list(pipeline.STAGES)
    stages.insert([name for name, _ in stages].index("figures") + 1, ("compute", add_store_entry))
    result = pipeline.run(demo, stages=stages, use_cache=True)
    assert not cache.up_to_date(demo, result.out_dir)
    shutil.rmtree(demo / "figures/store/new-entry")  # back to how the build found the root
    assert not cache.up_to_date(demo, result.out_dir)
    pipeline.run(demo, use_cache=True)
    assert cache.up_to_date(demo, result.out_dir)
