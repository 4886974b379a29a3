"""Every invalid fixture site fails with one `path:line: message`, exit 1, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SITES, copy_site, thread_cli, tree_digest

CASES = sorted(p.name for p in (SITES / "invalid").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES)
def test_invalid_site_reports_path_line_message(case: str, tmp_path: Path) -> None:
    expected = (SITES / "invalid" / case / "expected.txt").read_text().strip()
    site = copy_site(tmp_path / "site", case)
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == expected
    assert sum(1 for line in lines if line.startswith(("content/", "site.toml"))) == 1
    assert "Traceback" not in result.output


@pytest.mark.parametrize("case", CASES)
def test_failed_build_leaves_previous_site_untouched(case: str, tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    assert thread_cli("build", "--root", site).exit_code == 0
    before = tree_digest(site / "_site")
    copy_site(tmp_path / "bad", case)
    for path in (tmp_path / "bad").rglob("*"):
        if path.is_file():
            target = site / path.relative_to(tmp_path / "bad")
            target.write_bytes(path.read_bytes())
    assert thread_cli("build", "--root", site).exit_code == 1
    assert tree_digest(site / "_site") == before
    assert sorted(p.name for p in site.iterdir() if p.name.startswith("._site")) == []


def test_check_reports_every_problem_at_once(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site", "unknown-role")
    (site / "content/demo/first.md").write_text(
        (site / "content/demo/first.md").read_text().replace("title: First Article\n", ""))
    result = thread_cli("check", "--root", site)
    assert result.exit_code == 1
    assert "content/demo/first.md:2: missing required key 'title'" in result.stderr
    assert "content/demo/second.md:9: unknown role 'nope'" in result.stderr
    assert not (site / "_site").exists()


def test_no_site_toml_is_a_clear_error(tmp_path: Path) -> None:
    result = thread_cli("build", "--root", tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith("site.toml: no site.toml")
