"""``thread serve``: build, serve ``_site/`` on 127.0.0.1, rebuild on edits, reload the browser.

Watching uses watchfiles; the browser learns about a new build through a server-sent event
stream at ``/__livereload`` that the pages subscribe to only in serve mode.
"""

from __future__ import annotations

import functools
import os
import threading
import traceback
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from watchfiles import watch

from generator import build as pipeline
from generator.config import load_config
from generator.errors import BuildFailed

WATCHED = ("content", "theme", "figures", "site.toml")


class BuildState:
    """The generation number of the last good build; waiters wake when it changes."""

    def __init__(self) -> None:
        self.generation = 0
        self.changed = threading.Condition()

    def bump(self) -> None:
        with self.changed:
            self.generation += 1
            self.changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.generation != seen, timeout=timeout)
            return self.generation


class Handler(SimpleHTTPRequestHandler):
    state: BuildState

    def do_GET(self) -> None:
        if self.path.startswith("/__livereload"):
            self._events()
        else:
            super().do_GET()

    def send_head(self):
        """Files inside the output folder only: a link in it that leads elsewhere is not found."""
        path = self.translate_path(self.path)
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        root = os.path.realpath(self.directory)
        if os.path.commonpath([root, os.path.realpath(path)]) != root:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        return super().send_head()

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


def rebuild(root: Path, out: Path, console, bugs: set[str]) -> bool:
    """One incremental build (the build cache re-renders and re-writes only what changed).

    Whatever goes wrong, the server outlives it and keeps the last good build: user errors
    are listed, and an unexpected exception is a bug, reported once (see :func:`report_bug`).
    """
    try:
        result = pipeline.run(root, out=out, live_reload=True, use_cache=True)
    except BuildFailed as failure:
        for error in failure.errors:
            console.print(str(error), markup=False)
    except Exception as exc:  # noqa: BLE001 (a bug must not stop the preview)
        report_bug(exc, console, bugs)
    else:
        pages = [p for p in result.written if not p.startswith(("pagefind/", "assets/"))]
        shown = ", ".join(pages[:10]) + (f" and {len(pages) - 10} more" if len(pages) > 10 else "")
        console.print(f"Built in {sum(result.timings.values()):.2f} s: {len(result.written)} "
                      f"files written{': ' if pages else ''}{shown}", markup=False)
        return True
    console.print("[red]Build failed; still serving the last good build.[/red]")
    return False


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
    rebuild(root, config_out, console, bugs)  # if it fails, the last build's files are served
    state = BuildState()
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", port),
                                 functools.partial(handler, directory=str(config_out)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    console.print(f"Serving {config_out} on http://127.0.0.1:{server.server_address[1]}/ "
                  "(Ctrl-C to stop)")
    paths = [root / name for name in WATCHED if (root / name).exists()]
    try:
        for _changes in watch(*paths, debounce=200):
            if rebuild(root, config_out, console, bugs):
                state.bump()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
