"""Distill's markup left in a converted article (issue 18): ``<d-cite>``, ``<d-footnote>`` and
``<d-math>`` become our citations, notes and maths; any other ``<d-…>`` tag is an error at its
line; nothing reaches the built pages as a Distill tag."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import SITES, thread_cli

ARTICLE = "content/circuits/curves.md"


def fresh_site(target: Path, extra: str = "") -> Path:
    shutil.copytree(SITES / "valid" / "distill-markup", target)
    if extra:
        article = target / ARTICLE
        article.write_text(article.read_text() + extra)
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    site = fresh_site(tmp_path_factory.mktemp("distill") / "site")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    return site / "_site"


def page(out: Path) -> str:
    return (out / "circuits/curves/index.html").read_text()


def test_no_distill_tag_reaches_any_page(built: Path) -> None:
    for path in built.rglob("*"):
        if path.suffix in (".html", ".xml", ".json", ".js", ".txt"):
            assert not re.search(r"<\s*/?\s*d-", path.read_text(errors="replace")), path


def test_d_cite_becomes_a_citation_that_reaches_the_references(built: Path) -> None:
    html = page(built)
    body = html[html.index('<div class="d-body'):html.index('<footer class="d-appendix')]
    numbers = re.findall(r'class="cite-link"[^>]*>(\[[^\]]*\])</a>', body)
    # text, text, the footnote's card, the aside, <D-CITE KEY=...> alone on its line
    assert numbers == ["[1]", "[1, 2]", "[1]", "[2]", "[1]"]
    assert re.search(r'<p><span class="has-card citation">.*?</span></span>\nstarted it', body)
    appendix = html[html.index('id="references"'):]
    assert re.findall(r'<li id="ref-([^"]+)"', appendix) == ["olah2017feature",
                                                             "cammarata2020curve"]


def test_d_footnote_becomes_a_note_with_markdown_inside(built: Path) -> None:
    html = page(built)
    notes = html[html.index('<ol class="footnotes-list">'):]
    note = notes[:notes.index("</li>")]
    assert "We use the <em>pre</em>-ReLU value" in note
    assert 'class="cite-link"' in note and "<math" in note  # its d-cite and d-math converted


def test_d_math_becomes_mathml_inline_and_display(built: Path) -> None:
    html = page(built)
    assert re.search(r'activation is <math [^>]*display="inline">.*?<m[io]>max</m[io]>', html)
    assert "<mi>x</mi><mo>&lt;</mo><mn>1</mn>" in html  # &lt; read as <
    block = re.search(r'<div class="math-display"[^>]*><math [^>]*display="block">(.*?)</math>',
                      html).group(1)
    assert "∑" in block  # the \sum of the <d-math block> on lines of its own
    assert re.search(r'paragraph: <math [^>]*display="block">(<mrow>)?<mfrac>', html)


LEFTOVERS = """
<d-figure><img src="https://distill.pub/2020/circuits/curve.png" alt="Curves"></d-figure>

<figure>
<p>See <d-cite key="olah2017feature"></d-cite>.</p>
</figure>

Text <d-cite></d-cite> and <d-footnote>never closed

<d-hover-box>inline</d-hover-box> and </d-title>

<d-article>

<!-- <d-figure> in a comment shows nothing, and is no error -->
"""


def test_every_other_distill_tag_is_an_error_at_its_line(tmp_path: Path) -> None:
    site = fresh_site(tmp_path / "site", LEFTOVERS)
    first = len((SITES / "valid/distill-markup" / ARTICLE).read_text().splitlines()) + 2
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith(ARTICLE)]
    not_loaded = "is not supported: no page here loads Distill's components"
    assert errors == [
        f"{ARTICLE}:{first}: Distill's <d-figure> {not_loaded} (use the ```{{figure}} directive)",
        (f'{ARTICLE}:{first + 3}: Distill markup <d-cite key="olah2017feature"> cannot be '
        "converted: it is inside an HTML block, where Markdown is not read (write [@key], or "
        "[@a; @b] for several, in Markdown)"),
        (f"{ARTICLE}:{first + 6}: Distill markup <d-cite> cannot be converted: it has no key "
        "(write [@key], or [@a; @b] for several, in Markdown)"),
        (f"{ARTICLE}:{first + 6}: Distill markup <d-footnote> cannot be converted: it is not "
        "closed in its paragraph (write ^[the note] in Markdown)"),
        (f"{ARTICLE}:{first + 8}: Distill's <d-hover-box> {not_loaded} (use a footnote ^[…] or a "
        "citation: their cards show on hover)"),
        (f"{ARTICLE}:{first + 8}: Distill's </d-title> {not_loaded} (move the title into the "
        "front matter: title: and description:)"),
        (f"{ARTICLE}:{first + 10}: Distill's <d-article> {not_loaded} (remove it: the page "
        "template lays out the article)"),
    ]


def test_thread_check_reports_them_too(tmp_path: Path) -> None:
    site = fresh_site(tmp_path / "site", "\n<d-byline></d-byline>\n")
    result = thread_cli("check", "--root", site)
    assert result.exit_code == 1
    assert "Distill's <d-byline> is not supported" in result.output


def test_a_remote_image_is_not_hot_linked(tmp_path: Path) -> None:
    site = fresh_site(tmp_path / "site", '\nAn image: <img src="https://distill.pub/x.png" '
                      'alt="Curves">\n')
    line = len((SITES / "valid/distill-markup" / ARTICLE).read_text().splitlines()) + 2
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 1
    assert (f'{ARTICLE}:{line}: <img src="https://distill.pub/x.png"> loads from another host, '
            "'distill.pub' (copy the file into the site") in result.output
