"""MyST-style directives (```` ```{name} ````) and roles (``{name}`text` ``).

A directive or role is a plain function marked with :func:`directive` or :func:`role`; adding
one is a new module in this package, listed in generator/registry.py's ``BUILTIN_MODULES``.
Options are declared as a pydantic model, so a bad or unknown option is reported with its line
before anything renders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class Options(BaseModel):
    """Base for directive options: unknown options are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class Call:
    """One use of a directive or role in a document, with its source position."""

    name: str
    path: Path
    line: int
    argument: str = ""
    kind: Literal["directive", "role"] = "directive"
    options: Any = None
    body: str = ""
    tokens: list = field(default_factory=list)
    """Parsed body tokens, for directives whose body is Markdown."""
    document: Any = None
    """The document the call appears in (set by the resolve stage)."""
    number: int | None = None
    """Figure/equation number assigned during resolve, if any."""
    data: dict = field(default_factory=dict)
    """What the directive's ``check`` resolved (assets, targets), for its renderer."""
    option_lines: dict[str, int] = field(default_factory=dict)
    """File line of each option the author wrote (``:units: 0-7``), for errors about its value."""

    def line_of(self, option: str) -> int:
        """The line of ``:option:`` if the author wrote it, else the directive's line."""
        return self.option_lines.get(option, self.line)


@dataclass(frozen=True)
class Directive:
    name: str
    render: Callable[[Call, Any], str]
    options: type[Options] = Options
    body: Literal["markdown", "text", "none"] = "markdown"
    check: Callable[[Call, Any], None] | None = None
    """Called during resolve with (call, resolver); may number, register or raise SiteError."""


@dataclass(frozen=True)
class Role:
    name: str
    render: Callable[[Call, Any], str]
    check: Callable[[Call, Any], None] | None = None


def directive(name: str, *, options: type[Options] = Options,
              body: Literal["markdown", "text", "none"] = "markdown", check=None):
    """Mark ``fn(call, ctx) -> html`` as the directive ``name``; a site's registry collects it
    from the module (generator/registry.py)."""
    def mark(fn):
        fn.__directive__ = Directive(name, fn, options, body, check)
        return fn
    return mark


def role(name: str, *, check=None):
    """Mark ``fn(call, ctx) -> html`` as the role ``name`` (collected like a directive)."""
    def mark(fn):
        fn.__role__ = Role(name, fn, check)
        return fn
    return mark
