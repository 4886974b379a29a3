"""A table of contents from the article's level-2 and level-3 headings (front matter toc: true)."""

from __future__ import annotations

import re
from pathlib import Path

from article_fixture import AUTHORS, article_site, page

BODY = """Intro.

## First `code` part

Text.

### A detail with $x^2$

More.

{#sec-second}
## Second part

Text [^n].

#### Too deep for the contents

[^n]: A note.

{.appendix}
## Acknowledgments

Thanks.
"""


def toc_of(html: str) -> str:
    match = re.search(r'<nav class="d-toc".*?</nav>', html, re.DOTALL)
    assert match, "no table of contents"
    return match.group(0)


def test_toc_lists_sections_and_subsections_with_their_anchors(tmp_path: Path) -> None:
    site, result = article_site(tmp_path, AUTHORS + "toc: true\n", BODY)
    assert result.exit_code == 0, result.output
    html = page(site)
    toc = toc_of(html)
    links = re.findall(r'<a href="#([^"]+)">(.*?)</a>', toc, re.DOTALL)
    assert [anchor for anchor, _ in links] == ["first-code-part", "a-detail-with-",
                                               "sec-second"]  # a {#label} is the anchor
    for anchor, _ in links:  # every entry goes to a heading of the body
        assert re.search(rf'<h[23] id="{anchor}"', html), anchor
    assert links[0][1] == "First code part"
    assert "<math" in links[1][1]  # maths kept as MathML
    assert "Acknowledgments" not in toc and "Too deep" not in toc
    nested = re.search(r"<li><a href=\"#first-code-part\">.*?<ol>(.*?)</ol>", toc, re.DOTALL)
    assert nested and "a-detail-with-" in nested.group(1)  # the h3 under its h2
    # before the text, after the thread navigation
    assert html.index('class="thread-nav"') < html.index('class="d-toc"') < html.index("<p>Intro.")


def test_no_toc_unless_asked(tmp_path: Path) -> None:
    site, result = article_site(tmp_path, AUTHORS, BODY)
    assert result.exit_code == 0, result.output
    assert "d-toc" not in page(site)


def test_toc_must_be_true_or_false(tmp_path: Path) -> None:
    _, result = article_site(tmp_path, AUTHORS + "toc: sometimes\n", BODY)
    assert result.exit_code == 1
    assert "content/demo/first.md:7: toc: Input should be a valid boolean" in result.output
