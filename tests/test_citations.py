"""Citations, footnotes, cross-references, the appendix and metadata (issue 3)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import copy_site, thread_cli


@pytest.fixture(scope="module")
def cited(tmp_path_factory) -> str:
    site = copy_site(tmp_path_factory.mktemp("c") / "site", base="citations")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    return (site / "_site/demo/cited/index.html").read_text()


def body(html: str) -> str:
    return html[html.index('<div class="d-body'):html.index('<footer class="d-appendix')]


def test_numbers_follow_first_appearance_and_group(cited: str) -> None:
    numbers = re.findall(r'class="cite-link" href="#ref-[^"]+" aria-describedby="card-\d+">(\[[\d, ]+\])',
                         body(cited))
    assert numbers[:9] == ["[1]", "[1, 2]", "[3, 4]", "[5]", "[6]", "[7]", "[8]", "[9]", "[10]"]
    assert numbers[9] == "[11]"  # the site-wide bibliography entry
    assert numbers[10] == "[1]"  # cited again inside the footnote's card


def card_of(html: str, number: str) -> str:
    start = html.index(f">{number}</a>")
    return html[start:html.index("aria-describedby", start)]


def test_cards_hold_decoded_entries(cited: str) -> None:
    muller = card_of(cited, "[5]")
    assert "Öber die Kräfte von Netzen" in muller and "Jörg Müller, Paul Erdős" in muller
    assert "Zeitschrift für Netze, 2019" in muller
    who = card_of(cited, "[6]")
    assert '<span class="card-authors">World Health Organization</span>' in who
    assert "Ethics &amp; Governance of AI for Health" in who
    assert 'href="https://example.org/who-ai"' in who
    assert '<span class="card-venue">Unpublished</span>' in card_of(cited, "[7]")
    arxiv = card_of(cited, "[8]")
    assert "arXiv:2101.00001, 2021" in arxiv and 'href="https://arxiv.org/abs/2101.00001"' in arxiv
    zoom = card_of(cited, "[1]")
    assert 'href="https://doi.org/10.23915/distill.00024.001">doi:10.23915/distill.00024.001' in zoom
    assert '<span class="card-title">Untitled</span>' in card_of(cited, "[10]")


def test_reference_list_in_citation_order_with_anchors(cited: str) -> None:
    appendix = cited[cited.index('id="references"'):]
    ids = re.findall(r'<li id="ref-([^"]+)" value="(\d+)"', appendix)
    assert [key for key, _ in ids] == [
        "olah2020zoom", "cammarata2020curve", "krizhevsky2012", "szegedy2015", "muller2019",
        "who2021", "noyear", "arxiv2021", "novenue", "notitle", "knuth1984"]
    assert [int(n) for _, n in ids] == list(range(1, 12))
    assert "uncited" not in appendix
    assert "Richard Roe. <span class=\"ref-title\">A Note Without Venue</span>. 2018." in appendix


def test_footnote_card_and_appendix_backlink(cited: str) -> None:
    ref = re.search(r'<sup class="footnote-ref"><a href="#fn1" id="fnref1" aria-describedby="(card-\d+)">1</a></sup>'
                    r'<span class="hover-card" id="\1">A footnote that cites', cited)
    assert ref
    notes = cited[cited.index('id="footnotes"'):cited.index('id="references"')]
    assert '<li id="fn1" class="footnote-item">' in notes and 'href="#fnref1"' in notes


def test_cross_references_number_and_preview(cited: str) -> None:
    text = body(cited)
    assert re.search(r'<a class="xref" href="#fig-pic"[^>]*>Figure 1</a><span class="hover-card"[^>]*>'
                     r'<img src="../../assets/\w+\.png" alt=""', text)
    assert '<span class="card-caption">A <em>picture</em> caption.</span>' in text
    assert '>Equation 1</a>' in text and '<span class="equation-number">(1)</span>' in text
    assert '>Section 1</a><span class="hover-card" id="card-15"><span class="card-title">Method' in text


def test_appendix_sections_reuse_and_citation(cited: str) -> None:
    appendix = cited[cited.index('<footer class="d-appendix'):]
    assert "Acknowledgments</h2>" in appendix and "We thank the reviewers." in appendix
    assert "Acknowledgments" not in body(cited)
    assert "<li>Figure 1: Figure from a textbook.</li>" in appendix
    assert "Lovelace and Babbage, &#34;A Well-Cited Article&#34;, Fixture Site, 2025." in appendix
    assert 'href="citation.bib" download' in appendix


def test_article_bibtex_file(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site", base="citations")
    thread_cli("build", "--root", site)
    bib = (site / "_site/demo/cited/citation.bib").read_text()
    assert bib.startswith("@article{lovelace2025well,")
    assert 'author = "Lovelace, Ada and Babbage, Charles"' in bib
    assert 'doi = "10.5555/cited.1"' in bib and 'note = "https://example.org/fixture/demo/cited/"' in bib


def test_scholar_tags_and_json_ld(cited: str) -> None:
    assert '<meta name="citation_title" content="A Well-Cited Article">' in cited
    assert re.findall(r'name="citation_author" content="([^"]+)"', cited) == ["Lovelace, Ada",
                                                                               "Babbage, Charles"]
    assert '<meta name="citation_publication_date" content="2025/02/03">' in cited
    assert '<meta name="citation_doi" content="10.5555/cited.1">' in cited
    assert cited.count('name="citation_reference"') == 11
    assert ('content="citation_title=Curve Detectors;citation_author=Cammarata, Nick;'
            'citation_author=Goh, Gabriel;citation_author=Carter, Shan;'
            'citation_publication_date=2020;citation_journal_title=Distill;'
            'citation_doi=10.23915/distill.00024.003"') in cited
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', cited).group(1))
    assert data["@type"] == "ScholarlyArticle" and len(data["citation"]) == 11
    assert data["identifier"]["value"] == "10.5555/cited.1"


def test_scholar_tags_without_doi(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    thread_cli("build", "--root", site)
    html = (site / "_site/demo/second/index.html").read_text()
    assert '<meta name="citation_title" content="Second Article">' in html
    assert "citation_doi" not in html


def test_thread_citation_lists_participants_alphabetically(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    thread_cli("build", "--root", site)
    html = (site / "_site/demo/index.html").read_text()
    assert "Babbage, Lovelace and Somerville" not in html  # three authors → "et al."
    assert "Babbage, et al., &#34;Thread: Demo&#34;, Fixture Site, 2025." in html
    assert 'author = &#34;Babbage, Charles and Lovelace, Ada and Somerville, Mary&#34;' in html
    thread = site / "content/demo/thread.md"
    thread.write_text(thread.read_text().replace(
        "published: 2025-01-01", "published: 2025-01-01\nparticipants: [Mary Somerville]"))
    thread_cli("build", "--root", site)
    html = (site / "_site/demo/index.html").read_text()
    assert 'author = &#34;Somerville, Mary and Babbage, Charles and Lovelace, Ada&#34;' in html


def errors(site: Path) -> list[str]:
    result = thread_cli("check", "--root", site)
    assert result.exit_code == 1
    return [line for line in result.stderr.splitlines() if ":" in line and "error" not in line[:8]]


def article(site: Path) -> Path:
    return site / "content/demo/cited.md"


def test_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site", base="citations")
    article(site).write_text(article(site).read_text().replace("[@muller2019]", "[@mueller2019]"))
    assert errors(site)[0] == ("content/demo/cited.md:16: unknown citation key 'mueller2019' "
                               "(did you mean 'muller2019'?)")


def test_dangling_reference_and_missing_bib_and_bad_bibtex(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site", base="citations")
    article(site).write_text(article(site).read_text().replace("{ref}`fig-pic`", "{ref}`fig-pik`"))
    assert errors(site)[0] == ("content/demo/cited.md:20: unknown reference 'fig-pik' "
                               "(did you mean 'fig-pic'?)")
    article(site).write_text(article(site).read_text().replace("bibliography: refs.bib",
                                                               "bibliography: [refs.bib, gone.bib]"))
    assert "content/demo/cited.md:10: bibliography file not found: content/demo/gone.bib" in errors(site)
    (site / "content/demo/refs.bib").write_text("@article{x,\n  title = {unclosed\n\n@book{y,}\n")
    assert any(e.startswith("content/demo/refs.bib:4: invalid BibTeX:") for e in errors(site))


HOSTILE = '<script>alert("x")</script> \' "q"'


def test_every_field_is_escaped(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site", base="citations")
    toml = (site / "site.toml").read_text().replace('title = "Fixture Site"',
                                                      "title = '''Site " + HOSTILE + "'''")
    toml = toml.replace('name = "The Lab"', "name = '''Lab " + HOSTILE + "'''")
    (site / "site.toml").write_text(toml)
    text = article(site).read_text()
    for field in ("title: A Well-Cited Article", "description: Cites many things.",
                  "name: Ada Lovelace"):
        key = field.split(":")[0]
        text = text.replace(field, f"{key}: {json.dumps(field.split(': ')[1] + ' ' + HOSTILE)}", 1)
    article(site).write_text(text)
    bib = (site / "content/demo/refs.bib").read_text()
    bib = bib.replace("title = {Curve Detectors}", "title = {Curve <script>alert(1)</script> \"q\"}")
    bib = bib.replace("journal = {Distill},\n  year = {2020},\n  doi = {10.23915/distill.00024.003}",
                      "journal = {<b>Dist</b>},\n  year = {2020},\n  doi = {10.23915/distill.00024.003}")
    (site / "content/demo/refs.bib").write_text(bib)
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    for page in (site / "_site").rglob("*.html"):
        html = page.read_text()
        assert "<script>alert" not in html, page
        assert "<b>Dist</b>" not in html, page
        for script in re.findall(r"<script[^>]*>(.*?)</script>", html, re.DOTALL):
            assert "</" not in script and "<script" not in script
    html = (site / "_site/demo/cited/index.html").read_text()
    assert 'content="A Well-Cited Article &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &#39; &#34;q&#34;' in html
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL).group(1))
    assert data["headline"].endswith(HOSTILE)
    assert data["author"][0]["affiliation"][0]["name"] == "Lab " + HOSTILE
    assert "Curve &lt;script&gt;alert(1)&lt;/script&gt; &#34;q&#34;" in html
    feed = (site / "_site/demo/feed.xml").read_text()
    assert "<script>" not in feed and "&lt;script&gt;" in feed
