"""The demo site and the fixture site build completely, deterministically and self-hosted."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from conftest import REPO, copy_site, thread_cli, tree_digest


def build(root: Path, out: Path) -> Path:
    result = thread_cli("build", "--root", root, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_demo_site_has_every_page_kind(tmp_path: Path) -> None:
    out = build(REPO, tmp_path / "out")
    assert (out / "index.html").is_file()
    assert (out / "404.html").is_file()
    threads = [p.parent for p in out.glob("*/feed.xml")]
    assert threads, "a thread index with its feed"
    thread = threads[0]
    pages = [p for p in thread.glob("*/index.html")]
    kinds = [re.search(r'class="page-article kind-(\w+)"', p.read_text()).group(1) for p in pages]
    assert kinds.count("article") >= 2 and kinds.count("comment") >= 1
    for name in ("feed.xml", "sitemap.xml", "robots.txt"):
        assert (out / name).is_file()


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = tree_digest(build(REPO, tmp_path / "a"))
    second = tree_digest(build(REPO, tmp_path / "b"))
    assert first == second


class AssetRefs(HTMLParser):
    """Collects every URL the browser would fetch by itself: scripts, styles, images, icons."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "video", "audio") and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("rel") in ("stylesheet", "icon", "preload", "modulepreload"):
            self.urls.append(attrs["href"])


def test_pages_make_no_third_party_requests(tmp_path: Path) -> None:
    out = build(REPO, tmp_path / "out")
    for page in out.rglob("*.html"):
        parser = AssetRefs()
        parser.feed(page.read_text())
        assert parser.urls, page
        for url in parser.urls:
            assert not re.match(r"(https?:)?//", url), f"{page}: {url}"
            if page.name != "404.html":
                assert (page.parent / url).resolve().is_file(), f"{page}: {url} is missing"
    for css in out.rglob("*.css"):
        assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", css.read_text()), css


def test_links_between_pages_resolve(tmp_path: Path) -> None:
    out = build(REPO, tmp_path / "out")
    for page in out.rglob("index.html"):
        for href in re.findall(r'href="([^"#]+)', page.read_text()):
            if re.match(r"[a-z]+:", href):
                continue
            target = (page.parent / href).resolve()
            assert target.is_file() or (target / "index.html").is_file(), f"{page}: {href}"


def test_thread_navigation_follows_dates(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    out = build(site, tmp_path / "out")
    first = (out / "demo/first/index.html").read_text()
    second = (out / "demo/second/index.html").read_text()
    reply = (out / "demo/reply/index.html").read_text()
    assert 'rel="next" href="../second/"' in first and 'rel="prev"' not in first
    assert 'rel="prev" href="../first/"' in second and 'rel="next" href="../reply/"' in second
    assert 'rel="prev" href="../second/"' in reply and 'rel="next"' not in reply
    # moving the first article after the others reorders the thread without any other edit
    path = site / "content/demo/first.md"
    path.write_text(path.read_text().replace("published: 2025-01-02", "published: 2025-06-01"))
    out = build(site, tmp_path / "out2")
    assert 'rel="prev" href="../reply/"' in (out / "demo/first/index.html").read_text()
    thread = (out / "demo/index.html").read_text()
    assert thread.index("Second Article") < thread.index("A Comment") < thread.index("First Article")


def test_thread_page_lists_entries_with_authors_and_affiliations(tmp_path: Path) -> None:
    out = build(copy_site(tmp_path / "site"), tmp_path / "out")
    html = (out / "demo/index.html").read_text()
    assert "Introduction of the thread." in html
    assert html.index("Introduction") < html.index("Articles &amp; Comments") < html.index("Get involved")
    assert "This is a living document" in html
    assert "Ada Lovelace" in html and "The Lab" in html


def test_standalone_page_and_feeds(tmp_path: Path) -> None:
    out = build(copy_site(tmp_path / "site"), tmp_path / "out")
    assert "A standalone page." in (out / "notes/index.html").read_text()
    feed = (out / "demo/feed.xml").read_text()
    assert feed.count("<entry>") == 3
    assert "<id>https://example.org/fixture/demo/first/</id>" in feed
    assert "<updated>2025-03-01T00:00:00Z</updated>" in feed
    sitemap = (out / "sitemap.xml").read_text()
    assert "https://example.org/fixture/notes/" in sitemap
    assert "Sitemap: https://example.org/fixture/sitemap.xml" in (out / "robots.txt").read_text()


def test_article_metadata_tags(tmp_path: Path) -> None:
    out = build(copy_site(tmp_path / "site"), tmp_path / "out")
    html = (out / "demo/first/index.html").read_text()
    assert '<link rel="canonical" href="https://example.org/fixture/demo/first/">' in html
    assert '<meta property="og:title" content="First Article — Fixture Site">' in html
    assert '<meta property="og:type" content="article">' in html
    assert "No DOI yet." in html
    not_found = (out / "404.html").read_text()
    assert 'href="/fixture/static/style.css"' in not_found


def test_body_text_needs_no_javascript(tmp_path: Path) -> None:
    out = build(copy_site(tmp_path / "site"), tmp_path / "out")
    html = (out / "demo/first/index.html").read_text()
    body = html[html.index('<div class="d-body'):]
    assert "Text with a footnote." in body and "<script" not in body.split("</main>")[0]


def test_demo_builds_from_the_committed_store_without_torch(tmp_path: Path) -> None:
    """The demo's figures are frozen in figures/store: a deploy needs neither torch nor a GPU."""
    import subprocess
    import sys

    script = ("import sys; from pathlib import Path; from generator import build, plan; "
              f"build.run(Path({str(REPO)!r}), out=Path({str(tmp_path / 'out')!r}), "
              "figure_run=plan.FigureRun(frozen=True)); "
              "print(sorted(m for m in ('torch', 'torchvision', 'lucent') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=False, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    html = (tmp_path / "out/planted/curves-from-edges/index.html").read_text()
    assert html.count(' builder-figure"') == 5 and html.count("Reproduce this figure") == 5
    assert "Dataset examples of the eight planted curve units" in html  # torch-free, from the store


def test_search_can_be_turned_off(site: Path) -> None:
    config = site / "site.toml"
    config.write_text("search = false\n" + config.read_text())  # a top-level key: first
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    assert not (site / "_site/pagefind").exists()
    html = (site / "_site/demo/first/index.html").read_text()
    assert "pagefind/" not in html and 'id="search"' not in html
