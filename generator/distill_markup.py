"""Distill's markup in Markdown: converted into ours, or an error; never passed through.

Articles converted from Distill's HTML template keep its web components, which no page here
loads, so the browser would show their text bare (and a citation would never reach the
references). What has a Markdown form becomes it:

- ``<d-cite key="a,b"></d-cite>`` → a citation, as ``[@a; @b]``;
- ``<d-footnote>…</d-footnote>`` → a footnote, as ``^[…]`` (its text is Markdown);
- ``<d-math>…</d-math>`` → inline maths, as ``$…$``; ``<d-math block>…</d-math>`` →
  display maths, as ``$$…$$`` (a block when it stands alone in its paragraph).

Any other ``<d-…>`` tag (``d-figure``, ``d-article``, ``d-byline``...), and any of the above
inside an HTML block, where Markdown cannot reach it, is an error at its line that names
the Markdown form to write instead.
"""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

TAG = re.compile(r"<\s*/?\s*(d-[a-z0-9-]*)", re.IGNORECASE)
CITE = re.compile(r"""<d-cite(?:\s+(?:key|bibtex-key)\s*=\s*(?:"([^"]*)"|'([^']*)'))?\s*/?>"""
                  r"(?:\s*</d-cite>)?", re.IGNORECASE)
MATH = re.compile(r"<d-math(\s+block(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|\S+))?)?\s*>(.*?)</d-math>",
                  re.IGNORECASE | re.DOTALL)
FOOTNOTE_OPEN = re.compile(r"<d-footnote(?:\s+[^>]*)?>", re.IGNORECASE)
FOOTNOTE_CLOSE = re.compile(r"</d-footnote\s*>", re.IGNORECASE)
BLOCK_MATH = re.compile(rf"\s*{MATH.pattern}\s*", re.IGNORECASE | re.DOTALL)
COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
INLINE_START = re.compile(r"\s*<d-(?:cite|footnote|math)\b", re.IGNORECASE)
ANY_TAG = re.compile(r"<\s*/?\s*d-", re.IGNORECASE)
"""Where this finds nothing, neither rule has work (most documents: a quick look first)."""

INSTEAD = {
    "d-cite": "write [@key], or [@a; @b] for several, in Markdown",
    "d-footnote": "write ^[the note] in Markdown",
    "d-math": "write $…$, or $$…$$ on lines of their own, in Markdown",
    "d-figure": "use the ```{figure} directive",
    "d-code": "use a fenced code block: ```python",
    "d-bibliography": "name the .bib file in the front matter: bibliography: refs.bib",
    "d-footnote-list": "remove it: footnotes are listed at the end of the article",
    "d-citation-list": "remove it: the references are listed at the end of the article",
    "d-front-matter": "move title, authors and dates into the YAML front matter",
    "d-title": "move the title into the front matter: title: and description:",
    "d-byline": "remove it: the byline comes from the front matter's authors",
    "d-article": "remove it: the page template lays out the article",
    "d-appendix": "remove it; mark appendix sections with {.appendix} before their heading",
    "d-toc": "remove it: the theme lays out the page",
    "d-hover-box": "use a footnote ^[…] or a citation: their cards show on hover",
}
"""What to write instead of each Distill component (others: write Markdown or a directive)."""


def distill_markup_plugin(md: MarkdownIt) -> None:
    """Converting rules, and a last rule that reports any ``<d-…>`` tag left as raw HTML
    (added after generator/markdown.py's ``positions`` rule, which gives inline tokens
    their line)."""
    md.inline.ruler.before("html_inline", "distill_inline", _distill_inline)
    # before footnote_tail, which lists the notes the paragraphs made here may add
    md.core.ruler.after("inline", "distill_blocks", _distill_blocks)
    md.core.ruler.push("distill_leftovers", _distill_leftovers)


def _distill_inline(state, silent: bool) -> bool:
    if state.src[state.pos] != "<" or state.src[state.pos + 1: state.pos + 3].lower() != "d-":
        return False
    return any(rule(state, silent) for rule in (_cite, _math, _footnote))


def _cite(state, silent: bool) -> bool:
    match = CITE.match(state.src, state.pos)
    if not match or not (match.group(1) or match.group(2) or "").strip():
        return False  # no key: left as HTML, and reported
    if not silent:
        token = state.push("myst_role", "", 0)
        token.meta = {"name": "cite"}
        token.content = html.unescape(match.group(1) or match.group(2))
    state.pos = match.end()
    return True


def _math(state, silent: bool) -> bool:
    match = MATH.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("math_inline_double" if match.group(1) else "math_inline", "math", 0)
        token.content = html.unescape(match.group(2)).strip()
        token.markup = "d-math"
    state.pos = match.end()
    return True


