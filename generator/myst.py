"""MyST Markdown's block syntax, on top of the directives and roles of generator/markdown.py.

- ``(label)=`` before a heading, paragraph or labelled directive names it for ``{ref}``;
- ``% comment`` lines are dropped, ``+++`` block breaks too (MyST semantics);
- ``:::{name} args`` … ``:::`` colon fences are directives, exactly like backtick fences;
  ``:::class-name`` (no braces) is a ``{container}`` with that class, anything else an error;
- ``{{ name }}`` is replaced by the front matter's ``substitutions: {name: Markdown}``;
- field lists (``:name: text``) and definition lists (``term`` / ``: definition``).

The parsing is mdit-py-plugins'; this module turns its tokens into what the rest of the
generator already knows (``fence``, labelled headings, inline tokens) or into errors at a line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.colon_fence import colon_fence_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.field_list import fieldlist_plugin
from mdit_py_plugins.myst_blocks import myst_block_plugin
from mdit_py_plugins.substitution import substitution_plugin

from generator.errors import did_you_mean

SUBSTITUTION_NAME = re.compile(r"^[A-Za-z_][\w-]*$")
CODE_DIRECTIVE = re.compile(r"^\{(code-block|code|sourcecode)\}\s*(.*)$")
"""MyST's code directives: the argument is the language."""
CONTAINER_CLASSES = re.compile(r"^-?[A-Za-z_][\w-]*(\s+-?[A-Za-z_][\w-]*)*$")
SUBSTITUTION = re.compile(r"\{\{(.*?)\}\}")
MAX_SUBSTITUTION_DEPTH = 8
"""A substitution's value may use others; deeper than this is taken for a loop."""
LABEL_OPTIONS = ("label",)
"""Directive options a ``(label)=`` target fills in (figure, builder figures, admonitions)."""


def myst_plugin(md: MarkdownIt, parse_nested: Callable[[str, int, dict], list[Token]]) -> None:
    """Add MyST's block syntax; used after the directive and label rules are in place.
    ``parse_nested(text, body_line, env)`` parses a directive's title like its body."""
    md.use(colon_fence_plugin)
    md.use(myst_block_plugin)
    md.use(substitution_plugin)
    md.use(deflist_plugin)
    md.use(fieldlist_plugin)
    md.core.ruler.before("directives", "myst_fences", _fences_rule)
    md.core.ruler.after("directives", "myst_titles", partial(_titles_rule, parse_nested))
    md.core.ruler.before("labels", "myst_targets", _targets_rule)
    md.core.ruler.after("inline", "myst_substitutions", partial(_substitutions_rule, parse_nested))
    for name in ("myst_line_comment", "myst_block_break"):
        md.add_render_rule(name, lambda *args: "")
    md.add_render_rule("myst_target", _render_target)


def _line(env: dict, body_line: int) -> int:
    return body_line + 1 + env["line_offset"]


# --- colon fences -------------------------------------------------------------------------------

def _fences_rule(state) -> None:
    """Colon fences become backtick fences, so the directive rule treats both alike; MyST's
    code directives become the plain fences they mean."""
    env = state.env
    for token in state.tokens:
        if token.type == "colon_fence":
            _colon_fence(token, env)
        if token.type == "fence" and CODE_DIRECTIVE.match(token.info.strip()):
            _code_fence(token, env)


def _colon_fence(token: Token, env: dict) -> None:
    token.type, token.tag = "fence", "code"
    if CONTAINER_CLASSES.match(token.info.strip()):  # ':::bg-primary' is a styled <div>
        token.info = "{container} " + token.info.strip()
    elif not token.info.strip().startswith("{"):
        written = f"{token.markup} {token.info.strip()}".strip()
        env["errors"].add(env["path"], _line(env, token.map[0]),
                          f"colon fence '{written}' names no directive",
                          "name it in braces, ':::{note}', or give CSS classes, ':::my-class'")
        token.type, token.meta = "directive", {"call": None}  # reported: renders nothing


def _code_fence(token: Token, env: dict) -> None:
    """```` ```{code-block} python ```` is ```` ```python ````; options are not supported."""
    match = CODE_DIRECTIVE.match(token.info.strip())
    lines = token.content.split("\n")
    if lines and (lines[0].strip() == "---" or re.match(r"^:[\w-]+:", lines[0])):
        option = lines[0].strip() if lines[0].strip() != "---" else "---"
        env["errors"].add(env["path"], _line(env, token.map[0]) + 1,
                          f"{{{match.group(1)}}} options are not supported ('{option}')",
                          "write the code alone; give a caption with a figure or a sentence")
        token.type, token.meta = "directive", {"call": None}
        return
    token.info = match.group(2).strip()


