"""A ``{ref}`` to a builder figure (issue 19): its card shows the figure's own stored picture,
in the same article and from another one, and a page reused from the build cache is made again
when that picture changes."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from conftest import SITES

from generator import build as pipeline


def site_with_refs(tmp_path: Path) -> Path:
    site = shutil.copytree(SITES / "valid" / "cheap-figures", tmp_path / "site")
    cheap = site / "content/demo/cheap.md"
    cheap.write_text(cheap.read_text().replace(":bars: 3", ":bars: 3\n:label: fig-bars")
                     + "\n{ref}`fig-shade` is flat; {ref}`fig-bars` grows.\n")
    other = site / "content/demo/other.md"
    other.write_text(other.read_text() + "\nSee {ref}`cheap#fig-shade` and {ref}`cheap#fig-bars`.\n")
    return site


def card_picture(html: str, text: str) -> str:
    """The ``src`` of the picture in the card of the link whose text is ``text``."""
    start = html.index(f">{text}</a>")
    card = html[start:html.index("</span></span>", start)]
    found = re.search(r'<img src="([^"]+)" alt=""', card)
    assert found, f"the card of {text!r} has no picture: {card}"
    return found.group(1)


def figure_pictures(html: str, label: str) -> list[str]:
    """Every picture URL the figure ``label`` itself shows (PNG, WebP, a chart's SVG)."""
    start = html.index(f'id="{label}"')
    figure = html[start:html.index("</figure>", start)]
    return re.findall(r'(?:src|srcset)="([^" ]+)', figure)


def test_cards_show_the_builder_figures_picture_here_and_in_another_article(tmp_path: Path
                                                                           ) -> None:
    site = site_with_refs(tmp_path)
    assert not pipeline.run(site).errors.errors
    cheap = (site / "_site/demo/cheap/index.html").read_text()
    other = (site / "_site/demo/other/index.html").read_text()
    for html, shade, bars in ((cheap, "Figure 1", "Figure 2"),
                              (other, "Cheap, Figure 1", "Cheap, Figure 2")):
        picture = card_picture(html, shade)
        assert picture.endswith(".png") and picture in figure_pictures(cheap, "fig-shade")
        chart = card_picture(html, bars)
        assert chart.endswith(".svg") and chart in figure_pictures(cheap, "fig-bars")
        assert (site / "_site/demo/cheap" / picture).resolve().is_file()


def test_a_reused_page_shows_the_new_picture_of_a_figure_in_another_article(tmp_path: Path
                                                                           ) -> None:
    site = site_with_refs(tmp_path)
    assert not pipeline.run(site, use_cache=True).errors.errors
    before = card_picture((site / "_site/demo/other/index.html").read_text(), "Cheap, Figure 1")
    cheap = site / "content/demo/cheap.md"
    cheap.write_text(cheap.read_text().replace(":shade: 40", ":shade: 200"))
    result = pipeline.run(site, use_cache=True)
    assert not result.errors.errors
    after = card_picture((site / "_site/demo/other/index.html").read_text(), "Cheap, Figure 1")
    assert after != before
    assert after in figure_pictures((site / "_site/demo/cheap/index.html").read_text(),
                                    "fig-shade")
