"""bench/run.py's serve row: a real ``thread serve`` on a small corpus, an edit saved, the time
to the reload event measured, and the target row reporting it."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import corpus  # bench/ is a folder of scripts, not a package
import run


def test_serve_edit_to_reload_is_measured(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(run, "SERVE_SETTLE", 1.0)
    site = corpus.generate(tmp_path / "corpus", 12, layouts=("thread",))["thread"]
    [result] = run.bench_serve(site, 2, 12)
    assert result.scenario == run.SERVE_SCENARIO and len(result.samples) == 2
    assert all(0 < sample.seconds < 60 and sample.peak_mb > 10 for sample in result.samples)
    edited = min((site / "content").rglob("*.md")).read_text()
    assert "A serve edit" not in edited  # the article is put back
    rows = run.targets([result], 12, 10_000).splitlines()
    assert any(r.startswith("| serve: edit → reload event ≤ 0.3 s | ") for r in rows), rows
