"""Inputs tests/test_fuzz.py found (minimised), each through the real CLI: a failure is exit 1
with one-line ``path:line: message`` errors at the line that holds the problem, never a
traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_site, thread_cli

NOTES = "content/notes.md"
CITED = "content/demo/cited.md"
CITED_HEAD = ("---\ntitle: Cited\nauthors:\n  - name: Ada Lovelace\npublished: 2025-02-03\n"
              "bibliography: refs.bib\n---\n")
"""Front matter for content/demo/cited.md, lines 1-7: its body starts on line 8."""
BASE_URL = 'base_url = "https://example.org/fixture"\n'


def errors(tmp_path: Path, base: str, files: dict[str, bytes | str | None]) -> list[str]:
    """Copy fixture ``base``, change ``files`` (None deletes), build: the error lines."""
    site = copy_site(tmp_path / "site", base=base)
    for rel, data in files.items():
        if data is None:
            (site / rel).unlink()
        else:
            (site / rel).write_bytes(data.encode() if isinstance(data, str) else data)
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.split("\n")
    assert lines[-1] == "" and lines[-2].endswith("nothing was written."), result.stderr
    return lines[:-2]


# --- site.toml --------------------------------------------------------------------------------

def test_site_toml_not_utf8(tmp_path: Path) -> None:
    assert errors(tmp_path, "citations", {"site.toml": b"\x80"}) == [
        "site.toml:1: not UTF-8 text: invalid start byte (byte 0x80) (save the file as UTF-8)"]


@pytest.mark.parametrize(("text", "line"), [
    ('title = "x"\nbase_url = [', 2),
    ('title = "x"\nbase_url = "\n\n', 2),
    ('title = "\u2028\u2028\u2028\u2028"\nbase_url = [', 2),  # not line breaks in TOML
])
def test_toml_error_at_end_of_document_is_on_the_last_line(tmp_path: Path, text: str,
                                                             line: int) -> None:
    [error] = errors(tmp_path, "citations", {"site.toml": text})
    assert error.startswith(f"site.toml:{line}: ")


def test_missing_keys_point_at_line_one(tmp_path: Path) -> None:
    assert errors(tmp_path, "citations", {"site.toml": ""}) == [
        "site.toml:1: missing required key 'title'",
        "site.toml:1: missing required key 'base_url'"]


def test_missing_key_of_a_table_points_at_its_header(tmp_path: Path) -> None:
    text = f'title = "x"\n{BASE_URL}\n[affiliations.lab]\nurl = "https://e.org"\n'
    assert errors(tmp_path, "citations", {"site.toml": text}) == [
        "site.toml:4: missing required key 'affiliations.lab.name'"]


def test_unknown_keys_quoted_unicode_dotted_and_in_headers(tmp_path: Path) -> None:
    text = (f'title = "x"\n{BASE_URL}"ünï" = ""\n"a.b" = 1\nsearch.deep = 2\n'
            '[affiliatios.lab]\nname = "L"\n[affiliations."x y"]\nname = "N"\nlogo = "l"\n'
            '[[figures]]\nstore = "s"\n')
    assert errors(tmp_path, "citations", {"site.toml": text}) == [
        "site.toml:3: unknown key 'ünï'",
        "site.toml:4: unknown key 'a.b'",
        "site.toml:5: search: Input should be a valid boolean",
        "site.toml:6: unknown key 'affiliatios'",
        "site.toml:10: unknown key 'affiliations.x y.logo'",
        "site.toml:11: figures: Input should be a valid dictionary or instance of Figures"]


def test_multi_line_values_do_not_hide_later_keys(tmp_path: Path) -> None:
    text = f'title = """\nnope = 1\n"""\nlist = [\n  1,\n]\n{BASE_URL}nope = 2\n'
    assert errors(tmp_path, "citations", {"site.toml": text}) == [
        "site.toml:4: unknown key 'list'", "site.toml:8: unknown key 'nope'"]


@pytest.mark.parametrize("language", ["en\\u0000", "a" * 33, "sr-Latn-RS-u-nu-latn-abcde",
                                      "", "../x", "en_US"])
def test_language_that_would_hang_pagefind_is_an_error(tmp_path: Path, language: str) -> None:
    text = f'title = "x"\n{BASE_URL}language = "{language}"\n'
    [error] = errors(tmp_path, "citations", {"site.toml": text})
    assert error.startswith("site.toml:3: language: ")
    assert error.endswith("is not a language tag like en or de-DE (at most 24 characters)")


# --- site-wide bibliography ---------------------------------------------------------------------

@pytest.mark.parametrize(("bib", "expected"), [
    ("@misc{k, title={\\}}", "shared.bib:1: invalid LaTeX in entry 'k': unknown token '\\\\'"),
    ("%\n@misc{k,\n  title={A},\n  title={B}}\n",
     "shared.bib:2: invalid BibTeX: entry with key k has a duplicate title field"),
    ("@misc{k, author={Last, Jr., First, Extra}}\n",
     "shared.bib:1: invalid BibTeX: Too many commas in 'Last, Jr., First, Extra'"),
    (b"@misc{k,\n title={\xff}}",
     "shared.bib:2: not UTF-8 text: invalid start byte (byte 0xff) (save the file as UTF-8)"),
    (None, "site.toml:1: bibliography file not found: shared.bib"),
])
def test_site_bibliography_errors_are_located(tmp_path: Path, bib, expected: str) -> None:
    assert errors(tmp_path, "citations", {"shared.bib": bib}) == [expected]


# --- front matter -----------------------------------------------------------------------------

@pytest.mark.parametrize("character", ["\x00", "\x0b", "\x1c"])
def test_control_character_in_front_matter_is_one_line(tmp_path: Path, character: str) -> None:
    text = f'---\ntitle: Notes\ndescription: "a{character}b"\n---\n'
    [error] = errors(tmp_path, "basic", {NOTES: text})
    assert error.startswith(f"{NOTES}:3: invalid YAML front matter: unacceptable character #x")
    assert "<unicode string>" not in error


def test_user_text_with_a_newline_is_escaped(tmp_path: Path) -> None:
    text = '---\ntitle: Notes\n"a\\nb\\u2028c": 1\n---\n'
    assert errors(tmp_path, "basic", {NOTES: text}) == [
        f"{NOTES}:3: unknown key 'a\\nb\\u2028c'"]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\u2028\x85"])
def test_unicode_line_separators_do_not_shift_lines(tmp_path: Path, separator: str) -> None:
    text = f'---\ntitle: "a{separator}b"\ndescription: "c{separator}"\ntags: x\n---\n\n[@nope]\n'
    assert errors(tmp_path, "basic", {NOTES: text}) == [f"{NOTES}:4: unknown key 'tags'"]


def test_unicode_line_separators_do_not_shift_body_lines(tmp_path: Path) -> None:
    head = CITED_HEAD.replace("title: Cited", 'title: "Ci\u2028t\x85ed"')
    body = "\nSee\u2028{ref}`nope`.\n\n```{aside}\n\u2028\n{ref}`gone`\n```\n"
    assert errors(tmp_path, "citations", {CITED: head + body}) == [
        f"{CITED}:9: unknown reference 'nope' (label a figure with :label: first)",
        f"{CITED}:13: unknown reference 'gone' (label a figure with :label: first)"]


def test_value_on_the_next_line_points_at_its_key(tmp_path: Path) -> None:
    text = "---\ntitle: Notes\ntags:\n  - x\ndate:\n  - y\n---\n"
    assert errors(tmp_path, "basic", {NOTES: text}) == [
        f"{NOTES}:3: unknown key 'tags'", f"{NOTES}:5: date: Input should be a valid date"]


def test_alias_points_at_its_key_not_its_anchor(tmp_path: Path) -> None:
    text = "---\ntitle: &id001 Notes\ndescription: x\ntags: *id001\n---\n"
    assert errors(tmp_path, "basic", {NOTES: text}) == [f"{NOTES}:4: unknown key 'tags'"]


@pytest.mark.parametrize(("line", "expected"), [
    ("-120363345: ''", "key '-120363345' is not text (write it in quotes: \"-120363345\")"),
    ("null: '%'", "key 'null' is not text (write it in quotes: \"null\")"),
    ("? [a]\n: 1", "a key must be text, not a list or mapping"),
    ("title: Again", "repeated key 'title' (YAML would keep only the last value: remove one)"),
])
def test_keys_not_text_or_repeated(tmp_path: Path, line: str, expected: str) -> None:
    text = f"---\ntitle: Notes\ndate: 2025-04-01\n{line}\n---\n"
    assert errors(tmp_path, "basic", {NOTES: text}) == [f"{NOTES}:4: {expected}"]


def test_repeated_key_inside_a_list(tmp_path: Path) -> None:
    head = CITED_HEAD.replace("  - name: Ada Lovelace\n", "  - name: Ada\n    name: Bob\n")
    assert errors(tmp_path, "citations", {CITED: head}) == [
        f"{CITED}:5: repeated key 'name' (YAML would keep only the last value: remove one)"]


# --- Markdown body ----------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "line"), [
    ("`code\nspan` then {ref}`nope`\n", 10),
    ("<span\nclass=x> [@missing]\n", 10),
    ("$a\nb$ then [@missing]\n", 10),
    ("[a\nlink](x) [@missing]\n", 10),
    ("`one\ntwo\nthree` {ref}`nope`\n", 11),
    ("| a |\n|---|\n| `x` [@missing] |\n", 11),
    ("Text ^[a note\nwith [@missing]]\n", 10),
    ("A {cite}`\nand on {cite}`.\n", 10),
    ("A {cite}`olah2020zoom,\nmissing`.\n", 10),
    ("A [@olah2020zoom;\n  @missing].\n", 10),
    ("A [@olah2020zoom;\n@noyear\n; @@missing].\n", 11),
    ("A {ref}`\nnope`.\n", 10),
])
def test_lines_after_inline_spans_that_cross_lines(tmp_path: Path, body: str, line: int) -> None:
    [error] = errors(tmp_path, "citations", {CITED: CITED_HEAD + "\n" + body})
    assert error.startswith(f"{CITED}:{line}: unknown ")


def test_long_language_tag_within_the_limit_builds(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    tag = "sr-Latn-RS-u-nu-latn-abc"
    assert len(tag) == 24
    toml = site / "site.toml"
    toml.write_text(f'language = "{tag}"\n' + toml.read_text())
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    assert f'<html lang="{tag}">' in (site / "_site/index.html").read_text()
