"""``thread serve``: serves on 127.0.0.1, rebuilds on an edit — only the edited page and the
pages that list it — and tells the browser to reload."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import copy_site


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(site: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """``thread serve`` on ``site`` at a free port: its base URL and process, stopped after.
    The process's output (stdout and stderr) stays readable once the block has ended."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--root", str(site),
                               "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        yield f"http://127.0.0.1:{port}/", server
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_for(url: str, deadline: float) -> str:
    while time.monotonic() < deadline:
        try:
            return urllib.request.urlopen(url, timeout=2).read().decode()
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    """Output path → (inode, mtime): a file replaced by the build gets a new inode. A build
    writing meanwhile may delete a file between listing and stat (an old index file): then
    the folder is looked at again."""
    while True:
        try:
            return {p.relative_to(folder).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
                    for p in folder.rglob("*") if p.is_file()}
        except FileNotFoundError:
            time.sleep(0.01)


def test_serve_rebuilds_on_edit_and_signals_reload(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    with serving(site) as (base, _server):
        deadline = time.monotonic() + 30
        page = wait_for(base + "demo/first/", deadline)
        assert 'new EventSource("/__livereload")' in page
        events = urllib.request.urlopen(base + "__livereload", timeout=20)
        time.sleep(0.5)  # the watcher is running once the first page was served
        before = stamps(site / "_site")
        article = site / "content/demo/first.md"
        article.write_text(article.read_text().replace("Text with a footnote.", "Edited text.")
                           .replace("title: First Article", "title: First Article, Edited"))
        line = b""
        while b"reload" not in line:
            line = events.readline()
        assert "Edited text." in wait_for(base + "demo/first/", deadline)
        after = stamps(site / "_site")
        changed = {path for path in after if before.get(path) != after[path]}
        # the page itself; the pages that list it (thread page, feeds) or link to it by title
        # (the next article's navigation); nothing else was rewritten
        assert {p for p in changed if not p.startswith("pagefind/")} == {
            "demo/first/index.html", "demo/first/citation.bib", "demo/index.html",
            "demo/feed.xml", "feed.xml", "demo/second/index.html"}
        assert {p for p in before if not p.startswith("pagefind/")} == {
            p for p in after if not p.startswith("pagefind/")}
    # the deployable build has no live-reload script
    result = subprocess.run([sys.executable, "-m", "generator", "build", "--root", str(site)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "__livereload" not in (site / "_site/demo/first/index.html").read_text()
