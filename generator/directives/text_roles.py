"""MyST's small inline roles: ``{sub}`2` `` (subscript), ``{sup}`2` `` (superscript) and
``{abbr}`MyST (Markedly Structured Text)` `` (an abbreviation with its expansion)."""

from __future__ import annotations

import re

from markupsafe import escape

from generator.directives import role
from generator.errors import SiteError

ABBREVIATION = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$", re.DOTALL)


@role("sub")
def sub(call, ctx) -> str:
    return f"<sub>{escape(call.argument)}</sub>"


@role("sup")
def sup(call, ctx) -> str:
    return f"<sup>{escape(call.argument)}</sup>"


def check_abbr(call, resolver) -> None:
    match = ABBREVIATION.match(call.argument)
    if not match or not match.group(1):
        raise SiteError(call.path, call.line, "an abbreviation needs its expansion in brackets",
                        "{abbr}`MyST (Markedly Structured Text)`")
    call.data["abbr"] = (match.group(1), match.group(2).strip())


@role("abbr", check=check_abbr)
def abbr(call, ctx) -> str:
    short, title = call.data["abbr"]
    return f'<abbr title="{escape(title)}">{escape(short)}</abbr>'
