"""Every failure a user can cause is `path:line: message` and exit 1, never a traceback, and
leaves the last good build alone; `thread serve` outlives any failed rebuild."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, copy_site, thread_cli, tree_digest
from test_serve import free_port, wait_for

FIRST = "content/demo/first.md"


def edit(site: Path, rel: str, old: str, new: str) -> None:
    path = site / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def front(site: Path, extra: str) -> None:
    """Add front matter lines to first.md after `published:` (line 7, so they start at 8)."""
    edit(site, FIRST, "published: 2025-01-02\n", f"published: 2025-01-02\n{extra}\n")


def footnotes(site: Path, notes: str) -> None:
    """Replace first.md's footnote definition (line 24) with ``notes``."""
    edit(site, FIRST, "[^a]: The note.", notes)


def fails_with(site: Path, *expected: str) -> None:
    """A build of ``site`` fails with exactly ``expected`` and leaves _site/ as it was."""
    before = tree_digest(site / "_site")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert lines[:-1] == list(expected)
    assert lines[-1].endswith("nothing was written.")
    assert tree_digest(site / "_site") == before


@pytest.fixture
def built(tmp_path: Path) -> Path:
    site = copy_site(tmp_path / "site")
    assert thread_cli("build", "--root", site).exit_code == 0
    return site


def _toml_folder(site: Path) -> None:
    (site / "site.toml").unlink()
    (site / "site.toml").mkdir()


def _theme_missing(site: Path) -> None:
    edit(site, "site.toml", "[affiliations.lab]", '[theme]\ndir = "nope"\n\n[affiliations.lab]')


def _link_loop(site: Path) -> None:
    (site / "content/demo/l1.md").symlink_to("l2.md")
    (site / "content/demo/l2.md").symlink_to("l1.md")


def _thread_folder(site: Path) -> None:
    (site / "content/other/thread.md").mkdir(parents=True)


def _bib_loop(site: Path) -> None:
    (site / "content/demo/l1.bib").symlink_to("l2.bib")
    (site / "content/demo/l2.bib").symlink_to("l1.bib")
    front(site, "bibliography: l1.bib")


LONG = "a" * 300 + ".bib"
TRACEBACKS: dict[str, tuple[Callable[[Path], object], list[str]]] = {
    "site.toml is a folder": (_toml_folder, ["site.toml: is a folder, not a file"]),
    "theme dir missing": (_theme_missing, [("site.toml:7: theme.dir: 'nope' is not a folder "
                                           "(a theme folder holds templates/ and static/)")]),
    "lone surrogate in title": (
        lambda s: edit(s, FIRST, "title: First Article", 'title: "\\ud800"'),
        [("content/demo/first.md:2: invalid YAML front matter: \\ud800 is a lone surrogate, "
         "not a character")]),
    "lone surrogate in author": (
        lambda s: edit(s, FIRST, "name: Ada Lovelace", 'name: "Ada \\udfff"'),
        [("content/demo/first.md:5: invalid YAML front matter: \\udfff is a lone surrogate, "
         "not a character")]),
    "footnote cites itself": (
        lambda s: footnotes(s, "[^a]: The note.[^a]"),
        [("content/demo/first.md:24: footnote [^a] cites itself "
         "(a note's card shows the notes it cites)")]),
    "footnotes cite each other": (
        lambda s: footnotes(s, "[^a]: The note [^b].\n\n[^b]: Other [^a]."),
        [("content/demo/first.md:24: footnotes [^a] and [^b] cite each other "
         "(a note's card shows the notes it cites)")]),
    "footnote chain too long": (
        lambda s: footnotes(s, "[^a]: The note [^n0].\n\n" + "\n\n".join(
            f"[^n{i}]: N{i} [^n{i + 1}]." for i in range(40))),
        [("content/demo/first.md:24: footnote [^a] starts a chain of 41 notes each citing the "
         "next (at most 32) (a note's card shows the notes it cites)")]),
    "YAML nested 20,000 deep": (
        lambda s: front(s, "deep: " + "[" * 20_000 + "]" * 20_000),
        ["content/demo/first.md:8: invalid YAML front matter: nested too deeply"]),
    "folder named x.md": (
        lambda s: (s / "content/demo/x.md").mkdir(),
        [("content/demo/x.md: is a folder, not a Markdown file "
         "(only files may have a name ending in .md)")]),
    "thread.md is a folder": (
        _thread_folder,
        [("content/other/thread.md: is a folder, not a Markdown file "
         "(only files may have a name ending in .md)")]),
    "broken .md link": (
        lambda s: (s / "content/demo/gone.md").symlink_to("nowhere.md"),
        ["content/demo/gone.md: broken symbolic link to 'nowhere.md' (point the link at a file)"]),
    "looping .md links": (
        _link_loop,
        ["content/demo/l1.md: symbolic link loop (point the link at a file)",
         "content/demo/l2.md: symbolic link loop (point the link at a file)"]),
    "bibliography name too long": (
        lambda s: front(s, f"bibliography: {LONG}"),
        [(f"content/demo/first.md:8: cannot read bibliography file (File name too long): "
         f"content/demo/{LONG}")]),
    "looping bibliography link": (
        _bib_loop,
        [("content/demo/first.md:8: cannot read bibliography file (Too many levels of symbolic "
         "links): content/demo/l1.bib")]),
    "bibliography name with NUL": (
        lambda s: front(s, 'bibliography: "a\\0b.bib"'),
        ["content/demo/first.md:8: bibliography file name contains a NUL character: a\\0b.bib"]),
}


