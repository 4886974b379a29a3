"""The client of ``pagefind --service`` (generator/search_service.py), against the real Pagefind:
pages from memory, bundles in memory, the same bytes however the shards are spread, and a
Pagefind that errs or dies is an error naming why, not a hung build."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from generator.search_service import OutOfTime, Service, ServiceFailed, index, index_all

CONFIG = {"exclude_selectors": [".thread-nav"], "force_language": "en"}


def page(title: str, text: str) -> bytes:
    return (f'<!doctype html><html lang="en"><head><title>{title}</title></head><body>'
            f'<nav class="thread-nav">navigation words</nav><main data-pagefind-body>'
            f"<h1>{title}</h1><p>{text}</p></main></body></html>").encode()


PAGES = {f"notes/{n}/index.html": page(f"Note {n}", f"Note {n} is about {word}.")
         for n, word in enumerate(["zebras", "finches", "circuits", "curves", "zebras"])}


def test_a_bundle_from_memory_holds_every_page_under_its_url() -> None:
    with Service(60) as service:
        bundle = index(service, CONFIG, PAGES)
    entry = json.loads(bundle["pagefind-entry.json"])
    assert entry["languages"]["en"]["page_count"] == len(PAGES)
    fragments = [json.loads(gzip.decompress(data)[len(b"pagefind_dcd"):])
                 for name, data in bundle.items() if name.startswith("fragment/")]
    assert sorted(f["url"] for f in fragments) == sorted(f"/{p[:-len('index.html')]}"
                                                          for p in PAGES)
    assert all("navigation" not in f["content"] for f in fragments)  # excluded selector
    assert "pagefind.js" in bundle and any(name.startswith("wasm.") for name in bundle)


def test_the_same_bytes_from_one_process_or_several() -> None:
    shards = {f"shard-{n}": dict(list(PAGES.items())[n::3]) for n in range(3)}
    one = index_all(shards, CONFIG, processes=1, seconds=60)
    three = index_all(shards, CONFIG, processes=3, seconds=60)
    assert one == three
    assert list(one) == list(shards)


def test_an_error_answer_is_a_failure_naming_it() -> None:
    with Service(60) as service, pytest.raises(ServiceFailed, match="Invalid index"):
        service.answers(service.send([{"type": "GetFiles", "index_id": 7}]))


def test_a_pagefind_that_dies_is_a_failure_with_its_last_words(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dying = tmp_path / "pagefind"
    dying.write_text("#!/bin/sh\necho 'thread panicked: out of disk' >&2\nexit 3\n")
    dying.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(dying))
    with pytest.raises(ServiceFailed, match="exit status 3.*out of disk"):
        index_all({"only": PAGES}, CONFIG, processes=1, seconds=60)


def test_a_pagefind_out_of_time_is_killed(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    silent = tmp_path / "pagefind"
    silent.write_text("#!/bin/sh\nexec sleep 60\n")  # reads nothing, answers nothing
    silent.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(silent))
    with pytest.raises(OutOfTime):
        index_all({"only": PAGES}, CONFIG, processes=1, seconds=0.5)


def test_a_pagefind_that_does_not_start_is_a_failure_naming_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "nowhere" / "pagefind"))
    with pytest.raises(ServiceFailed, match="cannot start .*nowhere/pagefind"):
        index_all({"only": PAGES}, CONFIG, processes=1, seconds=60)
