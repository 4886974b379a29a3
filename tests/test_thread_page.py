"""The thread page as the Circuits thread page has it (issue 19): a teaser per article, og:image,
Updates and Corrections, Reuse, Scholar meta and JSON-LD, prose under Articles & Comments;
comments linked to the article they answer; unit pages and model indexes in the sitemap."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import SITES, built_copy, copy_demo, copy_site, thread_cli


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return built_copy(SITES / "valid" / "cross-refs", tmp_path_factory.mktemp("t") / "site") / "_site"


def entries(html: str) -> dict[str, str]:
    """Each article's entry in the thread list, by title."""
    items = re.findall(r'<li class="thread-entry.*?</li>', html, re.DOTALL)
    return {re.search(r"<h3><a [^>]+>([^<]+)</a>", item).group(1): item for item in items}


def test_each_article_has_its_teaser_or_its_first_figure(built: Path) -> None:
    listing = entries((built / "main/index.html").read_text())
    teasers = {title: re.search(r'<div class="entry-teaser"><img src="([^"]+)"', item)
               for title, item in listing.items()}
    assert teasers["A Comment"] is None  # no teaser, no figure: no picture
    for title in ("Target Article", "Citing Article"):  # its first figure; its teaser:
        src = teasers[title].group(1)
        assert (built / "main" / src).resolve().read_bytes()[:4] == b"\x89PNG"
        assert 'alt=""' in listing[title] and 'width="' in listing[title]


def test_og_image_is_an_absolute_url_on_articles_and_threads(built: Path) -> None:
    og = r'<meta property="og:image" content="(https://example\.org/xref/assets/[0-9a-f]+\.png)">'
    for page in ("main/index.html", "main/target/index.html", "main/citing/index.html"):
        html = (built / page).read_text()
        url = re.search(og, html).group(1)
        assert (built / url.removeprefix("https://example.org/xref/")).is_file()
        assert '<meta name="twitter:card" content="summary_large_image">' in html
    for page in ("main/reply/index.html", "other/index.html"):
        assert "og:image" not in (built / page).read_text()


def test_thread_page_has_updates_reuse_scholar_meta_and_json_ld(built: Path) -> None:
    html = (built / "main/index.html").read_text()
    assert '<section id="updates">' in html and "Updates and Corrections" in html
    assert 'href="https://github.com/example/xref/commits/main/content/main"' in html
    assert '<section id="reuse">' in html and "Diagrams and text are licensed under" in html
    meta = dict(re.findall(r'<meta name="(citation_(?:title|journal_title|fulltext_html_url))" '
                           r'content="([^"]+)"', html))
    assert meta == {"citation_title": "Thread: Main",
                    "citation_journal_title": "Cross-reference Fixture",
                    "citation_fulltext_html_url": "https://example.org/xref/main/"}
    authors = re.findall(r'<meta name="citation_author" content="([^"]+)"', html)
    assert authors == ["Babbage, Charles", "Lovelace, Ada", "Noether, Emmy", "Somerville, Mary"]
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html,
                                re.DOTALL).group(1))
    assert data["@type"] == "CreativeWorkSeries" and data["name"] == "Thread: Main"
    assert [part["url"] for part in data["hasPart"]] == [
        "https://example.org/xref/main/target/", "https://example.org/xref/main/citing/",
        "https://example.org/xref/main/reply/"]


def test_prose_under_articles_and_comments_goes_before_the_list(built: Path) -> None:
    html = (built / "main/index.html").read_text()
    heading = html.index('<h2 id="articles-and-comments">Articles &amp; Comments</h2>')
    prose = html.index("Read the target first; the comment disagrees with it.")
    assert heading < prose < html.index('<ol class="thread-list">') < html.index("Get involved")
    assert "presented below in chronological order" not in html
    assert html.count("Articles &amp; Comments</h2>") == 1
    other = (built / "other/index.html").read_text()
    assert "Articles and comments are presented below in chronological order:" in other


def test_a_comment_names_what_it_answers_and_the_article_lists_it(built: Path) -> None:
    reply = (built / "main/reply/index.html").read_text()
    assert re.search(r'<p class="responds-to">A comment on <a href="\.\./target/">Target '
                     r"Article</a> by Ada Lovelace, Charles Babbage\.</p>", reply)
    target = (built / "main/target/index.html").read_text()
    listed = target[target.index('<div class="responses">'):]
    assert "Comments on this article" in listed
    assert re.search(r'<li><a href="\.\./reply/">A Comment</a> — Emmy Noether, <time '
                     r'datetime="2025-03-01">', listed)
    assert '<div class="responses">' not in (built / "main/citing/index.html").read_text()
    assert "A comment on <a" in entries((built / "main/index.html").read_text())["A Comment"]


@pytest.mark.parametrize(("file", "old", "new", "expected"), [
    ("reply.md", "responds_to: target", "responds_to: targte",
     "content/main/reply.md:7: responds_to: unknown article 'targte' (did you mean 'target'?)"),
    ("citing.md", "teaser: pic.png", "teaser: missing.png",
     "content/main/citing.md:7: teaser image not found: missing.png"),
])
def test_a_wrong_slug_or_teaser_is_an_error_at_its_front_matter_line(
        tmp_path: Path, file: str, old: str, new: str, expected: str) -> None:
    site = copy_site(tmp_path / "site", base="cross-refs")
    path = site / "content/main" / file
    path.write_text(path.read_text().replace(old, new))
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 1 and expected in result.output, result.output


def test_sitemap_lists_unit_pages_and_model_indexes(tmp_path: Path) -> None:
    site = copy_demo(tmp_path / "demo")
    result = thread_cli("build", "--root", site, "--frozen")
    assert result.exit_code == 0, result.output
    out = site / "_site"
    locs = re.findall(r"<loc>https://example\.github\.io/circuits-workshop/([^<]*)</loc>",
                      (out / "sitemap.xml").read_text())
    unit_pages = sorted(p.parent.relative_to(out).as_posix() + "/"
                        for p in out.glob("units/*/*/*/index.html"))
    models = sorted(p.parent.relative_to(out).as_posix() + "/"
                    for p in out.glob("units/*/index.html"))
    assert unit_pages and models == ["units/planted/"]
    assert sorted(loc for loc in locs if loc.startswith("units/")) == sorted(models + unit_pages)
    assert len(locs) == len(set(locs))
