"""The one error type users see: a place (path and line), a message and an optional hint."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SiteError(Exception):
    """A problem in the user's input, reported as ``path:line: message``."""

    path: Path | str
    line: int | None
    message: str
    hint: str | None = None
    warning: bool = False
    """A problem that does not stop the build (``thread check --strict`` makes it an error)."""

    def __str__(self) -> str:
        where = str(self.path) if self.line is None else f"{self.path}:{self.line}"
        text = f"{where}: {'warning: ' if self.warning else ''}{self.message}"
        return one_line(f"{text} ({self.hint})" if self.hint else text)


BREAKING = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
"""Control characters (tab aside) and Unicode line separators: text users wrote (a key, a
file name, a citation key) may hold them, and each error must stay on one line."""


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped (``\\n``, ``\\x1c``)."""
    return BREAKING.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class BuildFailed(Exception):
    """Raised by a stage when it found one or more user errors; nothing is written."""

    def __init__(self, errors: list[SiteError]):
        self.errors = sorted(errors, key=_error_order)
        super().__init__("\n".join(str(e) for e in self.errors))


def _error_order(error: SiteError) -> tuple[str, int]:
    return (str(error.path), error.line or 0)


class ErrorCollector:
    """Gathers errors (and warnings) so a stage can report every problem at once."""

    def __init__(self) -> None:
        self.errors: list[SiteError] = []
        self.warnings: list[SiteError] = []

    def add(self, path: Path | str, line: int | None, message: str, hint: str | None = None) -> None:
        self.errors.append(SiteError(path, line, message, hint))

    def warn(self, path: Path | str, line: int | None, message: str,
             hint: str | None = None) -> None:
        self.warnings.append(SiteError(path, line, message, hint, warning=True))

    def extend(self, errors: list[SiteError]) -> None:
        for error in errors:
            (self.warnings if error.warning else self.errors).append(error)

    def raise_if_any(self) -> None:
        """Raise the errors, with the warnings found so far so they are not lost."""
        if self.errors:
            raise BuildFailed(self.errors + self.warnings)

    def paths(self) -> set[str]:
        """The files (site-relative, posix) that have an error."""
        return {Path(error.path).as_posix() for error in self.errors}


LINE_BREAK = re.compile(r"\r\n|\r|\n")
"""Line breaks as editors, markdown-it and pybtex count them. ``str.splitlines`` and YAML also
break at U+2028, U+0085 and others, which would shift every later line number."""


def line_at(text: str, index: int, first: int = 1) -> int:
    """The line of ``text`` holding character ``index``, counting from ``first``."""
    return first + len(LINE_BREAK.findall(text, 0, index))


def did_you_mean(word: str, choices: list[str] | set[str]) -> str | None:
    """A hint naming the closest known spelling, or None."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def decode_error(path: Path | str, exc: UnicodeDecodeError) -> SiteError:
    """``path:line: not UTF-8 text``, at the line of the first byte that is not UTF-8."""
    data = exc.object
    line = data.count(b"\n", 0, exc.start) + 1
    return SiteError(path, line, f"not UTF-8 text: {exc.reason} (byte 0x{data[exc.start]:02x})",
                     "save the file as UTF-8")


def from_validation(exc, path: Path | str, locate) -> list[SiteError]:
    """Turn a pydantic ``ValidationError`` into user errors; ``locate(loc)`` gives a line."""
    errors = []
    for item in exc.errors():
        loc = tuple(item["loc"])
        dotted = ".".join(str(part) for part in loc)
        kind = item["type"]
        if kind == "extra_forbidden":
            message = f"unknown key '{dotted}'"
        elif kind == "missing":
            message = f"missing required key '{dotted}'"
        else:
            message = f"{dotted}: {_clean(item['msg'])}" if dotted else _clean(item["msg"])
        errors.append(SiteError(path, locate(loc), message))
    return errors


def _clean(msg: str) -> str:
    return msg.removeprefix("Value error, ").rstrip(".")
