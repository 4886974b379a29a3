"""``:layout: banner`` (issue 19's "banner figure above or under the title … or `:layout:
banner`"): any figure directive — a picture, a builder figure, a component — moves under the
article's title, across the page column; one banner per article."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from article_fixture import AUTHORS, article_site, page
from conftest import SITES, build_site


def title(html: str) -> str:
    """The article's title block (its header, not the site's)."""
    start = html.index('<header class="d-title')
    return html[start:html.index("</header>", start)]


FIGURE = """```{figure} images/banner.png
:alt: Eight arcs in a row.
:layout: banner
:label: fig-banner

The eight arcs.
```
"""


def test_a_figure_laid_out_as_the_banner_stands_under_the_title(tmp_path: Path) -> None:
    body = f"First paragraph.\n\n{FIGURE}\nSee {{ref}}`fig-banner`.\n"
    site, result = article_site(tmp_path, AUTHORS, body, images=True)
    assert result.exit_code == 0, result.output
    html = page(site)
    figure = html.index('<figure class="l-banner" id="fig-banner">')
    header = title(html)
    assert 'id="fig-banner"' in header and "Figure 1:</span> The eight arcs." in header
    assert html.index("<h1>") < figure < html.index('class="d-byline')
    assert html.index("First paragraph.") > html.index('class="d-byline')  # the text stays
    assert '<a class="xref" href="#fig-banner"' in html  # and refers to it as before


def test_a_builder_figure_can_be_the_banner(tmp_path: Path) -> None:
    site = shutil.copytree(SITES / "valid" / "cheap-figures", tmp_path / "site")
    cheap = site / "content/demo/cheap.md"
    cheap.write_text(cheap.read_text().replace(":shade: 40", ":shade: 40\n:layout: banner"))
    assert build_site(site).exit_code == 0
    html = (site / "_site/demo/cheap/index.html").read_text()
    header = title(html)
    assert '<figure class="l-banner builder-figure" id="fig-shade">' in header
    assert re.search(r'<img src="\.\./\.\./assets/[0-9a-f]{16}\.png"', header)


def test_banner_layout_problems_are_errors_at_their_line(tmp_path: Path) -> None:
    two = f"{FIGURE}\n{FIGURE.replace('fig-banner', 'fig-other')}"
    site, result = article_site(tmp_path / "two", AUTHORS, two, images=True)
    assert result.exit_code == 1
    assert ("content/demo/first.md:19: an article has one banner, and it has one already: the "
            "figure at line 9") in result.output
    front = AUTHORS + "banner:\n  image: images/banner.png\n  alt: Arcs.\n"
    site, result = article_site(tmp_path / "front", front, FIGURE, images=True)
    assert result.exit_code == 1
    assert ("content/demo/first.md:14: an article has one banner, and it has one already: "
            "front matter 'banner:' (line 7)") in result.output
    nested = f"```{{note}}\n{FIGURE}```\n".replace("```{figure", ":::{figure").replace(
        "The eight arcs.\n```", "The eight arcs.\n:::")
    site, result = article_site(tmp_path / "nested", AUTHORS, nested, images=True)
    assert result.exit_code == 1
    assert ("content/demo/first.md:12: a banner figure must stand on its own in the text, not "
            "inside a list, a quote or another directive") in result.output
    quoted = "> " + FIGURE.replace("\n", "\n> ")
    _, result = article_site(tmp_path / "quoted", AUTHORS, quoted, images=True)
    assert result.exit_code == 1
    assert ("content/demo/first.md:11: a banner figure must stand on its own in the text, not "
            "inside a list") in result.output
    thread = site / "content/demo/thread.md"
    thread.write_text(thread.read_text() + "\n" + FIGURE)
    first = site / "content/demo/first.md"  # the nested banner is gone; one in thread.md
    first.write_text(first.read_text().split("---\n\n")[0] + "---\n\nText.\n")
    result = build_site(site)
    assert result.exit_code == 1
    assert ("content/demo/thread.md:15: ':layout: banner' puts a figure under an article's title; "
            "this page has no banner") in result.output
