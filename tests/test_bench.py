"""The benchmark harness cannot rot: its corpus builds, and parallel rendering changes no byte.

Nothing here is timed; bench/run.py does the timing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import REPO, thread_cli, tree_digest

from generator import parallel

sys.path.insert(0, str(REPO / "bench"))
import corpus  # bench/ is a folder of scripts, not a package


def build(root: Path, out: Path) -> dict[str, str]:
    result = thread_cli("build", "--root", root, "--out", out)
    assert result.exit_code == 0, result.output
    return tree_digest(out)


def test_corpus_is_deterministic_and_sized_like_the_issue() -> None:
    assert corpus.article(3) == corpus.article(3)
    assert corpus.article(3) != corpus.article(4)
    words = len(corpus.article(0).split("---", 2)[2].split())
    assert 1200 <= words <= 1700
    text = corpus.article(0)
    assert "\n```" in text and "\n| " in text and "\n- " in text and "\n1. " in text


def test_generated_corpus_builds_into_one_page_per_article(tmp_path: Path) -> None:
    sites = corpus.generate(tmp_path / "corpus", 5)
    digest = build(sites["thread"], tmp_path / "out")
    for index in range(5):
        assert f"posts/article-{index:05d}/index.html" in digest
    assert (sites["hugo"] / "layouts" / "_default" / "single.html").is_file()
    assert len(list((sites["mkdocs"] / "docs" / "posts").glob("*.md"))) == 5
    assert (sites["mkdocs"] / "mkdocs.yml").is_file()


def test_parallel_render_is_byte_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "1")
    serial = build(REPO, tmp_path / "serial")
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "2")
    monkeypatch.setattr(parallel, "MIN_TASKS_PER_WORKER", 1)
    forked = []
    real = parallel._in_workers
    monkeypatch.setattr(parallel, "_in_workers", lambda *a: forked.append(1) or real(*a))
    if parallel.workers_for(2) < 2:
        pytest.skip("no fork here, or other threads are running in this process")
    assert build(REPO, tmp_path / "parallel") == serial
    assert forked, "the render stage went through the worker processes"


def test_a_failing_task_raises_its_own_error_in_this_process(monkeypatch) -> None:
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "2")
    monkeypatch.setattr(parallel, "MIN_TASKS_PER_WORKER", 1)
    tasks = [lambda i=i: i * 2 for i in range(6)] + [lambda: 1 / 0]
    if parallel.workers_for(len(tasks)) < 2:
        pytest.skip("no fork here, or other threads are running in this process")
    with pytest.raises(ZeroDivisionError):
        parallel.run_all(tasks)
    assert parallel.run_all(tasks[:6]) == [0, 2, 4, 6, 8, 10]