def _footnote(state, silent: bool) -> bool:
    """A note, as mdit-py-plugins' ``^[…]`` makes one: its text parsed as inline Markdown."""
    opening = FOOTNOTE_OPEN.match(state.src, state.pos)
    closing = FOOTNOTE_CLOSE.search(state.src, opening.end(), state.posMax) if opening else None
    if closing is None:
        return False  # not closed in this paragraph: left as HTML, and reported
    if not silent:
        notes = state.env.setdefault("footnotes", {})
        notes.setdefault("refs", {})
        refs = notes.setdefault("list", {})
        note_id, tokens = len(refs), []
        content = state.src[opening.end():closing.start()].strip()
        refs[note_id] = {"content": content, "tokens": tokens}  # reserved before nested notes
        state.md.inline.parse(content, state.md, state.env, tokens)
        token = state.push("footnote_ref", "", 0)
        token.meta = {"id": note_id}
    state.pos = closing.end()
    return True


def _distill_blocks(state) -> None:
    """``<d-math block>`` on lines of its own (an HTML block to CommonMark), or alone in its
    paragraph → a maths block; an HTML block that starts with ``<d-cite>``, ``<d-footnote>``
    or ``<d-math>`` (the tag alone on its first line) → a paragraph, read as Markdown."""
    if not ANY_TAG.search(state.src):
        return
    tokens, kept = state.tokens, []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "html_block" and (match := BLOCK_MATH.fullmatch(token.content)):
            kept.append(_math_block(token, match.group(2)))
        elif token.type == "html_block" and INLINE_START.match(token.content):
            kept += _paragraph(state, token)
        elif token.type == "paragraph_open" and _lone_display(tokens[index + 1]):
            kept.append(_math_block(token, tokens[index + 1].children[0].content))
            index += 2  # the inline and paragraph_close tokens
        else:
            kept.append(token)
        index += 1
    state.tokens[:] = kept


def _paragraph(state, block: Token) -> list[Token]:
    inline = Token("inline", "", 0, map=block.map, content=block.content.strip())
    inline.children = []
    state.md.inline.parse(inline.content, state.md, state.env, inline.children)
    return [Token("paragraph_open", "p", 1, map=block.map, block=True), inline,
            Token("paragraph_close", "p", -1, block=True)]


def _lone_display(token: Token) -> bool:
    children = [c for c in token.children or [] if not (c.type == "text" and not c.content.strip())]
    return len(children) == 1 and children[0].type == "math_inline_double" and (
        children[0].markup == "d-math")


def _math_block(source: Token, latex: str) -> Token:
    token = Token("math_block", "math", 0, map=source.map, block=True, markup="$$")
    token.content = html.unescape(latex).strip()
    return token


def _distill_leftovers(state) -> None:
    """Every ``<d-…>`` tag still raw HTML is an error at its line (a closing tag only when
    no opening one came before)."""
    env, told, opened = state.env, set(), set()
    if not ANY_TAG.search(state.src) and not env.get("substitutions"):
        return  # a substituted value may bring tags of its own
    for line, token in _raw_html(state.tokens, env):
        for match in TAG.finditer(_without_comments(token.content)):
            name = match.group(1).lower()
            if "/" in match.group(0) and name in opened:
                continue
            opened.add(name)
            where = line + token.content.count("\n", 0, match.start())
            if (where, name) not in told:
                told.add((where, name))
                env["errors"].add(env["path"], where, _message(name, token, match),
                                  INSTEAD.get(name, "write Markdown or a directive instead"))


def _without_comments(content: str) -> str:
    """``<!-- … -->`` blanked out, line breaks kept: a commented-out tag shows nothing."""
    return COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), content)


def _message(name: str, token: Token, match: re.Match) -> str:
    tag = token.content[match.start():].split(">", 1)[0][:60] + ">"
    if name not in ("d-cite", "d-footnote", "d-math"):
        return f"Distill's {tag} is not supported: no page here loads Distill's components"
    why = ("it is inside an HTML block, where Markdown is not read" if token.type == "html_block"
           else "it has no key" if name == "d-cite" else "it is not closed in its paragraph")
    return f"Distill markup {tag} cannot be converted: {why}"


def _raw_html(tokens: list[Token], env: dict):
    """(file line, HTML) of raw HTML blocks and inline tags, footnote texts included (nested
    directive bodies are parsed, and checked, on their own)."""
    for token in tokens:
        if token.type == "html_block" and token.map:
            yield token.map[0] + 1 + env["line_offset"], token
        elif token.type == "html_inline":
            yield (token.meta or {}).get("line", env["line_offset"] + 1), token
        if token.children:
            yield from _raw_html(token.children, env)