@pytest.mark.parametrize("case", TRACEBACKS)
def test_inputs_that_crashed_are_located_errors(case: str, built: Path) -> None:
    """Item 10: each of these raised a traceback."""
    mutate, expected = TRACEBACKS[case]
    mutate(built)
    fails_with(built, *expected)


def test_outside_a_site_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = thread_cli("build")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (f"site.toml: no site.toml in {tmp_path} or above "
                                             "(run thread inside a site, or pass --root)")
    assert "Traceback" not in result.output


def test_nearest_site_toml_counts_even_as_a_folder(built: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A site.toml folder is reported, not skipped for a site.toml further up."""
    shutil.copy(built / "site.toml", built.parent / "site.toml")
    _toml_folder(built)
    monkeypatch.chdir(built)
    before = tree_digest(built / "_site")
    result = thread_cli("build")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == "site.toml: is a folder, not a file"
    assert tree_digest(built / "_site") == before
    assert not (built.parent / "_site").exists()


LOCATED = {
    "site.toml not UTF-8": (
        lambda s: (s / "site.toml").write_bytes((s / "site.toml").read_bytes() + b'x = "\xff"\n'),
        ["site.toml:9: not UTF-8 text: invalid start byte (byte 0xff) (save the file as UTF-8)"]),
    "Markdown not UTF-8": (
        lambda s: (s / FIRST).write_bytes((s / FIRST).read_bytes().replace(b"The note.",
                                                                           b"The \xe9 note.")),
        [("content/demo/first.md:24: not UTF-8 text: invalid continuation byte (byte 0xe9) "
         "(save the file as UTF-8)")]),
    "site bibliography missing": (
        lambda s: edit(s, "site.toml", "[affiliations.lab]",
                       'bibliography = ["refs/missing.bib"]\n\n[affiliations.lab]'),
        ["site.toml:6: bibliography file not found: refs/missing.bib"]),
    "bibliography not UTF-8": (
        lambda s: ((s / "content/demo/refs.bib").write_bytes(b"@article{x,\n title={\xff},\n}\n"),
                   front(s, "bibliography: refs.bib")),
        [("content/demo/refs.bib:2: not UTF-8 text: invalid start byte (byte 0xff) "
         "(save the file as UTF-8)")]),
    "TOML error at end of file": (
        lambda s: (s / "site.toml").write_text((s / "site.toml").read_text() + 'note = "open'),
        ["site.toml:9: Unterminated string"]),
}


@pytest.mark.parametrize("case", LOCATED)
def test_errors_that_had_no_line_have_one(case: str, built: Path) -> None:
    """Item 12."""
    mutate, expected = LOCATED[case]
    mutate(built)
    fails_with(built, *expected)


def test_byte_order_marks_are_accepted(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    for name in ("site.toml", FIRST):
        (site / name).write_bytes(b"\xef\xbb\xbf" + (site / name).read_bytes())
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    assert "<title>First Article" in (site / "_site/demo/first/index.html").read_text()
    assert "Fixture Site" in (site / "_site/index.html").read_text()


# --- thread serve -------------------------------------------------------------------------------

class Server:
    """``thread serve`` in a subprocess, its output gathered as it comes."""

    def __init__(self, site: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator", "serve", "--root", str(site), "--port",
             str(self.port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            cwd=REPO)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_output(self, text: str, count: int, deadline: float) -> None:
        while self.output.count(text) < count:
            assert time.monotonic() < deadline, self.output
            assert self.process.poll() is None, self.output
            time.sleep(0.1)

    def status(self, path: str) -> int:
        try:
            return urllib.request.urlopen(self.base + path, timeout=5).status
        except urllib.error.HTTPError as exc:
            return exc.code

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


FAILED = "Build failed; still serving the last good build."


def test_serve_outlives_a_crashing_rebuild(tmp_path: Path) -> None:
    """Item 11: an unexpected exception in a rebuild is reported once; the last good build is
    still served; fixing the file brings the new page."""
    site = copy_site(tmp_path / "site")
    shutil.copytree(REPO / "theme", site / "theme")
    template = site / "theme/templates/article.html"
    good = template.read_text()
    assert "{% block title %}" in good
    server = Server(site)
    try:
        deadline = time.monotonic() + 60
        assert "Text with a footnote." in wait_for(server.base + "demo/first/", deadline)
        time.sleep(0.5)  # the watcher runs once the first page was served
        for attempt in (1, 2):  # the same bug twice: one traceback, then one line
            template.write_text(good.replace("{% block title %}",
                                              "{% block title %}{{ 1 // 0 }}" + " " * attempt))
            server.wait_output(FAILED, attempt, deadline)
            assert "Text with a footnote." in wait_for(server.base + "demo/first/", deadline)
        assert server.output.count("Traceback") == 1
        assert "ZeroDivisionError" in server.output
        assert "Internal error again: ZeroDivisionError" in server.output
        template.write_text(good)
        edit(site, FIRST, "Text with a footnote.", "Edited text.")
        while "Edited text." not in wait_for(server.base + "demo/first/", deadline):
            assert time.monotonic() < deadline, server.output
            time.sleep(0.2)
        assert server.process.poll() is None
    finally:
        server.stop()


def test_serve_lists_no_folders_and_nothing_outside(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    server = Server(site)
    try:
        wait_for(server.base + "demo/first/", time.monotonic() + 60)
        (site / "_site/leak").symlink_to(site)
        (site / "_site/leak.toml").symlink_to(site / "site.toml")
        assert server.status("demo/") == 200
        assert server.status("static/") == 404  # a folder without index.html: no listing
        assert server.status("leak/site.toml") == 404
        assert server.status("leak.toml") == 404
        assert server.status("leak/") == 404
        assert server.status("../site.toml") == 404
    finally:
        server.stop()


def test_inline_footnote_builds(tmp_path: Path) -> None:
    """An inline note ^[...] has no source map; it crashed the positions rule."""
    site = copy_site(tmp_path / "site")
    edit(site, FIRST, "Text with a footnote.[^a]", "Text with a footnote.[^a] And ^[an inline "
         "note]. Then ^[one with {nope}`x`].")
    result = thread_cli("build", "--root", site)
    assert result.stderr.splitlines()[0] == (
        "content/demo/first.md:10: unknown role 'nope' (known roles: abbr, cite, cite:t, hover, "
        "ref, sub, sup, unit)")
    edit(site, FIRST, " Then ^[one with {nope}`x`].", "")
    assert thread_cli("build", "--root", site).exit_code == 0
    assert "an inline note" in (site / "_site/demo/first/index.html").read_text()
