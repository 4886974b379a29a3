"""Property-based fuzzing of the inputs users write: front matter, Markdown with directives,
BibTeX and site.toml (strategies in tests/fuzz_strategies.py).

Whatever the input, ``thread build`` (with and without ``--no-cache``) must end in one of two
ways: exit 0, or exit 1 having printed only located errors (``path:line: message``, the line
inside the file and, for an error quoting a name the user wrote, the line that holds it) and
the summary line, with the previous ``_site/`` untouched. A traceback, any other exit code, an
unlocated error or a changed ``_site/`` after a failure is a bug.

The budget is small (70 examples a test, about 70 s on two cores) and the examples fixed
(``derandomize``), so CI is quick and reproducible: run the same test locally to get the failing
input minimised (CI skips that, as ``THREAD_FUZZ_SHRINK=0`` does).
``THREAD_FUZZ_EXAMPLES=2000 pytest tests/test_fuzz.py`` runs a longer campaign.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import copy_site, thread_cli, tree_digest
from fuzz_strategies import bibtex_file, markdown_file, markdown_with_body, site_toml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("THREAD_FUZZ_EXAMPLES", "70"))
SHRINK = os.environ.get("THREAD_FUZZ_SHRINK", "0" if os.environ.get("CI") else "1") != "0"
"""Minimising a failing input takes minutes; CI (``CI`` set) reports it as found, within budget."""

FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                print_blob=False, suppress_health_check=list(HealthCheck),
                phases=[p for p in Phase if SHRINK or p is not Phase.shrink])

LOCATED = re.compile(r"(?P<path>[^:\n]+):(?P<line>\d+): .+")
SUMMARY = re.compile(r"(?P<count>\d+) errors?; nothing was written\.")
UNLOCATED_ALLOWED = {
    "not UTF-8 text": re.compile(r"[^:\n]+: not UTF-8 text: .+"),
    "no site.toml": re.compile(r"site\.toml: no site\.toml here.*"),
}
"""Errors about a file as a whole, which have no line to point at: the file cannot be decoded,
or it is not there. Every other error names its line."""

KEPT = {"_site", ".thread-cache"}
"""What a build may leave in the site root besides the fixture's own files."""


@dataclass
class FuzzSite:
    """A built copy of a fixture site; each example changes files, builds, and restores them."""

    root: Path
    originals: dict[str, bytes] = field(default_factory=dict, repr=False)
    last_code: int | None = None
    """The exit code of the last attempt (for campaigns that count outcomes)."""
    last_output: str = ""

    @classmethod
    def build(cls, target: Path, base: str) -> FuzzSite:
        root = copy_site(target, base=base)
        site = cls(root, {p.relative_to(root).as_posix(): p.read_bytes()
                          for p in root.rglob("*") if p.is_file()})
        result = thread_cli("build", "--root", root)
        assert result.exit_code == 0, result.output
        return site

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        """How hypothesis shows this fixture in a failing example: its own dataclass printer
        ignores ``repr=False`` and would print every fixture file (a PNG included)."""
        printer.text(f"FuzzSite(root={str(self.root)!r}, last_code={self.last_code!r}, "
                     f"last_output={self.last_output!r})")

    def text(self, rel: str) -> str:
        return self.originals[rel].decode("utf-8")

    def attempt(self, changes: dict[str, bytes | None], no_cache: bool) -> list[str]:
        """Apply ``changes`` (None deletes a file), build, restore; the property's violations."""
        before = tree_digest(self.root / "_site")
        try:
            for rel, data in changes.items():
                path = self.root / rel
                if data is None:
                    path.unlink()
                else:
                    path.write_bytes(data)
            flags = ["--no-cache"] if no_cache else []
            result = thread_cli("build", "--root", self.root, *flags)
            self.last_output = result.output
            after = tree_digest(self.root / "_site")
        finally:
            self.restore()
        self.last_code = result.exit_code
        files = {**self.originals, **changes}
        return violations(result.exit_code, result.output, before, after, files)

    def restore(self) -> None:
        """Put the fixture's files back and remove what a successful build left elsewhere."""
        for rel, data in self.originals.items():
            path = self.root / rel
            if not path.is_file() or path.read_bytes() != data:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        tops = {rel.split("/")[0] for rel in self.originals} | KEPT
        for path in self.root.iterdir():
            if path.name not in tops:
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


def violations(code: int, output: str, before: dict, after: dict,
               files: dict[str, bytes | None]) -> list[str]:
    """Every way this build broke the property (empty if it held)."""
    if code == 0:
        return []
    if code != 1:
        return [f"exit code {code}:\n{output}"]
    problems = [] if after == before else ["_site/ changed although the build failed"]
    lines = [line for line in output.split("\n") if line.strip()]
    summary = SUMMARY.fullmatch(lines[-1]) if lines else None
    if summary is None:
        return problems + [f"no summary line at the end:\n{output}"]
    errors = lines[:-1]
    if int(summary["count"]) != len(errors):
        problems.append(f"summary counts {summary['count']}, {len(errors)} lines printed")
    return problems + [problem for line in errors if (problem := unlocated(line, files))]


