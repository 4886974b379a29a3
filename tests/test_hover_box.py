"""Hover boxes: ```{hover-box}``` holds Markdown, ``{hover}`text <label>` `` shows it in a card."""

from __future__ import annotations

import re
from pathlib import Path

from article_fixture import AUTHORS, article_site, page

BOX = """```{hover-box}
:label: gabor

A **Gabor function** is a grating under an envelope.[^n]

![Eight arcs in a row.](images/banner.png)
```
"""


def span_content(html: str, start: int) -> str:
    """What a <span> opened just before ``start`` holds, nested spans included."""
    depth, pos = 1, start
    for tag in re.finditer(r"<(/?)span\b", html[start:]):
        depth += -1 if tag.group(1) else 1
        pos = start + tag.start()
        if depth == 0:
            return html[start:pos]
    raise AssertionError("unclosed span")


def test_hover_box_card_holds_its_markdown(tmp_path: Path) -> None:
    body = ("See {hover}`Gabor functions <gabor>` here and {hover}`again <gabor>`.\n\n"
            + BOX + "\n[^n]: A note.\n")
    site, result = article_site(tmp_path, AUTHORS, body, images=True)
    assert result.exit_code == 0, result.output
    html = page(site)
    cards = [(*m.groups(), span_content(html, m.end()))
             for m in re.finditer(r'<span class="has-card hover-box"><a class="hover-link" '
                                  r'href="#(card-\d+)" aria-describedby="(card-\d+)">([^<]*)</a>'
                                  r'<span class="hover-card" id="(card-\d+)">', html)]
    assert [c[2] for c in cards] == ["Gabor functions", "again"]
    for href, described, _, card_id, inner in cards:
        assert href == described == card_id  # the link opens and describes its own card
        assert "<strong>Gabor function</strong>" in inner
        assert re.search(r'<img src="../../assets/[0-9a-f]{16}\.png" alt="Eight arcs in a row\."',
                         inner)
        assert "<p>" not in inner  # a card sits inside a paragraph
    assert len({c[3] for c in cards}) == 2
    # the first card holds the footnote's anchor, which the note's back-link goes to; the
    # second shows the number only
    assert 'href="#fn1" id="fnref1"' in cards[0][4]
    assert '<sup class="footnote-ref">1</sup>' in cards[1][4]
    assert html.count('id="fnref1"') == 1 and 'href="#fnref1"' in html
    image = re.search(r'assets/[0-9a-f]{16}\.png', cards[0][4]).group(0)
    assert (site / "_site" / image).is_file()  # self-hosted, content-addressed
    assert "is a grating under" not in html.split("<footer")[0].split(cards[1][4])[-1]


def test_a_box_never_shown_is_a_warning(tmp_path: Path) -> None:
    _, result = article_site(tmp_path, AUTHORS, BOX + "\n[^n]: A note.\n", images=True)
    assert result.exit_code == 0, result.output
    assert "content/demo/first.md:9: warning: hover box 'gabor' is never shown" in result.output


def test_unknown_hover_box_is_an_error_at_its_line(tmp_path: Path) -> None:
    _, result = article_site(tmp_path, AUTHORS, "Text.\n\nSee {hover}`it <gabr>`.\n\n" + BOX
                                + "\n[^n]: A note.\n", images=True)
    assert result.exit_code == 1
    assert ("content/demo/first.md:11: unknown hover box 'gabr' (did you mean 'gabor'?)"
            in result.output)


def test_hover_without_label_and_box_defined_twice(tmp_path: Path) -> None:
    body = ("See {hover}`just words`.\n\n" + BOX + "\n" + BOX + "\n[^n]: A note.\n")
    _, result = article_site(tmp_path, AUTHORS, body, images=True)
    assert result.exit_code == 1
    assert "content/demo/first.md:9: hover 'just words' must look like text <label>" in result.output
    assert ("content/demo/first.md:20: hover box 'gabor' is defined twice (first at line 11)"
            in result.output)


def test_hover_box_label_must_be_a_name(tmp_path: Path) -> None:
    _, result = article_site(tmp_path, AUTHORS, "```{hover-box}\n:label: two words\n\nX.\n```\n")
    assert result.exit_code == 1
    assert "content/demo/first.md:10: option ':label:' of directive 'hover-box'" in result.output
