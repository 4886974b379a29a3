"""`thread serve` shows a failed rebuild in the browser too: an overlay listing its
`path:line: message` errors over the last good build, gone after the next good build; and a
port that is taken is a one-line error, not a traceback (issue 13)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import REPO, copy_site
from test_safety_errors import FAILED, FIRST, Server, edit
from test_serve import wait_for

OVERLAY = 'id="thread-build-failed"'
LONG = "a-directive-with-a-name-long-enough-that-its-error-line-passes-eighty-columns"


def next_event(events) -> None:
    line = b""
    while b"reload" not in line:
        line = events.readline()


def page(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_a_failed_rebuild_shows_the_errors_over_the_page_until_the_fix(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    server = Server(site)
    try:
        deadline = time.monotonic() + 60
        assert OVERLAY not in wait_for(server.base + "demo/first/", deadline)
        events = urllib.request.urlopen(server.base + "__livereload", timeout=30)
        time.sleep(0.5)  # the watcher runs once the first page was served
        edit(site, FIRST, "Text with a footnote.", f"Text with a footnote.\n\n```{{{LONG}}}\n```")
        next_event(events)  # a failed build signals the browser too
        error = f"{FIRST}:12: unknown directive '{LONG}' (known directives: admonition, aside,"
        status, html = page(server.base + "demo/first/")
        assert status == 200 and OVERLAY in html and "The last build failed" in html
        overlay = html[html.index(OVERLAY):]
        assert error in overlay
        assert "Text with a footnote." in html[:html.index(OVERLAY)]  # the last good page
        assert html.index(OVERLAY) < html.rindex("</body>")
        assert 'new EventSource("/__livereload")' in html
        missing_status, missing = page(server.base + "demo/not-yet/")  # no page: the overlay
        assert missing_status == 404 and error in missing and "__livereload" in missing
        assert any(line.startswith(error) for line in server.lines)  # one line, never wrapped
        assert FAILED in server.output
        assert OVERLAY not in page(server.base + "static/cards.js")[1]  # pages only
        edit(site, FIRST, f"```{{{LONG}}}\n```", "Fixed.")
        next_event(events)
        status, html = page(server.base + "demo/first/")
        assert status == 200 and OVERLAY not in html and "Fixed." in html
    finally:
        server.stop()


def test_a_first_build_that_fails_is_served_with_the_overlay(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    edit(site, FIRST, "Text with a footnote.", "Text with {nope}`x`.")
    server = Server(site)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, html = page(server.base + "demo/first/")
                break
            except OSError:  # not listening yet
                assert time.monotonic() < deadline, server.output
                time.sleep(0.2)
        assert status == 404 and OVERLAY in html  # no good build yet: the overlay alone
        assert f"{FIRST}:10: unknown role 'nope'" in html
    finally:
        server.stop()


def test_a_busy_port_is_one_line_that_suggests_another(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "generator", "serve", "--root", str(site),
                                 "--port", str(port)], capture_output=True, text=True, cwd=REPO,
                                timeout=60, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0] == (
        f"--port: port {port} on 127.0.0.1 is already in use (stop the other server, or choose "
        f"another port: thread serve --port {port + 1})")
    assert not (site / "_site").exists()  # nothing was built for a server that cannot start
