"""bench/run.py's report: our build with search is held against Hugo + Pagefind, the rest
against Hugo alone (whatever order the results come in)."""

from __future__ import annotations

import sys

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
import run  # bench/ is a folder of scripts, not a package


def result(tool: str, seconds: float, scenario: str = "cold build") -> run.Result:
    return run.Result(tool, scenario, 1000, [run.Sample(seconds, 100.0)])


def test_search_on_is_held_against_hugo_and_pagefind() -> None:
    results = [result(run.HUGO_PAGEFIND, 4.0), result("Hugo 0.111.3", 2.0),
               result("thread (ours)", 3.0), result(run.NO_SEARCH, 2.5),
               result("thread (ours)", 0.3, "one article edited")]
    assert run.find(results, "Hugo").tool == "Hugo 0.111.3"
    assert run.find(results, run.HUGO_PAGEFIND).median == 4.0
    rows = run.targets(results, 1000, 10_000).splitlines()
    assert "| cold ≤ 1.0× Hugo + Pagefind (search on) | 0.75× (met) | – |" in rows
    assert "| cold ≤ 1.5× Hugo | 1.50× (met) | 1.25× (met) |" in rows
    assert any(r.startswith("| one edit ≤ 0.2× Hugo cold | 0.15× (met)") for r in rows)