def unlocated(line: str, files: dict[str, bytes | None]) -> str | None:
    """Why ``line`` is not a located error, or None if it is one."""
    located = LOCATED.fullmatch(line)
    if located is None:
        if any(pattern.fullmatch(line) for pattern in UNLOCATED_ALLOWED.values()):
            return None
        return f"unlocated: {line}"
    data = files.get(located["path"])
    if data is None:
        return None
    lines = NEWLINE.split(data.decode("utf-8", errors="replace"))
    number = int(located["line"])
    if not 1 <= number <= len(lines):
        return f"line {number} outside the file ({len(lines)} lines): {line}"
    named = NAMED.search(line)
    name = named and named["name"].split(".")[-1]
    if name and name in "\n".join(lines) and name not in lines[number - 1]:
        return f"points at line {number}, which does not hold '{name}': {line}"
    return None


NEWLINE = re.compile(r"\r\n|\r|\n")
"""Line breaks as editors (and Python's text mode, which the generator reads with) count them."""
NAMED = re.compile(r": (unknown (citation key|reference|role|directive|key|affiliation|option)"
                   r"|broken link) '(?P<name>[^'\n]+)'")
"""Errors that quote a name the user wrote: the line they point at must hold it (when the
name is in the file as written)."""


@pytest.fixture(scope="module")
def basic(tmp_path_factory) -> FuzzSite:
    return FuzzSite.build(tmp_path_factory.mktemp("fuzz") / "site", "basic")


@pytest.fixture(scope="module")
def citations(tmp_path_factory) -> FuzzSite:
    return FuzzSite.build(tmp_path_factory.mktemp("fuzz") / "site", "citations")


def holds(problems: list[str]) -> None:
    assert not problems, "\n".join(problems)


FRONT_MATTER_FILES = ["content/demo/first.md", "content/demo/reply.md", "content/demo/thread.md",
                      "content/notes.md"]


@FUZZ
@given(target=st.sampled_from(FRONT_MATTER_FILES), data=st.data(), no_cache=st.booleans())
def test_front_matter(basic: FuzzSite, target: str, data, no_cache: bool) -> None:
    new = data.draw(markdown_file(basic.text(target)), label=target)
    holds(basic.attempt({target: new}, no_cache))


@FUZZ
@given(data=st.data(), no_cache=st.booleans())
def test_markdown_body(citations: FuzzSite, data, no_cache: bool) -> None:
    target = "content/demo/cited.md"
    new = data.draw(markdown_with_body(citations.text(target)), label=target)
    holds(citations.attempt({target: new}, no_cache))


@FUZZ
@given(target=st.sampled_from(["content/demo/refs.bib", "shared.bib"]), data=st.data(),
       missing=st.integers(0, 9), no_cache=st.booleans())
def test_bibtex(citations: FuzzSite, target: str, data, missing: int, no_cache: bool) -> None:
    new = None if missing == 0 else data.draw(bibtex_file(citations.text(target)), label=target)
    holds(citations.attempt({target: new}, no_cache))


@FUZZ
@given(data=st.data(), no_cache=st.booleans())
def test_site_toml(citations: FuzzSite, data, no_cache: bool) -> None:
    new = data.draw(site_toml(citations.text("site.toml")), label="site.toml")
    holds(citations.attempt({"site.toml": new}, no_cache))


def test_the_property_itself() -> None:
    """The checker accepts located errors and the summary, and rejects everything else."""
    files = {"a.md": b"one\ntwo [@k]\n"}
    fine = "a.md:2: unknown citation key 'k'\n1 error; nothing was written.\n"
    assert violations(1, fine, {}, {}, files) == []
    assert violations(0, "Built 1 pages", {}, {"x": "1"}, files) == []
    changed = violations(1, fine, {}, {"x": "1"}, files)
    assert changed == ["_site/ changed although the build failed"]
    assert violations(2, "Usage: thread", {}, {}, files)
    assert violations(1, fine.replace("a.md:2", "a.md"), {}, {}, files)
    assert violations(1, fine.replace("a.md:2", "a.md:1"), {}, {}, files)
    assert violations(1, fine.replace("a.md:2", "a.md:9"), {}, {}, files)
    assert violations(1, "a.md:2: x\ny\n1 error; nothing was written.\n", {}, {}, files)
    assert violations(1, "a.md: not UTF-8 text: invalid start byte\n1 error; nothing was "
                      "written.\n", {}, {}, files) == []
