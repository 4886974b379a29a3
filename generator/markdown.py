"""The markdown-it-py instance: CommonMark, tables, footnotes, anchors, math, directives, roles.

Parsing happens once, in the load stage, and keeps source lines: every token's ``map`` is relative
to the Markdown body, and ``env["line_offset"]`` turns it into a line of the file.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.attrs import attrs_block_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.myst_role import myst_role_plugin
from mdit_py_plugins.myst_role.index import myst_role
from pydantic import ValidationError
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from generator.directives import Call
from generator.directives.cite import pandoc_citations_plugin
from generator.distill_markup import distill_markup_plugin
from generator.errors import ErrorCollector, did_you_mean
from generator.maths import MathError, to_mathml
from generator.myst import OptionsBlockError, myst_plugin, yaml_options

DIRECTIVE_INFO = re.compile(r"^\{([^{}\s]+)\}\s*(.*)$")
"""```` ```{name} args ````; any name in braces, so ```` ```{py:function} ```` is an unknown
directive (told at its line), never a code block."""
ROLE_OPENING = re.compile(r"\{[^}]*\}`+")
OPTION_LINE = re.compile(r"^:([A-Za-z][\w-]*):\s*(.*)$")
CODE_FORMATTER = HtmlFormatter(cssclass="highlight", nowrap=True)
MAX_NOTE_CHAIN = 32
"""Cards nest: a chain of notes each citing the next renders each card inside the last."""


def highlight_code(code: str, lang: str, _attrs: str) -> str:
    """Pygments at build time; unknown languages are shown as plain escaped text."""
    try:
        lexer = get_lexer_by_name(lang) if lang else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return ""
    spans = highlight(code, lexer, CODE_FORMATTER)
    # tabindex: a block that scrolls sideways must be reachable by keyboard (axe, WCAG 2.1.1)
    return (f'<pre class="highlight" tabindex="0"><code class="language-{escapeHtml(lang)}">'
            f'{spans}</code></pre>')



MYST_BLOCK_RULES = ["colon_fence", "substitution_block", "myst_line_comment", "myst_block_break",
                    "myst_target", "deflist", "fieldlist"]
"""MyST's block rules: each is tried at every block of every document, ~6 % of parsing."""
MYST_BLOCK_SYNTAX = re.compile(
    r"^[^\S\n]*(?:[>*+\-][^\S\n]*|\d{1,9}[.)][^\S\n]*|\[\^[^\]\n]*\]:[^\S\n]*)*"  # containers
    r"(?::|~[ \t]|%|\+[ \t]*\+[ \t]*\+|\{\{|\([^\n]*\)=[^\S\n]*$)", re.MULTILINE)
"""A line where one of those rules could start (after quote, list and footnote markers);
where no line matches, parsing without them gives the same tokens. False alarms (a code
line starting with ``%``) only cost the time saved."""


def markdown_for(text: str) -> MarkdownIt:
    """The configured parser, without MyST's block rules when ``text`` cannot use them."""
    return create_markdown() if MYST_BLOCK_SYNTAX.search(text) else _without_myst_blocks()


@lru_cache(maxsize=1)
def _without_myst_blocks() -> MarkdownIt:
    md = _configured()
    md.block.ruler.disable(MYST_BLOCK_RULES)
    return md


@lru_cache(maxsize=1)
def create_markdown() -> MarkdownIt:
    """The configured parser (one per process)."""
    return _configured()


