"""``thread serve``: build, serve ``_site/`` on 127.0.0.1, rebuild on edits, reload the browser.

Watching uses watchfiles; the browser learns about a new build through a server-sent event
stream at ``/__livereload`` that the pages subscribe to only in serve mode. While the last
build failed, every page is served with an overlay listing its ``path:line: message`` errors
over the last good build (a page that does not exist yet is the overlay alone), as Hugo and
Vite do; the failed build sends the reload event too, so an open page shows it, and the next
good build removes it the same way.
"""

from __future__ import annotations

import errno
import functools
import html
import io
import os
import posixpath
import threading
import traceback
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from watchfiles import watch

from generator import build as pipeline
from generator.config import load_config
from generator.errors import BuildFailed, SiteError

WATCHED = ("content", "theme", "figures", "site.toml")
SETTLE_MS = 10
"""How long the watcher waits for more changes before building (watchfiles' ``step``, 50 ms by
default): an editor's save (a write, or a temporary file renamed) lands within it, and changes
that keep coming are grouped for up to 200 ms (``debounce``)."""
RELOAD_SCRIPT = ('<script>new EventSource("/__livereload").onmessage = () => location.reload();'
                 "</script>")
OVERLAY = """<div id="thread-build-failed" role="alert" style="position: fixed; inset: 0; \
z-index: 2147483647; overflow: auto; padding: 2rem; background: rgba(255, 255, 255, 0.97); \
color: #1a1a1a; font: 16px/1.5 system-ui, sans-serif">
<h1 style="margin: 0 0 0.5rem; color: #b00020; font-size: 1.4rem">The last build failed</h1>
<p>Fix the problems below and save: the page reloads after the next build. Until then the \
server keeps the last good build, behind this panel. \
<button type="button" onclick="this.closest('div').remove()">Show it</button></p>
<pre style="padding: 1rem; border-left: 4px solid #b00020; background: #fff3f3; \
white-space: pre-wrap; overflow-wrap: anywhere">{errors}</pre>
</div>
"""
ALONE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Build failed</title></head>
<body>
{overlay}{script}
</body>
</html>
"""


class BuildState:
    """The generation number of the last build and, while it failed, its error lines; waiters
    wake when a build finishes."""

    def __init__(self) -> None:
        self.generation = 0
        self.errors: list[str] = []
        self.changed = threading.Condition()

    def bump(self, errors: list[str] | None = None) -> None:
        with self.changed:
            self.errors = list(errors or [])
            self.generation += 1
            self.changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.generation != seen, timeout=timeout)
            return self.generation


class Handler(SimpleHTTPRequestHandler):
    state: BuildState

    def do_GET(self) -> None:
        try:
            if self.path.startswith("/__livereload"):
                self._events()
            else:
                super().do_GET()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser left (a reload, a cancelled image): nothing to tell anyone

    def send_head(self):
        """Files inside the output folder only: a link in it that leads elsewhere is not found.
        While the last build failed, pages come with the error overlay."""
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        root = os.path.realpath(self.directory)
        if os.path.commonpath([root, os.path.realpath(path)]) != root:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        errors = self.state.errors
        if errors and posixpath.splitext(urlsplit(self.path).path)[1] in ("", ".html"):
            return self._with_overlay(path, errors)
        return super().send_head()

    def _with_overlay(self, path: str, errors: list[str]):
        """The page (or, if there is none, a page of its own) with the failed build's errors;
        never cached, so the next good build's reload shows the page again."""
        overlay = OVERLAY.format(errors=html.escape("\n".join(errors), quote=False))
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                page, status = handle.read(), HTTPStatus.OK
        except OSError:
            page, status = ALONE.format(overlay="", script=RELOAD_SCRIPT), HTTPStatus.NOT_FOUND
        end = page.lower().rfind("</body>")
        body = (page[:end] + overlay + page[end:] if end >= 0 else page + overlay).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        return io.BytesIO(body)

    def list_directory(self, path):
        """No listings: a folder without index.html is not found, as on the static host."""
        self.send_error(HTTPStatus.NOT_FOUND, "File not found")

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = self.state.generation
        try:
            while True:
                now = self.state.wait(seen, timeout=15)
                message = b"data: reload\n\n" if now != seen else b": keep-alive\n\n"
                self.wfile.write(message)
                self.wfile.flush()
                seen = now
        except (BrokenPipeError, ConnectionResetError):
            return

    def log_message(self, format: str, *args) -> None:  # quiet: the console shows builds
        return


