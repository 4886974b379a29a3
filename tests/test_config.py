"""site.toml is validated: unknown keys, bad values and syntax errors name their line."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import load_config
from generator.errors import BuildFailed


def errors_for(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "site.toml").write_text(text)
    with pytest.raises(BuildFailed) as failure:
        load_config(tmp_path)
    return [str(e) for e in failure.value.errors]


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    text = 'title = "T"\nbase_url = "example.org"\ncolour = 1\n\n[theme]\naccent = "red"\n'
    assert errors_for(tmp_path, text) == [
        "site.toml:2: base_url: 'example.org' must be an absolute http(s) URL",
        "site.toml:3: unknown key 'colour'",
        "site.toml:6: theme.accent: 'red' is not a hex colour like #ca0020",
    ]


def test_missing_required_key(tmp_path: Path) -> None:
    assert errors_for(tmp_path, 'title = "T"\n') == [
        "site.toml:1: missing required key 'base_url'"]


def test_toml_syntax_error(tmp_path: Path) -> None:
    assert errors_for(tmp_path, 'title = "T"\nbase_url = \n') == [
        "site.toml:2: Invalid value"]


def test_defaults_and_normalisation(tmp_path: Path) -> None:
    (tmp_path / "site.toml").write_text('title = "T"\nbase_url = "https://example.org/x"\n')
    config = load_config(tmp_path)
    assert config.base_url == "https://example.org/x/"
    assert config.output_dir == "_site" and config.journal_name == "T"