# --- directive options as YAML -----------------------------------------------------------------

class OptionsBlockError(ValueError):
    """A directive's ``---`` options block that is not a mapping; ``row``: its line in the body."""

    def __init__(self, message: str, row: int) -> None:
        super().__init__(message)
        self.row = row


def yaml_options(lines: list[str]) -> tuple[dict[str, tuple[str, int]], int] | None:
    """Options given MyST's other way, a YAML mapping between ``---`` lines at the top of a
    directive: ``{name: (value as text, row)}`` and the body's first row; None without one."""
    if not lines or lines[0].strip() != "---":
        return None
    end = next((row for row in range(1, len(lines)) if lines[row].strip() == "---"), None)
    if end is None:
        raise OptionsBlockError("the options block that starts with '---' is not closed", 0)
    try:
        mapping = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise OptionsBlockError(f"invalid YAML ({getattr(exc, 'problem', None) or exc})",
                                1 + (mark.line if mark else 0)) from None
    if not isinstance(mapping, dict):
        raise OptionsBlockError("the options block is not a mapping of keys to values", 1)
    options = {}
    for key, value in mapping.items():
        row = next((r for r in range(1, end) if lines[r].lstrip().startswith(f"{key}:")), 1)
        options[str(key).replace("-", "_")] = (_option_text(value), row)
    return options, end + 1


def _option_text(value) -> str:
    """A YAML value as the text a ``:key: value`` line would hold."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return "" if value is None else str(value).strip()


# --- admonition titles --------------------------------------------------------------------------

def _titles_rule(parse_nested, state) -> None:
    """A directive that takes a Markdown title (``{admonition} A *title*``) gets it parsed here,
    at the directive's line, as the first tokens of its body."""
    env = state.env
    for token in state.tokens:
        call = (token.meta or {}).get("call") if token.type == "directive" else None
        if call is None or call.options is None or not call.argument:
            continue
        spec = env["registry"].directives[call.name]
        if getattr(spec.render, "markdown_title", False):
            title = parse_nested(call.argument, token.map[0], env)
            call.data["title_tokens"] = len(title)
            call.tokens = title + call.tokens


# --- targets ------------------------------------------------------------------------------------

def _targets_rule(state) -> None:
    """Give each ``(label)=`` to the block after it: a heading's id, a directive's ``:label:``,
    or an anchor that ``{ref}`` can link to with its own text."""
    tokens, env = state.tokens, state.env
    for index, token in enumerate(tokens):
        if token.type != "myst_target":
            continue
        name, line = token.content.strip(), _line(env, token.map[0])
        first = env.setdefault("myst_targets", {}).setdefault(name, line)
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if first != line:
            env["errors"].add(env["path"], line, f"target '({name})=' is already used at line "
                              f"{first}", "give each target its own name")
        elif following is None or following.type.endswith("_close"):
            env["errors"].add(env["path"], _line(env, token.map[0]),
                              f"target '({name})=' is not followed by anything to label",
                              "put it on the line before a heading, paragraph or figure")
        elif following.type == "heading_open":
            _label_heading(following, name, token, env)
        elif following.type == "directive":
            _label_directive(following, name, token, env)
        else:
            token.meta = {**(token.meta or {}), "anchor": name}


def _label_heading(heading: Token, name: str, target: Token, env: dict) -> None:
    if heading.attrGet("id") and heading.attrGet("id") != name:
        env["errors"].add(env["path"], _line(env, target.map[0]),
                          f"heading has two labels: '({name})=' and '{{#{heading.attrGet('id')}}}'",
                          "keep one")
        return
    heading.attrSet("id", name)


def _label_directive(token: Token, name: str, target: Token, env: dict) -> None:
    call = token.meta.get("call")
    if call is None or call.options is None:
        return  # the directive has an error already
    field = next((f for f in LABEL_OPTIONS if f in type(call.options).model_fields), None)
    if field is None:
        target.meta = {**(target.meta or {}), "anchor": name}
        return
    given = getattr(call.options, field)
    if given and given != name:
        env["errors"].add(env["path"], _line(env, target.map[0]),
                          f"{call.name} has two labels: '({name})=' and ':{field}: {given}'",
                          "keep one")
        return
    call.options = call.options.model_copy(update={field: name})


