"""An article's table of contents: its level-2 sections and their level-3 subsections.

Built from the parsed body (the appendix left out) at render time; each entry links to the id
the anchors plugin gave its heading (generator/markdown.py), and its title is the heading's
text without links, cards or notes, which cannot sit inside a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

LEVELS = {"h2": 0, "h3": 1}


@dataclass
class Entry:
    anchor: str
    title: Markup
    children: list[Entry] = field(default_factory=list)


def table_of_contents(tokens: list) -> list[Entry]:
    """The h2 headings of ``tokens``, each with the h3 headings under it (an h3 before any h2
    is listed at the top level)."""
    entries: list[Entry] = []
    for index, token in enumerate(tokens):
        if token.type != "heading_open" or token.tag not in LEVELS or not token.attrGet("id"):
            continue
        entry = Entry(str(token.attrGet("id")), heading_text(tokens[index + 1]))
        if LEVELS[token.tag] and entries:
            entries[-1].children.append(entry)
        else:
            entries.append(entry)
    return entries


def heading_text(inline) -> Markup:
    """A heading's words as HTML: text, code and maths kept; a role shows its argument."""
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline", "myst_role"):
            parts.append(escape(child.content))
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type.startswith("math_inline"):
            parts.append(Markup((child.meta or {}).get("html") or escape(child.content)))
    return Markup("").join(parts)
