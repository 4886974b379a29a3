"""Bibliographies as published articles have them (issue 18): repeated keys are warnings at
the repeated entry's line (the first entry wins), ``and others`` reads "et al.", and Pandoc's
citation forms (prefix, locator, suppress-author, in-text ``@key``) render."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import SITES, copy_site, thread_cli

ARTICLE = "content/circuits/zoom.md"
REPEATS = [
    ("content/circuits/refs.bib:27: warning: repeated key 'olah2017feature' (first at line 1); "
    "the first entry wins"),
    ("content/circuits/refs.bib:51: warning: repeated key 'szegedy2015going' (first at line 19); "
    "the first entry wins"),
    ("content/circuits/refs.bib:65: warning: repeated key 'olah2017feature' (first at line 1); "
    "the first entry wins"),
    ("content/circuits/refs.bib:71: warning: repeated key 'Erhan2009Visualizing' (first at line "
    "10); the first entry wins (the first is written 'erhan2009visualizing': keys ignore case)"),
]


def fresh_site(target: Path) -> Path:
    shutil.copytree(SITES / "valid" / "real-bib", target)
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[str, str]:
    site = fresh_site(tmp_path_factory.mktemp("real-bib") / "site")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    return result.output, (site / "_site/circuits/zoom/index.html").read_text()


def without_cards(html: str) -> str:
    """The running text as a reader sees it before hovering."""
    body = html[html.index('<div class="d-body'):html.index('<footer class="d-appendix')]
    return re.sub(r'<span class="hover-card".*?</span></span>', "", body, flags=re.DOTALL)


def numbers(html: str) -> list[str]:
    return re.findall(r'class="cite-link"[^>]*>(\[[^\]]*\])</a>', without_cards(html))


def test_every_repeated_key_is_one_warning_at_its_own_line(built) -> None:
    output, _ = built
    warnings = [line for line in output.splitlines() if "repeated key" in line]
    assert warnings == REPEATS


def test_strict_check_fails_on_repeated_keys(tmp_path: Path) -> None:
    site = fresh_site(tmp_path / "site")
    result = thread_cli("check", "--root", site, "--strict")
    assert result.exit_code == 1
    assert [line for line in result.output.splitlines() if "repeated key" in line] == [
        line for line in REPEATS]
    assert "--strict: warnings are errors." in result.output
    assert thread_cli("check", "--root", site).exit_code == 0


def test_the_first_entry_wins(built) -> None:
    _, html = built
    assert "Feature Visualization" in html
    assert "second copy" not in html and "third copy" not in html
    assert "case differs" not in html
    assert "Chris Olah, Alexander Mordvintsev, Ludwig Schubert." in html


def test_and_others_is_et_al_everywhere(built) -> None:
    _, html = built
    assert not re.search(r"\bothers\b", html)
    appendix = html[html.index('id="references"'):]
    assert "Christian Szegedy, Wei Liu, Yangqing Jia, et al. <span" in appendix
    assert "Nick Cammarata, Gabriel Goh, Shan Carter, et al. <span" in appendix
    assert ('<span class="card-authors">Christian Szegedy, Wei Liu, Yangqing Jia, et al.</span>'
            in html)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html,
                                re.DOTALL).group(1))
    szegedy = next(c for c in data["citation"] if c["name"] == "Going deeper with convolutions")
    assert szegedy["author"] == ["Christian Szegedy", "Wei Liu", "Yangqing Jia"]
    scholar = next(m for m in re.findall(r'name="citation_reference" content="([^"]+)"', html)
                   if "Going deeper" in m)
    assert scholar.count("citation_author=") == 3


def test_pandoc_prefix_locator_and_suppress_author(built) -> None:
    _, html = built
    assert numbers(html) == ["[1]", "[see 2, p. 3]", "[3; 4, chap. 2]", "[1]", "[5]", "[5]",
                             "[6]", "[6, fig. 2]"]
    assert "[-@" not in html and "[see @" not in html


def test_in_text_citations_name_the_authors(built) -> None:
    _, html = built
    text = without_cards(html)
    assert re.search(r'as Olah et al\. <span class="has-card citation"><a [^>]*>\[1\]</a>', text)
    assert re.search(r'as Mordvintsev et al\. <span class="has-card citation">', text)
    assert re.search(r"found by Cammarata et al\. <span [^>]*><a [^>]*>\[6, fig\. 2\]</a>", text)
    assert "author@example.org" in text  # an e-mail address stays text
    assert "and @handle is escaped" in text  # \@ is text


def test_an_at_word_that_is_no_key_is_a_warning(tmp_path: Path) -> None:
    site = fresh_site(tmp_path / "site")
    article = site / ARTICLE
    article.write_text(article.read_text() + "\nFollow @distillpub for news.\n")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    assert (f"{ARTICLE}:17: warning: '@distillpub' is not a citation key of this document's "
            "bibliography; shown as text (write \\@distillpub if it is not a citation)"
            ) in result.output
    assert "Follow @distillpub for news." in (site / "_site/circuits/zoom/index.html").read_text()


def test_unknown_key_in_a_pandoc_citation_is_told_at_its_line(tmp_path: Path) -> None:
    site = fresh_site(tmp_path / "site")
    article = site / ARTICLE
    article.write_text(article.read_text() + "\nMore [see @zeiler2014, p. 9;\n@olah2017featur].\n")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 1
    assert (f"{ARTICLE}:17: unknown citation key 'zeiler2014' (did you mean "
            "'zeiler2014visualizing'?)") in result.output


def test_a_repeat_in_the_site_wide_bibliography_is_told_once(tmp_path: Path) -> None:
    """One warning per file, however many documents use it (issue 18: repeated keys used to be
    an error, tests/test_safety_fuzzed.py had it)."""
    site = copy_site(tmp_path / "site", base="citations")
    shared = site / "shared.bib"
    shared.write_text(shared.read_text() + "@misc{knuth1984, title={B}}\n")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if "repeated" in line] == [
        "shared.bib:7: warning: repeated key 'knuth1984' (first at line 1); the first entry wins"]


def test_myst_in_text_role_matches_the_bare_form(tmp_path: Path) -> None:
    site = fresh_site(tmp_path / "site")
    article = site / ARTICLE
    cited = "{cite:t}`zeiler2014visualizing,olah2017feature`"
    article.write_text(article.read_text() + f"\nAs {cited} did.\n")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    text = without_cards((site / "_site/circuits/zoom/index.html").read_text())
    assert re.search(r"As Zeiler and Fergus <span [^>]*><a [^>]*>\[4\]</a>(</span>)+, Olah "
                     r"et al\. <span [^>]*><a [^>]*>\[1\]</a>(</span>)+ did\.", text)