def target_anchors(tokens: list[Token], nested: bool = False):
    """``(label, kind, title)`` of each target before a plain block (paragraph, list...) and,
    inside directive bodies, of each labelled heading (the document's own are numbered)."""
    for token in tokens:
        meta = token.meta or {}
        if token.type == "myst_target" and meta.get("anchor"):
            yield meta["anchor"], "target", ""
        elif nested and token.type == "heading_open" and meta.get("label"):
            yield meta["label"], "section", meta.get("title", "")
        call = meta.get("call") if token.type == "directive" else None
        if call is not None:
            yield from target_anchors(call.tokens, nested=True)


def plain_text(tokens: list[Token]) -> str:
    """The words of parsed inline Markdown, for a link's text or an ARIA label."""
    words = []
    for token in tokens:
        if token.type in ("text", "code_inline"):
            words.append(token.content)
        words.append(plain_text(token.children or []))
    return "".join(words)


def _render_target(self, tokens, idx, options, env) -> str:
    anchor = (tokens[idx].meta or {}).get("anchor")
    if not anchor or env.get("preview"):
        return ""
    return f'<span class="target" id="{_attr(anchor)}"></span>\n'


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;"))


# --- substitutions ------------------------------------------------------------------------------

def document_env(document) -> dict:
    """What a document's parse needs from its front matter: its substitutions."""
    return {"substitutions": dict(getattr(document.meta, "substitutions", None) or {})}


def _substitutions_rule(parse_nested, state) -> None:
    """``{{ name }}`` → the parsed Markdown of ``substitutions: {name: ...}`` (front matter):
    blocks on a line of their own (a value may hold paragraphs, lists, directives), else inline."""
    if "{{" not in state.src:
        return
    tokens, env = state.tokens, state.env
    depth = env.get("substitution_depth", 0)
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "substitution_block":
            line = _line(env, token.map[0])
            blocks = []
            if _usable(token.content, line, env, depth):
                env["substitution_depth"] = depth + 1
                try:
                    blocks = parse_nested(env["substitutions"][token.content], token.map[0], env)
                finally:
                    env["substitution_depth"] = depth
            tokens[index:index + 1] = blocks
            index += len(blocks)
            continue
        if token.type == "inline" and any(c.type == "substitution_inline"
                                          for c in token.children or []):
            first = _line(env, token.map[0]) if token.map else _line(env, 0)
            token.children = _expand_children(state.md, token.children, first, env, depth)
            token.content = _substitute_text(token.content, env)  # a heading's card title
        index += 1


def _substitute_text(text: str, env: dict) -> str:
    values = env.get("substitutions") or {}
    return SUBSTITUTION.sub(lambda m: values.get(m.group(1).strip(), m.group()), text)


def _expand_children(md: MarkdownIt, children: list[Token], first: int, env: dict,
                     depth: int) -> list[Token]:
    expanded: list[Token] = []
    for child in children:
        if child.type != "substitution_inline":
            expanded.append(child)
            continue
        row = (child.meta or {}).get("row", 0)
        expanded += _expand(md, child.content, first + row, {"row": row}, env, depth)
    return expanded


def _expand(md: MarkdownIt, name: str, line: int, meta: dict, env: dict,
            depth: int) -> list[Token]:
    """The inline tokens of substitution ``name``, each given ``meta`` (its row)."""
    if not _usable(name, line, env, depth):
        return [Token("text", "", 0, content="", meta=dict(meta))]
    children: list[Token] = []
    md.inline.parse(env["substitutions"][name], md, env, children)
    for child in children:
        child.meta = {**(child.meta or {}), **meta}
        if "row" not in meta:
            child.meta.pop("row", None)
    return _expand_children(md, children, line - meta.get("row", 0), env, depth + 1)


def _usable(name: str, line: int, env: dict, depth: int) -> bool:
    """Whether ``{{ name }}`` can be replaced; if not, the error is told at ``line``."""
    values = env.get("substitutions") or {}
    problem = (f"'{{{{ {name} }}}}': only a name can be substituted (no expressions or filters)"
               if not SUBSTITUTION_NAME.match(name) else
               f"unknown substitution '{name}'" if name not in values else
               f"substitution '{name}' nests more than {MAX_SUBSTITUTION_DEPTH} deep (a loop?)"
               if depth >= MAX_SUBSTITUTION_DEPTH else None)
    if problem:
        hint = ("write \\{{ for literal braces" if not SUBSTITUTION_NAME.match(name) else
                did_you_mean(name, set(values)) or
                ("define it under 'substitutions:' in the front matter" if not values else
                 f"substitutions here: {', '.join(sorted(values))}"))
        env["errors"].add(env["path"], line, problem, hint)
    return problem is None
