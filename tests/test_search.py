"""Full-text search: a Pagefind that crashes or hangs is a located error, not a hung build."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_site, thread_cli, tree_digest

from generator import search


def test_pagefind_out_of_time_is_an_error_at_the_search_setting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = copy_site(tmp_path / "site")
    config = site / "site.toml"
    config.write_text(config.read_text().replace("\n\n", "\nsearch = true\n\n", 1))
    assert thread_cli("build", "--root", site).exit_code == 0
    before = tree_digest(site / "_site")
    (site / "content/demo/first.md").write_text(
        (site / "content/demo/first.md").read_text() + "\nA new paragraph.\n")
    monkeypatch.setattr(search, "PATIENCE", (0.0, 0.0))  # the real Pagefind, no time to answer
    result = thread_cli("build", "--root", site)
    line = config.read_text().split("\n").index("search = true") + 1
    assert result.exit_code == 1
    assert f"site.toml:{line}: Pagefind did not finish indexing" in result.stderr
    assert "Traceback" not in result.output
    assert tree_digest(site / "_site") == before  # the previous site survives