def rebuild(root: Path, out: Path, console, bugs: set[str],
            stages=pipeline.STAGES) -> tuple[list[str], bool]:
    """One incremental build (the build cache re-renders and re-writes only what changed);
    returns its error lines ([] when it succeeded) and whether the search index is yet to catch
    up with the pages (a successful ``PREVIEW_STAGES`` build of a site with search).

    Whatever goes wrong, the server outlives it and keeps the last good build: user errors
    are listed, and an unexpected exception is a bug, reported once (see :func:`report_bug`).
    """
    try:
        result = pipeline.run(root, out=out, live_reload=True, use_cache=True, stages=stages)
    except BuildFailed as failure:
        errors = [str(error) for error in failure.errors]
        for line in errors:
            console.print(line, markup=False, highlight=False, soft_wrap=True)
    except Exception as exc:  # noqa: BLE001 (a bug must not stop the preview)
        report_bug(exc, console, bugs)
        errors = ["Internal error while building (a bug in thread-generator; the terminal shows "
                  "the traceback): " + "".join(traceback.format_exception_only(exc)).strip()]
    else:
        for warning in result.warnings:
            console.print(str(warning), markup=False, highlight=False, soft_wrap=True)
        pages = [p for p in result.written if not p.startswith(("pagefind/", "assets/"))]
        shown = ", ".join(pages[:10]) + (f" and {len(pages) - 10} more" if len(pages) > 10 else "")
        console.print(f"Built in {sum(result.timings.values()):.2f} s: {len(result.written)} "
                      f"files written{': ' if pages else ''}{shown}", markup=False,
                      soft_wrap=True)
        return [], stages is pipeline.PREVIEW_STAGES and result.config.search
    console.print("[red]Build failed; still serving the last good build.[/red]")
    return errors, False


def report_bug(exc: Exception, console, bugs: set[str]) -> None:
    """The innermost frames of an internal error, the first time it happens; a line after."""
    summary = traceback.TracebackException.from_exception(exc, limit=-8)
    text = "".join(summary.format(chain=False)).rstrip()
    key = "".join(traceback.format_exception_only(exc)).strip()
    if key in bugs:
        console.print(f"Internal error again: {key}", markup=False)
        return
    bugs.add(key)
    console.print("[red]Internal error while building (a bug in thread-generator; please report "
                  "it with this traceback):[/red]")
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def serve(root: Path, port: int, console) -> None:
    config_out = root / load_config(root).output_dir
    bugs: set[str] = set()
    state = BuildState()
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = listen(port, functools.partial(handler, directory=str(config_out)))
    state.bump(rebuild(root, config_out, console, bugs)[0])  # failed: the last build, errors
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    console.print(f"Serving {config_out} on http://127.0.0.1:{server.server_address[1]}/ "
                  "(Ctrl-C to stop)", soft_wrap=True)
    paths = [root / name for name in WATCHED if (root / name).exists()]
    try:
        for _changes in watch(*paths, debounce=200, step=SETTLE_MS):
            # The edited page reloads first; then the search index catches up (Pagefind).
            errors, index_behind = rebuild(root, config_out, console, bugs,
                                           pipeline.PREVIEW_STAGES)
            state.bump(errors)
            if index_behind and (errors := rebuild(root, config_out, console, bugs)[0]):
                state.bump(errors)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()


def listen(port: int, handler) -> ThreadingHTTPServer:
    """The server bound to 127.0.0.1:``port``, before anything is built; a port that is taken
    (or not ours to take) is a user error, not a traceback."""
    try:
        return ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        problem = ("is already in use" if exc.errno == errno.EADDRINUSE
                   else f"cannot be used: {exc.strerror}")
        raise BuildFailed([SiteError("--port", None, f"port {port} on 127.0.0.1 {problem}",
                                     f"stop the other server, or choose another port: "
                                     f"thread serve --port {port + 1 if port < 65535 else 8001}")]
                          ) from None
