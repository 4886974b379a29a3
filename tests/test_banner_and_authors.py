"""Front matter of an article's head: a banner image under the title, and author notes (equal
contribution, corresponding author) in the byline, the citation and the metadata."""

from __future__ import annotations

import json
import re
from pathlib import Path

from article_fixture import AUTHORS, article_site, page
from conftest import build_site

BANNER = ("banner:\n  image: images/banner.png\n  alt: Eight arcs in a row.\n"
          "  credit: Drawn by the planted network's authors.\n")
TWO_AUTHORS = """authors:
  - name: Ada Lovelace
    affiliations: [lab]
    equal: true
    corresponding: true
    email: ada@example.org
  - name: Charles Babbage
    equal: true
published: 2025-01-02
"""


def test_banner_is_a_self_hosted_image_under_the_title(tmp_path: Path) -> None:
    site, result = article_site(tmp_path, AUTHORS + BANNER, "Text.\n", images=True)
    assert result.exit_code == 0, result.output
    html = page(site)
    banner = re.search(r'<figure class="d-banner l-page"><img src="\.\./\.\./(assets/[0-9a-f]{16}'
                       r'\.png)" alt="Eight arcs in a row\." width="640" height="200"', html)
    assert banner, "no banner"
    assert (site / "_site" / banner.group(1)).is_file()
    head = html.index('<header class="d-title')
    assert head < html.index("<h1>") < banner.start() < html.index('class="d-byline')
    assert "The banner image: Drawn by the planted network" in html  # under Reuse


def test_banner_problems_are_errors_at_their_line(tmp_path: Path) -> None:
    missing = BANNER.replace("images/banner.png", "images/nope.png")
    _, result = article_site(tmp_path, AUTHORS + missing, "Text.\n", images=True)
    assert result.exit_code == 1
    assert "content/demo/first.md:8: banner image not found: images/nope.png" in result.output
    remote = BANNER.replace("images/banner.png", "https://example.com/x.png")
    _, result = article_site(tmp_path / "b", AUTHORS + remote, "Text.\n")
    assert result.exit_code == 1
    assert ("content/demo/first.md:8: banner image 'https://example.com/x.png' must be a file "
            "beside the article") in result.output
    no_alt = BANNER.replace("Eight arcs in a row.", "' '")
    _, result = article_site(tmp_path / "c", AUTHORS + no_alt, "Text.\n", images=True)
    assert result.exit_code == 1
    assert "content/demo/first.md:9: banner.alt: alt text must describe the image" in result.output


def test_author_notes_in_byline_citation_and_metadata(tmp_path: Path) -> None:
    site, result = article_site(tmp_path, TWO_AUTHORS, "Text.\n")
    assert result.exit_code == 0, result.output
    html = page(site)
    byline = html[html.index('class="d-byline'):html.index('class="d-body')]
    ada = re.search(r'<p class="author">Ada Lovelace(.*?)</p>', byline).group(1)
    assert '<sup class="author-mark" aria-hidden="true">*</sup>' in ada
    assert '<sup class="author-mark" aria-hidden="true">†</sup>' in ada
    assert "(equal contribution)" in ada and "(corresponding author)" in ada
    charles = re.search(r'<p class="author">Charles Babbage(.*?)</p>', byline).group(1)
    assert "*" in charles and "†" not in charles
    notes = re.search(r'<p class="author-notes l-page" id="author-notes">(.*?)</p>', byline,
                      re.DOTALL).group(1)
    assert "Equal contribution: Ada Lovelace, Charles Babbage." in notes
    assert ('Corresponding author: Ada Lovelace, <a href="mailto:ada@example.org">'
            'ada@example.org</a>.') in notes
    assert ('<p class="citation-note">Ada Lovelace and Charles Babbage contributed equally to '
            "this article.</p>") in html
    assert '<meta name="citation_author_email" content="ada@example.org">' in html
    assert html.count("citation_author_email") == 1
    jsonld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html,
                                  re.DOTALL).group(1))
    assert [a.get("email") for a in jsonld["author"]] == ["ada@example.org", None]


def test_no_author_notes_without_marks(tmp_path: Path) -> None:
    site, result = article_site(tmp_path, AUTHORS, "Text.\n")
    assert result.exit_code == 0, result.output
    html = page(site)
    assert "author-notes" not in html and "author-mark" not in html and "citation-note" not in html


def test_corresponding_author_needs_an_email(tmp_path: Path) -> None:
    front = TWO_AUTHORS.replace("    email: ada@example.org\n", "")
    _, result = article_site(tmp_path, front, "Text.\n")
    assert result.exit_code == 1
    assert ("content/demo/first.md:4: authors.0: a corresponding author needs an "
            "email: address") in result.output
    bad = TWO_AUTHORS.replace("ada@example.org", "ada at example")
    _, result = article_site(tmp_path / "b", bad, "Text.\n")
    assert result.exit_code == 1
    assert "content/demo/first.md:8: authors.0.email:" in result.output


def test_a_changed_banner_image_rebuilds_the_page(tmp_path: Path) -> None:
    """The build cache reuses an unchanged page; a new banner file must not be missed."""
    site, result = article_site(tmp_path, AUTHORS + BANNER, "Text.\n", images=True)
    assert result.exit_code == 0, result.output
    before = re.search(r'd-banner l-page"><img src="\.\./\.\./(assets/[^"]+)"', page(site))
    image = site / "content" / "demo" / "images" / "banner.png"
    image.write_bytes((Path(__file__).resolve().parents[1] / "content" / "planted" / "images"
                       / "gabor-bank.png").read_bytes())
    assert build_site(site).exit_code == 0
    after = re.search(r'd-banner l-page"><img src="\.\./\.\./(assets/[^"]+)" alt="[^"]*" '
                      r'width="438" height="60"', page(site))
    assert after and after.group(1) != before.group(1)
    assert (site / "_site" / after.group(1)).is_file()