def _configured() -> MarkdownIt:
    """A parser with every plugin; plugins are listed here and nowhere else."""
    md = MarkdownIt("commonmark", {"highlight": highlight_code, "typographer": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(attrs_block_plugin)
    md.use(footnote_plugin)
    md.use(anchors_plugin, min_level=2, max_level=4)
    md.use(dollarmath_plugin, allow_space=False, double_inline=True)
    md.use(myst_role_plugin)
    md.inline.ruler.at("myst_role", _role_keeping_lines)
    md.use(pandoc_citations_plugin)
    md.inline.ruler.before("text", "rows", _rows_rule)
    md.inline.ruler2.before("balance_pairs", "rows_end", _rows_end_rule)
    md.core.ruler.after("block", "directives", _directives_rule)
    md.core.ruler.before("anchor", "labels", _labels_rule)
    md.core.ruler.push("positions", _positions_rule)
    md.core.ruler.push("footnote_loops", _footnote_loops_rule)
    md.use(myst_plugin, parse_nested=_parse_nested)
    md.use(distill_markup_plugin)  # after "positions": it reports leftovers at their lines
    md.add_render_rule("directive", _render_directive)
    md.add_render_rule("myst_role", _render_role)
    md.add_render_rule("math_inline", _render_math)
    md.add_render_rule("math_inline_double", _render_math)
    md.add_render_rule("math_block", _render_math)
    md.add_render_rule("math_block_label", _render_math)
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("footnote_caption", lambda self, tokens, idx, options, env:
                       str(tokens[idx].meta["id"] + 1))
    md.add_render_rule("footnote_block_open", lambda *args: '<ol class="footnotes-list">\n')
    md.add_render_rule("footnote_block_close", lambda *args: "</ol>\n")
    return md


def parse(text: str, path: Path, line_offset: int, errors: ErrorCollector,
          env: dict | None = None, registry=None) -> tuple[list[Token], dict]:
    """Parse a Markdown body; problems go to ``errors`` with file lines. ``registry`` (the
    site's :class:`generator.registry.Registry`; built-ins alone if None) names the directives
    and roles, and stays in ``env`` for the stages that check and render them."""
    if registry is None:
        from generator.registry import builtin_registry

        registry = builtin_registry()
    env = env if env is not None else {}
    env.update(path=path, line_offset=line_offset, errors=errors, registry=registry)
    return markdown_for(text).parse(text, env), env


def render(tokens: list[Token], env: dict) -> str:
    md = create_markdown()
    return md.renderer.render(tokens, md.options, env)


def file_line(token_line: int, env: dict) -> int:
    """File line of a 0-based body line."""
    return token_line + 1 + env["line_offset"]


# --- directives -----------------------------------------------------------------------------

def _directives_rule(state) -> None:
    """Turn ```` ```{name} ```` fences into validated ``directive`` tokens."""
    for index, token in enumerate(state.tokens):
        if token.type != "fence":
            continue
        match = DIRECTIVE_INFO.match(token.info.strip())
        if match:
            state.tokens[index] = _directive_token(token, match, state.env)


def _directive_token(fence: Token, match: re.Match, env: dict) -> Token:
    name, argument = match.group(1), match.group(2).strip()
    line = file_line(fence.map[0], env)
    token = Token("directive", "div", 0, map=fence.map, level=fence.level, block=True)
    known = env["registry"].directives
    spec = known.get(name)
    if spec is None:
        hint = did_you_mean(name, set(known)) or f"known directives: {', '.join(sorted(known))}"
        env["errors"].add(env["path"], line, f"unknown directive '{name}'", hint)
        token.meta = {"call": None}
        return token
    try:
        raw_options, body, first_body = _split_options(fence.content)
    except OptionsBlockError as exc:
        env["errors"].add(env["path"], line + 1 + exc.row, f"options of directive '{name}': "
                          f"{exc}", "write one 'key: value' per line between the '---' lines")
        token.meta = {"call": None}
        return token
    call = Call(name, env["path"], line, argument, body=body,
                option_lines={key: line + 1 + index for key, (_, index) in raw_options.items()})
    call.options = _validate_options(spec, raw_options, call, env)
    if spec.body == "markdown" and call.body.strip():
        call.tokens = _parse_nested(call.body, fence.map[0] + 1 + first_body, env)
    token.meta = {"call": call}
    return token


def _split_options(content: str) -> tuple[dict[str, tuple[str, int]], str, int]:
    """Options, body and the body's first line; lines as markdown-it counts them (``\\n``
    only: ``str.splitlines`` would also break at U+2028 and shift the body's lines)."""
    lines = content.split("\n")
    block = yaml_options(lines)  # MyST's other form: a YAML mapping between '---' lines
    if block is not None:
        options, index = block
        return options, "\n".join(lines[index:]), index
    options: dict[str, tuple[str, int]] = {}
    index = 0
    while index < len(lines) and (m := OPTION_LINE.match(lines[index])):
        options[m.group(1).replace("-", "_")] = (m.group(2).strip(), index)
        index += 1
    if index < len(lines) and not lines[index].strip():
        index += 1
    return options, "\n".join(lines[index:]), index


def _validate_options(spec, raw: dict, call: Call, env: dict):
    try:
        return spec.options.model_validate({key: value for key, (value, _) in raw.items()})
    except ValidationError as exc:
        for item in exc.errors():
            key = str(item["loc"][0]) if item["loc"] else ""
            line = call.line + 1 + raw[key][1] if key in raw else call.line
            message = (f"unknown option ':{key}:' for directive '{call.name}'"
                       if item["type"] == "extra_forbidden" else
                       f"missing option ':{key}:' for directive '{call.name}'"
                       if item["type"] == "missing" else
                       f"option ':{key}:' of directive '{call.name}': "
                       f"{item['msg'].removeprefix('Value error, ')}")
            hint = (_option_hint(key, spec.options, call.name)
                    if item["type"] == "extra_forbidden" else None)
            env["errors"].add(call.path, line, message, hint)
        return None


def _option_hint(key: str, options, name: str) -> str:
    """The closest known option, else the ones ``name`` knows."""
    known = [field.alias or field_name for field_name, field in options.model_fields.items()]
    return did_you_mean(key, set(known)) or (
        f"'{name}' knows {', '.join(f':{o}:' for o in known)}" if known else
        f"'{name}' takes no options")


def _parse_nested(body: str, body_line: int, env: dict) -> list[Token]:
    """Parse a directive body as Markdown, keeping lines relative to the outer body."""
    outer = env["line_offset"]
    env["line_offset"] = outer + body_line
    md = create_markdown()
    # Footnotes referenced in a body belong to the document's list, which the outer parse's
    # footnote tail emits; each parse reads its rule list once, when it starts.
    md.core.ruler.disable("footnote_tail")
    try:
        tokens = md.parse(body, env)
    finally:
        md.core.ruler.enable("footnote_tail")
        env["line_offset"] = outer
    for token in walk(tokens):
        if token.map:
            token.map = [token.map[0] + body_line, token.map[1] + body_line]
    return tokens


def walk(tokens: list[Token]):
    """Every token, children after their parent, in document order."""
    for token in tokens:
        yield token
        if token.children:
            yield from walk(token.children)


# --- raw HTML ---------------------------------------------------------------------------------

HTML_TYPES = frozenset({"html_block", "html_inline"})


def tokens_of(tokens: list[Token], types: frozenset[str]) -> list[Token]:
    """The tokens of these types, inline children and directive bodies included, in document
    order (one pass serves several checks: a document has some 600 tokens)."""
    found: list[Token] = []

    def visit(tokens: list[Token]) -> None:
        for token in tokens:
            if token.type in types:
                found.append(token)
            if token.children:
                visit(token.children)
            if token.meta and (call := token.meta.get("call")) is not None:
                visit(call.tokens)

    visit(tokens)
    return found


def raw_html(tokens: list[Token], env: dict) -> list[tuple[int, str]]:
    """(file line, the HTML) of every raw HTML block and inline tag, directive bodies included.

    The parser keeps CommonMark's HTML on either way: turned off, HTML would become literal
    text without a word, so a site with ``raw_html = false`` reports these lines instead."""
    return html_lines(tokens_of(tokens, HTML_TYPES), env)


def html_lines(found: list[Token], env: dict) -> list[tuple[int, str]]:
    """(file line, the HTML) of the raw HTML tokens among ``found``."""
    return [(file_line(token.map[0], env) if token.type == "html_block" else token.meta["line"],
             token.content) for token in found if token.type in HTML_TYPES]


# --- roles, math and positions ---------------------------------------------------------------

def _role_keeping_lines(state, silent: bool) -> bool:
    """mdit-py-plugins' role rule, with the line breaks it turns into spaces put back: a role
    such as ``{cite}`a,\\nb` `` then tells each key at its own line."""
    start = state.pos
    if not myst_role(state, silent):
        return False
    if not silent:
        token = state.tokens[-1]
        opening = ROLE_OPENING.match(state.src, start)
        raw = state.src[opening.end(): opening.end() + len(token.content)] if opening else ""
        if raw.replace("\n", " ") == token.content:
            token.content = raw
    return True


def _rows_rule(state, silent: bool) -> bool:
    """Runs first at each position of an inline parse and never matches: the tokens pushed
    since it last ran began where it last ran, and get that row (line within the inline text).
    Tokens keep no position, and their content is no guide: a code span's line breaks become
    spaces. A one-line text needs no rows: every token is on its first line."""
    if not silent:
        rows = getattr(state, "thread_rows", None)
        if rows is None:
            rows = state.thread_rows = [0, 0, 0, 0] if "\n" in state.src else False
        if rows:
            _mark_rows(state, rows)
    return False


def _rows_end_rule(state) -> None:
    """The tokens the parse pushed after the rows rule last ran."""
    rows = getattr(state, "thread_rows", None)
    if rows:
        _mark_rows(state, rows)


def _mark_rows(state, rows: list[int]) -> None:
    """``rows``: [position where the row was counted, that row, position of the last run,
    tokens seen then]; newlines are counted only when tokens need their row."""
    counted, row, last, seen = rows
    tokens = state.tokens
    if len(tokens) > seen:
        row = (row + state.src.count("\n", counted, last) if last >= counted
               else state.src.count("\n", 0, last))
        for token in tokens[seen:]:
            token.meta["row"] = row
        rows[0], rows[1] = last, row
    rows[2], rows[3] = state.pos, len(tokens)


def _positions_rule(state) -> None:
    """Give inline tokens a file line, check roles and convert math once, at parse time."""
    env = state.env
    ref_lines: dict[int, int] = {}  # an inline note ^[...] has no map: it is where it is cited
    note = None
    for token in state.tokens:
        if token.type in ("math_block", "math_block_label"):
            _convert_math(token, file_line(token.map[0], env), env)
        if token.type == "footnote_open":
            note = token.meta["id"]
        if token.type != "inline" or not token.children:
            continue
        first = file_line(token.map[0], env) if token.map else ref_lines.get(note, file_line(0, env))
        line = first
        for child in token.children:
            line = first + child.meta["row"] if "row" in (child.meta or {}) else line
            child.meta = {**(child.meta or {}), "line": line}
            if child.type == "footnote_ref":
                ref_lines.setdefault(child.meta["id"], line)
            if child.type == "myst_role":
                _check_role(child, line, env)
            elif child.type.startswith("math_inline"):
                _convert_math(child, line, env)


def _footnote_loops_rule(state) -> None:
    """A note whose card shows a note that shows it again would never end: report the loop."""
    cites: dict[int, dict[int, Token]] = {}  # note id → the notes it cites, by first reference
    note = None
    for token in state.tokens:
        if token.type == "footnote_open":
            note = token.meta["id"]
        elif token.type == "footnote_close":
            note = None
        elif note is not None and token.type == "inline":
            for child in token.children or []:
                if child.type == "footnote_ref":
                    cites.setdefault(note, {}).setdefault(child.meta["id"], child)
    env, hint = state.env, "a note's card shows the notes it cites"
    loops = _loops(cites)
    for loop in loops:
        ref = cites[loop[0]][loop[1 % len(loop)]]
        labels = [_note_label(env, n) for n in loop]
        message = (f"footnote {labels[0]} cites itself" if len(loop) == 1 else
                   f"footnotes {' and '.join(labels)} cite each other" if len(loop) == 2 else
                   f"footnotes {' → '.join(labels + labels[:1])} cite each other in a loop")
        env["errors"].add(env["path"], ref.meta["line"], message, hint)
    if loops:
        return
    deepest = max(_chains(cites).items(), key=lambda item: item[1], default=(0, 0))
    if deepest[1] > MAX_NOTE_CHAIN:
        line = next(iter(cites[deepest[0]].values())).meta["line"]
        env["errors"].add(env["path"], line, f"footnote {_note_label(env, deepest[0])} starts a "
                          f"chain of {deepest[1]} notes each citing the next (at most "
                          f"{MAX_NOTE_CHAIN})", hint)


def _loops(cites: dict[int, dict[int, Token]]) -> list[list[int]]:
    """A shortest loop through each note on one, unless an earlier loop already named it."""
    found: list[list[int]] = []
    named: set[int] = set()
    for start in sorted(cites):
        if start in named:
            continue
        came_from: dict[int, int] = {}
        queue = [start]
        while queue and start not in came_from:
            note = queue.pop(0)
            for nxt in cites.get(note, {}):
                if nxt not in came_from:
                    came_from[nxt] = note
                    queue.append(nxt)
        if start in came_from:
            loop = [start]
            while came_from[loop[-1]] != start:
                loop.append(came_from[loop[-1]])
            found.append(loop[:1] + loop[:0:-1])
            named.update(loop)
    return found


def _chains(cites: dict[int, dict[int, Token]]) -> dict[int, int]:
    """Note id → notes in the longest chain it starts (``cites`` has no loops)."""
    length: dict[int, int] = {}
    for start in cites:
        stack, seen = [start], {start}
        while stack:
            note = stack[-1]
            todo = [n for n in cites.get(note, {}) if n not in length and n not in seen]
            seen.update(todo)
            stack.extend(todo)
            if not todo:
                stack.pop()
                length[note] = 1 + max((length.get(n, 0) for n in cites.get(note, {})), default=0)
    return length


def _note_label(env: dict, note: int) -> str:
    label = env["footnotes"]["list"].get(note, {}).get("label")
    return f"[^{label}]" if label is not None else f"{note + 1}"


def _check_role(token: Token, line: int, env: dict) -> None:
    name = token.meta["name"]
    known = env["registry"].roles
    if name not in known:
        hint = did_you_mean(name, set(known)) or f"known roles: {', '.join(sorted(known)) or 'none'}"
        env["errors"].add(env["path"], line, f"unknown role '{name}'", hint)
        return
    token.meta["call"] = Call(name, env["path"], line, argument=token.content, kind="role")


def _convert_math(token: Token, line: int, env: dict) -> None:
    display = token.type.startswith("math_block") or token.type.endswith("double")
    try:
        token.meta = {**(token.meta or {}), "html": to_mathml(token.content, display)}
    except MathError as exc:
        env["errors"].add(env["path"], line, f"cannot convert math '{token.content.strip()}': {exc}")
        token.meta = {**(token.meta or {}), "html": escapeHtml(token.content)}


def _render_math(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    html = token.meta.get("html") or escapeHtml(token.content)
    if token.type.startswith("math_block"):
        if token.type != "math_block_label":
            return f'<div class="math-display" tabindex="0">{html}</div>\n'
        number = token.meta.get("number", "")
        return (f'<div class="math-display" id="{escapeHtml(token.info)}" tabindex="0">{html}'
                f'<span class="equation-number">({number})</span></div>\n')
    return html


def _labels_rule(state) -> None:
    """Headings given an id by ``{#name}`` are labelled sections; keep their title for cards."""
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.attrGet("id"):
            token.meta = {**(token.meta or {}), "label": str(token.attrGet("id")),
                          "title": tokens[index + 1].content}


def _render_footnote_ref(self, tokens, idx, options, env) -> str:
    """A footnote number whose card shows the note itself (hover, focus or tap); in a preview
    (a cross-reference's card repeats a caption) just the number: the anchor the list's
    back-link goes to must exist once."""
    ctx = env["context"]
    meta = tokens[idx].meta
    number = meta["id"] + 1
    if env.get("preview"):
        return f'<sup class="footnote-ref">{number}</sup>'
    ref_id = f"fnref{number}" + (f":{meta['subId']}" if meta.get("subId", 0) > 0 else "")
    return ctx.card("footnote", number=number, ref_id=ref_id, index=ctx.next_card(),
                    note=ctx.footnote(meta["id"]))


def _render_image(self, tokens, idx, options, env) -> str:
    """A Markdown image: the URL of its file in the site (generator/embeds.py), with its size."""
    token = tokens[idx]
    asset = (token.meta or {}).get("asset")
    if asset is None or "context" not in env:
        return self.image(tokens, idx, options, env)
    attrs = {**token.attrs, "src": env["context"].url(asset.url)}
    if asset.width and asset.height:
        attrs.update(width=str(asset.width), height=str(asset.height))
    attrs.update(loading="lazy", decoding="async")
    return self.image([token.copy(attrs=attrs)], 0, options, env)


def _render_directive(self, tokens, idx, options, env) -> str:
    call = tokens[idx].meta.get("call")
    if call is None or call.options is None:
        return ""
    return env["registry"].directives[call.name].render(call, env["context"])


def _render_role(self, tokens, idx, options, env) -> str:
    call = tokens[idx].meta.get("call")
    if call is None:
        return escapeHtml(tokens[idx].content)
    if call.name == "ref" and env.get("preview"):  # a caption citing its own figure: no card in
        return escapeHtml(call.data.get("text") or call.data["label"].text)  # a card, no loop
    return env["registry"].roles[call.name].render(call, env["context"])


def pygments_css() -> str:
    return CODE_FORMATTER.get_style_defs(".highlight")
