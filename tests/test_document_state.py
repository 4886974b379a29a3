"""One record per document: what a directive records reaches the site whichever way its page
was made — checked site-wide, in a self-contained worker, or reused from the build cache.

The directive here is the test's own, registered by the test: nothing in the generator knows
it, so its state can only travel through the one record every directive writes to."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import REPO, SITES

from generator import build as pipeline
from generator import parallel, registry
from generator.directives import directive

LISTING = ('<ul id="glossary">{% for doc, entry in recorded("glossary") %}'
           "<li>{{ doc.meta.title }}: {{ entry.term }}</li>{% endfor %}</ul>\n")


def check_glossary(call, resolver) -> None:
    resolver.record(call.document, "glossary", {"term": call.argument, "pid": os.getpid()})


@directive("glossary", body="none", check=check_glossary)
def render_glossary(call, ctx) -> str:
    return f"<dfn>{call.argument}</dfn>\n"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(registry, "BUILTIN_MODULES", (*registry.BUILTIN_MODULES, __name__))
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "2")  # self-contained documents: forked workers
    monkeypatch.setattr(parallel, "MIN_TASKS_PER_WORKER", 1)
    root = shutil.copytree(SITES / "valid" / "cheap-figures", tmp_path / "site")
    shutil.copytree(REPO / "theme", root / "theme")
    home = root / "theme" / "templates" / "home.html"
    text = home.read_text(encoding="utf-8")
    at = text.rindex("{% endblock %}")
    home.write_text(text[:at] + LISTING + text[at:], encoding="utf-8")
    append(root / "content" / "demo" / "cheap.md", "```{glossary} circuit\n```\n")
    append(root / "content" / "demo" / "other.md", "```{glossary} feature\n```\n")
    return root


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")


def build(root: Path) -> tuple[pipeline.Build, str]:
    result = pipeline.run(root, use_cache=True)
    return result, (root / "_site" / "index.html").read_text(encoding="utf-8")


def by_title(result: pipeline.Build, title: str):
    return next(d for d in result.content.documents() if d.meta.title == title)


def test_a_directives_state_survives_every_path_of_a_document(site: Path) -> None:
    fresh, home = build(site)
    cheap, other = by_title(fresh, "Cheap"), by_title(fresh, "Other")
    assert id(other) in fresh.prerendered and id(cheap) not in fresh.prerendered
    entries = {doc.meta.title: entry for doc, entry in fresh.resolver.recorded("glossary")}
    assert entries["Other"]["pid"] != os.getpid()  # recorded in a forked worker
    assert entries["Cheap"]["pid"] == os.getpid()  # recorded by the site-wide path
    assert "<li>Cheap: circuit</li><li>Other: feature</li>" in home
    assert "<dfn>feature</dfn>" in (site / "_site" / "demo" / "other" / "index.html").read_text()

    append(site / "content" / "demo" / "cheap.md", "One more line.\n")
    again, home = build(site)
    assert id(by_title(again, "Other")) in again.reused  # from the cache
    assert "<li>Cheap: circuit</li><li>Other: feature</li>" in home

    append(site / "content" / "demo" / "other.md", "One more line.\n")
    third, home = build(site)
    assert id(by_title(third, "Cheap")) in third.reused  # the site-wide document, cached
    assert "<li>Cheap: circuit</li><li>Other: feature</li>" in home
