"""Cross-article references and citations of the site's own works (issue 19).

``{ref}`slug#label` `` links to a label of another article and previews it like an in-article
reference; ``[@slug]`` cites an article or thread of the site from its front matter. A wrong
slug or label is ``path:line: message`` with a did-you-mean."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import SITES, built_copy, copy_site, thread_cli

from generator import build as pipeline
from generator import parallel


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return built_copy(SITES / "valid" / "cross-refs", tmp_path_factory.mktemp("x") / "site") / "_site"


def card(html: str, text: str) -> str:
    """The hover card of the link whose text is ``text``."""
    start = html.index(f">{text}</a>")
    return html[start:html.index("</span></span>", start)]


def test_a_reference_to_another_articles_figure_links_and_previews_it(built: Path) -> None:
    citing = (built / "main/citing/index.html").read_text()
    assert '<a class="xref" href="../target/#fig-pic"' in citing
    preview = card(citing, "Target Article, Figure 1")
    image = re.search(r'<img src="([^"]+)"', preview).group(1)
    assert (built / "main/citing" / image).resolve().is_file()  # the target's own picture
    assert "The <em>caption</em> of the picture, with <math" in preview
    target = (built / "main/target/index.html").read_text()
    assert 'id="fig-pic"' in target and 'id="eq-energy"' in target and 'id="sec-method"' in target


def test_equations_and_sections_and_the_thread_qualified_slug(built: Path) -> None:
    citing = (built / "main/citing/index.html").read_text()
    assert '<a class="xref" href="../target/#eq-energy"' in citing  # written main/target#…
    assert "<msup><mi>x</mi>" not in card(citing, "Target Article, Equation 1")
    assert "<mi>E</mi>" in card(citing, "Target Article, Equation 1")
    assert '<span class="card-caption">Method' in card(citing, "Target Article, Section 1")


def test_citing_an_article_and_a_thread_by_slug(built: Path) -> None:
    citing = (built / "main/citing/index.html").read_text()
    references = citing[citing.index('id="references"'):]
    entries = re.findall(r'<li id="ref-([^"]+)" value="(\d)">(.*?)</li>', references, re.DOTALL)
    assert [(key, n) for key, n, _ in entries] == [("target", "1"), ("other", "2")]
    target, other = entries[0][2], entries[1][2]
    assert "Ada Lovelace, Charles Babbage." in target and "Target Article" in target
    assert "https://doi.org/10.5555/xref.0001" in target
    assert "Thread: Other" in other and 'href="https://example.org/xref/other/"' in other
    assert "Cross-reference Fixture</em>, 2025" in other
    scholar = re.findall(r'<meta name="citation_reference" content="([^"]+)"', citing)
    assert any("citation_title=Target Article" in s and "citation_author=Lovelace, Ada" in s
               for s in scholar)


def fails_with(site: Path, path: str, old: str, new: str) -> str:
    file = site / path
    file.write_text(file.read_text().replace(old, new))
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.output


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("{ref}`target#fig-pic`", "{ref}`targt#fig-pic`",
     ("content/main/citing.md:10: unknown article 'targt' in reference 'targt#fig-pic' "
      "(did you mean 'target'?)")),
    ("{ref}`target#fig-pic`", "{ref}`target#fig-pix`",
     "content/main/citing.md:10: unknown label 'fig-pix' in 'target' (did you mean 'fig-pic'?)"),
    ("is in {ref}`target#sec-method`", "is in {ref}`other#sec-method`",
     "content/main/citing.md:11: unknown label 'sec-method' in 'other' ('other' has no labels"),
    ("[@target] and", "[@targte] and",
     "content/main/citing.md:11: unknown citation key 'targte' (did you mean 'target'?)"),
])
def test_a_wrong_slug_or_label_is_an_error_at_its_line(tmp_path: Path, old: str, new: str,
                                                        expected: str) -> None:
    site = copy_site(tmp_path / "site", base="cross-refs")
    assert expected in fails_with(site, "content/main/citing.md", old, new)


def test_a_label_from_a_worker_previews_in_another_article(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """The target goes through a forked worker (self-contained), the citing article the
    site-wide way: the label's record alone carries the card's picture and caption."""
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "2")
    monkeypatch.setattr(parallel, "MIN_TASKS_PER_WORKER", 1)
    site = copy_site(tmp_path / "site", base="cross-refs")
    result = pipeline.run(site, use_cache=True)
    target = next(d for d in result.content.documents() if d.url == "main/target/")
    citing = next(d for d in result.content.documents() if d.url == "main/citing/")
    assert id(target) in result.prerendered and id(citing) not in result.prerendered
    html = (site / "_site/main/citing/index.html").read_text()
    assert "The <em>caption</em> of the picture" in card(html, "Target Article, Figure 1")


def test_a_changed_label_reaches_the_page_that_shows_it(tmp_path: Path) -> None:
    """The citing page is never reused from the cache: the label it shows may have moved."""
    site = copy_site(tmp_path / "site", base="cross-refs")
    assert thread_cli("build", "--root", site).exit_code == 0
    target = site / "content/main/target.md"
    target.write_text(target.read_text().replace(
        "```{figure} pic.png", "```{figure} pic.png\n:alt: First.\n```\n\n```{figure} pic.png")
        .replace("The *caption*", "The new *caption*"))
    result = pipeline.run(site, use_cache=True)
    assert not result.errors.errors
    html = (site / "_site/main/citing/index.html").read_text()
    assert "Target Article, Figure 2" in html and "The new <em>caption</em>" in html
    reply = next(d for d in result.content.documents() if d.url == "main/reply/")
    assert id(reply) in result.reused  # a page with no cross-article reference still is


def test_a_cached_page_is_reused_until_the_label_it_shows_changes(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site", base="cross-refs")
    assert not pipeline.run(site, use_cache=True).errors.errors
    again = pipeline.run(site, use_cache=True)
    assert {d.url for d, _ in again.reused.values()} >= {"main/citing/", "main/target/"}
    reply = site / "content/main/reply.md"
    reply.write_text(reply.read_text() + "\nOne more line.\n")
    third = pipeline.run(site, use_cache=True)  # nothing the citing page shows changed
    assert "main/citing/" in {d.url for d, _ in third.reused.values()}
    target = site / "content/main/target.md"
    target.write_text(target.read_text().replace("$$ (eq-energy)", "$$ (eq-energy)\n\n$$\ny\n$$ (eq-y)"))
    fourth = pipeline.run(site, use_cache=True)  # a new equation: Figure 1 is as it was
    assert "main/citing/" in {d.url for d, _ in fourth.reused.values()}
    target.write_text(target.read_text().replace("# Method", "# Methods"))
    fifth = pipeline.run(site, use_cache=True)  # the section's title, shown in a card, changed
    assert "main/citing/" not in {d.url for d, _ in fifth.reused.values()}
    html = (site / "_site/main/citing/index.html").read_text()
    assert '<span class="card-caption">Methods' in card(html, "Target Article, Section 1")


def test_own_link_text_and_a_myst_target_in_another_article(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site", base="cross-refs")
    target = site / "content/main/target.md"
    target.write_text(target.read_text() + "\n(the-list)=\n- an item\n")
    citing = site / "content/main/citing.md"
    citing.write_text(citing.read_text() + "\nSee {ref}`the picture <target#fig-pic>` and "
                      "{ref}`that list <target#the-list>`.\n")
    assert thread_cli("build", "--root", site).exit_code == 0
    html = (site / "_site/main/citing/index.html").read_text()
    assert "The <em>caption</em>" in card(html, "the picture")
    assert '<a class="xref" href="../target/#the-list">that list</a>' in html  # no card
    target_html = (site / "_site/main/target/index.html").read_text()
    assert 'id="the-list"' in target_html
