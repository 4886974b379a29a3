"""The link checker of `thread check`: internal links and #anchors resolve, errors name a line."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO, SITES, copy_site, thread_cli

from generator.links import check_links

BASE = "https://example.org/site/"


def test_check_reports_dangling_links_at_their_markdown_line(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    shutil.copytree(SITES / "links" / "dangling", site, dirs_exist_ok=True)
    expected = (site / "expected.txt").read_text().strip().splitlines()
    result = thread_cli("check", "--root", site)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[:-1] == expected
    assert not (site / "_site").exists()


def test_the_demo_site_has_no_broken_links() -> None:
    result = thread_cli("check", "--root", REPO)
    assert result.exit_code == 0, result.output


def errors(outputs: dict, sources: dict | None = None) -> list[str]:
    return [str(e) for e in check_links(outputs, BASE, sources)]


def test_relative_absolute_and_canonical_links_resolve() -> None:
    outputs = {
        "index.html": b'<link rel="canonical" href="https://example.org/site/">\n'
                      b'<a href="a/">a</a> <a href="/site/a/#x">x</a> <a href="a">no slash</a>',
        "a/index.html": b'<h2 id="x">X</h2><a href="../">up</a><a href="#top">top</a>'
                        b'<img src="../img.png" srcset="../img.png 1x, ../img.png 2x">',
        "img.png": b"",
    }
    assert errors(outputs) == []


def test_external_links_are_not_followed() -> None:
    outputs = {"index.html": b'<a href="https://example.com/nope">x</a>'
                             b'<a href="mailto:a@b.c">m</a><img src="data:image/png;base64,AA">'}
    assert errors(outputs) == []


def test_broken_links_from_templates_point_at_the_built_page() -> None:
    outputs = {"index.html": b'<p>\n<a href="b/">b</a>\n<a href="#nowhere">n</a>'
                             b'<img src="/elsewhere/x.png"><p id="somewhere">'}
    template = "(in the built page: the link comes from a template or a directive)"
    anchor = "no anchor '#nowhere' on this page (did you mean 'somewhere'?)"
    assert errors(outputs) == [
        f"_site/index.html:2: broken link 'b/': no page 'b' in the site {template}",
        f"_site/index.html:3: broken link '#nowhere': {anchor} {template}",
        f"_site/index.html:3: broken link '/elsewhere/x.png': points above the site's root {template}",
    ]


def test_a_line_separator_in_the_text_does_not_shift_the_reported_line(tmp_path: Path) -> None:
    """U+2028 is text to markdown-it and editors, a line break to ``str.splitlines``."""
    site = copy_site(tmp_path / "site")
    page = site / "content/demo/second.md"
    head, _, body = page.read_text().partition("\n---\n")
    page.write_text(f"{head}\n---\n\nOne\u2028sentence\u2028with separators.\n\n"
                    f"A [dead link](../nowhere/).\n{body}")
    line = page.read_text().split("\n").index("A [dead link](../nowhere/).") + 1
    result = thread_cli("check", "--root", site)
    assert result.exit_code == 1
    assert f"content/demo/second.md:{line}: broken link '../nowhere/'" in result.stderr
