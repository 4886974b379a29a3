"""Browser fixtures: one built demo site, one local HTTP server and one Chromium
for all the browser tests (package-scoped: closed when they are done, so no thread outlives them).

The site is the repository's own ``content/``, built once into a temporary folder and served on
127.0.0.1 under the path of ``base_url`` (as GitHub Pages serves it), with ``404.html`` for
missing paths. Chromium is Debian's ``/usr/bin/chromium``, driven by Playwright; it is installed
with apt-get when missing, so a fresh machine passes. Screenshots land in ``test-output/browser/``.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from generator import build as pipeline
from generator.units import unit_url

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
OUTPUT = REPO / "test-output" / "browser"
WIDTHS = (360, 1280)
PAGE_TYPES = ("home", "thread", "article", "comment", "page", "unit", "404")


def ensure_installed(program: Path, package: str) -> Path:
    """``program``, installed from Debian's ``package`` with apt-get (we run as root) if missing."""
    if program.exists():
        return program
    if shutil.which("apt-get") is None:
        pytest.fail(f"{program} is missing and apt-get is not available to install {package}")
    install = ["apt-get", "install", "-y", "--no-install-recommends", package]
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)
    return program


@dataclass(frozen=True)
class Site:
    """The built demo site: where it is, where it is served and which URL shows each page type."""

    folder: Path
    origin: str
    """``http://127.0.0.1:PORT``."""
    base_path: str
    """The path of ``base_url``, e.g. ``/circuits-workshop/``."""
    pages: dict[str, str]
    """Page type → site-relative URL of one page of that type."""
    articles: list[str]
    """Site-relative URLs of every article and comment (where figures are placed)."""

    def url(self, page: str) -> str:
        """The served URL of a page type (``"home"``) or of a site-relative URL."""
        return self.origin + self.base_path + self.pages.get(page, page)


def page_types(build: pipeline.Build) -> dict[str, str]:
    """One URL per page type of the built site, taken from its content, not hard-coded."""
    threads = build.content.threads
    articles = [a for t in threads for a in t.articles]
    pages = {"home": "", "thread": threads[0].url}
    pages["article"] = next(a.url for a in articles if a.meta.kind == "article")
    pages["comment"] = next(a.url for a in articles if a.meta.kind == "comment")
    pages["page"] = build.content.pages[0].url
    pages["unit"] = unit_url(*min(build.resolver.units))  # a referenced unit, every section
    pages["404"] = "no-such-page/"
    return pages


class SiteHandler(SimpleHTTPRequestHandler):
    """Serves the site under ``base_path`` and ``404.html`` (status 404) for anything missing."""

    base_path = "/"

    def translate_path(self, path: str) -> str:
        path = urlsplit(path).path
        if not path.startswith(self.base_path):
            return str(Path(self.directory) / "\0missing")
        return super().translate_path("/" + path[len(self.base_path):])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture(scope="package")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> pipeline.Build:
    """The repository's demo site, built once into a temporary folder."""
    return pipeline.run(REPO, out=tmp_path_factory.mktemp("browser") / "site")


@contextmanager
def serve_folder(folder: Path, base_path: str) -> Iterator[str]:
    """``folder`` served on 127.0.0.1 under ``base_path`` (as a host would serve the site);
    yields the server's origin, ``http://127.0.0.1:PORT``. Stopped after the block."""
    handler = type("Handler", (SiteHandler,), {"base_path": base_path})
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="package")
def site(built_site: pipeline.Build) -> Iterator[Site]:
    base_path = urlsplit(built_site.config.base_url).path or "/"
    with serve_folder(built_site.out_dir, base_path) as origin:
        yield Site(built_site.out_dir, origin, base_path, page_types(built_site),
                   [a.url for t in built_site.content.threads for a in t.articles])


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for all browser tests (closed after them, like the server)."""
    from playwright.sync_api import sync_playwright

    executable = ensure_installed(CHROMIUM, "chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Where screenshots go for a person to review (ignored by git)."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT
