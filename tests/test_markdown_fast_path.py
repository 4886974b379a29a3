"""A document that cannot use MyST's block syntax is parsed without those rules
(generator.markdown.markdown_for): the tokens must be the same as with every rule on."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from generator import markdown
from generator.errors import ErrorCollector
from generator.registry import builtin_registry

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import corpus

# Each MyST block construct, alone and inside the containers it may sit in.
CONSTRUCTS = {
    "colon fence": ":::{note}\nText\n:::\n",
    "field list": ":name: value\n",
    "definition (colon)": "Term\n: Definition\n",
    "definition (tilde)": "Term\n~ Definition\n",
    "line comment": "% a comment\n",
    "block break": "+++\n",
    "block break, spaced": "+ + +\n",
    "target": "(my-label)=\n# Heading\n",
    "substitution block": "{{ name }}\n",
}
CONTAINERS = {
    "top": "{}",
    "quote": "> {}",
    "list": "- {}",
    "ordered list": "3. {}",
    "nested": "> * 1) {}",
    "indented": "  {}",
    "footnote": "Text[^n].\n\n[^n]: {}",
}


def tokens(md, text: str) -> list[tuple]:
    env = {"path": Path("x.md"), "line_offset": 0, "errors": ErrorCollector(),
           "registry": builtin_registry(), "substitutions": {"name": "- a\n- b"}}
    return [_plain(t) for t in md.parse(text, env)]


def _plain(token) -> tuple:
    return (token.type, token.tag, token.content, token.map, token.markup,
            [_plain(child) for child in token.children or []])


def documents() -> list[tuple[str, str]]:
    """Every Markdown body of the demo and the fixture sites, and bench corpus articles."""
    found = []
    for path in sorted([*ROOT.glob("content/**/*.md"), *ROOT.glob("tests/sites/**/*.md")]):
        found.append((str(path.relative_to(ROOT)), body_of(path.read_text(errors="replace"))))
    return found + [(f"corpus-{i}", body_of(corpus.article(i))) for i in range(40)]


def body_of(text: str) -> str:
    """The text after YAML front matter (the whole text where there is none)."""
    if text.startswith("---\n") and "\n---\n" in text[3:]:
        return text[3:].split("\n---\n", 1)[1]
    return text


@pytest.mark.parametrize("name,construct", sorted(CONSTRUCTS.items()))
@pytest.mark.parametrize("container", sorted(CONTAINERS))
def test_every_construct_is_noticed(name, construct, container):
    first, _, rest = construct.partition("\n")
    text = CONTAINERS[container].format(first) + "\n" + rest
    assert markdown.MYST_BLOCK_SYNTAX.search(text), (name, container, text)


@pytest.mark.parametrize("name,construct", sorted(CONSTRUCTS.items()))
def test_the_rules_matter_for_each_construct(name, construct):
    """Proof that the test above tests something: without the rules, each parses differently."""
    full, plain = markdown.create_markdown(), markdown._without_myst_blocks()
    assert tokens(full, construct) != tokens(plain, construct), name


def test_same_tokens_either_way_on_real_documents():
    full, plain = markdown.create_markdown(), markdown._without_myst_blocks()
    skipped = 0
    for name, body in documents():
        if markdown.markdown_for(body) is full:
            skipped += 1
            continue
        assert tokens(plain, body) == tokens(full, body), name
    assert skipped < len(documents()) // 2  # the fast path is taken for most documents


def test_an_image_brought_by_a_substitution_is_still_checked(tmp_path: Path) -> None:
    """Documents without ``<`` or ``![`` skip the image and raw-HTML walk
    (generator.embeds.may_embed); a substituted value can still bring an image."""
    from conftest import build_site, copy_site

    site = copy_site(tmp_path / "site")
    (site / "content" / "demo" / "subst.md").write_text(
        "---\ntitle: Substituted\nauthors:\n  - name: Ada Lovelace\npublished: 2025-01-03\n"
        "substitutions:\n  pic: \"![](https://elsewhere.example/pic.png)\"\n---\n\n"
        "A picture: {{ pic }}\n")
    result = build_site(site)
    assert result.exit_code == 1, result.output
    assert "content/demo/subst.md:" in result.stderr and "no alt text" in result.stderr, \
        result.stderr
