"""``thread serve``: build, serve ``_site/`` on 127.0.0.1, rebuild on edits, reload the browser.

Watching uses watchfiles; the browser learns about a new build through a server-sent event
stream at ``/__livereload`` that the pages subscribe to only in serve mode.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from watchfiles import watch

from generator import build as pipeline
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


def rebuild(root: Path, out: Path, console) -> bool:
    """One incremental build (the build cache re-renders and re-writes only what changed)."""
    try:
        result = pipeline.run(root, out=out, live_reload=True, use_cache=True)
    except BuildFailed as failure:
        for error in failure.errors:
            console.print(str(error), markup=False)
        console.print("[red]Build failed; still serving the last good build.[/red]")
        return False
    pages = [p for p in result.written if not p.startswith(("pagefind/", "assets/"))]
    console.print(f"Rebuilt in {sum(result.timings.values()):.2f} s: {len(result.written)} "
                  f"files written{': ' if pages else ''}{', '.join(pages)}", markup=False)
    return True


def serve(root: Path, port: int, console) -> None:
    config_out = pipeline.run(root, stages=pipeline.STAGES[:1]).out_dir
    pipeline.run(root, out=config_out, live_reload=True, use_cache=True)
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
            if rebuild(root, config_out, console):
                state.bump()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
