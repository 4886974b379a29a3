"""write_site with outputs still being made (the search index, while Pagefind runs): they are
staged after the others and committed with them; if making them fails, the old site stands."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.write import write_site


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def failing() -> dict:
    raise RuntimeError("Pagefind failed")


@pytest.mark.parametrize("update", [False, True], ids=["fresh", "update"])
def test_later_outputs_are_committed_with_the_others(tmp_path: Path, update: bool) -> None:
    out = tmp_path / "_site"
    previous = write_site({"index.html": b"old", "gone.html": b"x"}, out) if update else None
    outputs = {"index.html": b"new"}
    stamps = write_site(outputs, out, previous,
                        later=lambda: {"pagefind/entry.json": b"{}", "index.html": b"ignored"})
    assert tree(out) == {".thread-site": tree(out)[".thread-site"], "index.html": b"new",
                         "pagefind/entry.json": b"{}"}
    assert list(stamps) == ["index.html", "pagefind/entry.json"]
    assert "pagefind/entry.json" in outputs  # the build's outputs include them afterwards


@pytest.mark.parametrize("update", [False, True], ids=["fresh", "update"])
def test_a_failure_while_waiting_leaves_the_old_site(tmp_path: Path, update: bool) -> None:
    out = tmp_path / "_site"
    previous = write_site({"index.html": b"old"}, out)
    before = tree(out)
    with pytest.raises(RuntimeError, match="Pagefind failed"):
        write_site({"index.html": b"new", "more.html": b"more"}, out,
                   previous if update else None, later=failing)
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]  # no staging left behind
