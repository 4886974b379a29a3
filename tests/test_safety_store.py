"""The figure store and the build cache under attack: each test damages the site the way a bad
commit, a killed build or a hostile pull request would, and checks the safe outcome through the
real CLI — an incremental build equal to a clean one, a located error under ``--frozen``, good
bytes published otherwise, and no code run that the site did not ask for.

The fixture site (tests/sites/valid/cheap-figures/) has two builder figures that need no torch:
``cheap-image`` (a flat colour, PNG and WebP) and ``cheap-chart`` (Vega-Lite, with the vega
bundle). ``CHEAP_SHIFT`` and ``CHEAP_DELAY`` change a figure without changing its store key,
like recomputing it with another torch.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, SITES, built_copy, child_env, thread_cli
from conftest import build_site as build

CHEAP_SITE = SITES / "valid" / "cheap-figures"
ARTICLE = "content/demo/cheap.md"
LINES = {"cheap-image": 11, "cheap-chart": 18}
"""Line of each builder's directive in ARTICLE."""


def thread_process(site: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m generator build`` in a fresh interpreter, run from beside the site."""
    return subprocess.run([sys.executable, "-m", "generator", "build", "--root", str(site),
                           *args], cwd=site.parent, capture_output=True, text=True, check=False,
                          env=child_env())


def store(site: Path) -> Path:
    return site / "figures" / "store"


def entry_of(site: Path, builder: str) -> Path:
    """The store folder of the entry made by ``builder`` (one per builder in the fixture)."""
    [folder] = [m.parent for m in store(site).glob("*/manifest.json")
                if json.loads(m.read_text())["builder"] == builder]
    return folder


def page(site: Path, out: str = "_site") -> str:
    return (site / out / "demo" / "cheap" / "index.html").read_text()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_published_intact(out: Path) -> None:
    """Every asset a page points at exists, and every published image, spec and bundle is whole."""
    from PIL import Image

    for html in out.rglob("*.html"):
        for name in re.findall(r"assets/([0-9a-f]{16}\.[a-z0-9]+)", html.read_text()):
            assert (out / "assets" / name).is_file(), f"{html} points at a missing {name}"
    for asset in (out / "assets").iterdir():
        data = asset.read_bytes()
        if asset.suffix in (".png", ".webp"):
            with Image.open(io.BytesIO(data)) as image:
                image.load()
        elif asset.suffix == ".json":
            json.loads(data)
        elif asset.suffix == ".js":
            assert ".vega-chart[data-spec]" in data.decode()[-2000:]


def assert_incremental_equals_clean(site: Path) -> None:
    """Build with the cache, then without into another folder: byte for byte the same."""
    result = build(site)
    assert result.exit_code == 0, result.output
    clean = build(site, "--no-cache", "--out", site.parent / "clean")
    assert clean.exit_code == 0, clean.output
    assert snapshot(site / "_site") == snapshot(site.parent / "clean")
    assert_published_intact(site / "_site")


@pytest.fixture(scope="session")
def computed(tmp_path_factory) -> Path:
    return built_copy(CHEAP_SITE, tmp_path_factory.mktemp("cheap") / "site")


@pytest.fixture
def site(computed: Path, tmp_path: Path) -> Path:
    """A built copy whose build cache describes its own output folder."""
    copy = tmp_path / "site"
    shutil.copytree(computed, copy)
    assert build(copy).exit_code == 0
    return copy


# --- 4. pages depend on the bytes they embed, not on store keys ------------------------------

@pytest.mark.parametrize("what", ["images overwritten", "entry recomputed elsewhere"])
def test_a_changed_entry_under_the_same_key_rebuilds_its_page_like_no_cache(
        site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str) -> None:
    entry = entry_of(site, "cheap-image")
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(site, elsewhere)
    shutil.rmtree(elsewhere / entry.relative_to(site))
    monkeypatch.setenv("CHEAP_SHIFT", "100")  # another machine: other bytes, the same key
    assert build(elsewhere).exit_code == 0
    monkeypatch.delenv("CHEAP_SHIFT")
    theirs = elsewhere / entry.relative_to(site)
    assert theirs.name == entry.name and (theirs / "image-0.png").read_bytes() != \
        (entry / "image-0.png").read_bytes()
    for name in os.listdir(theirs):
        if what == "entry recomputed elsewhere" or name.endswith((".png", ".webp")):
            shutil.copy(theirs / name, entry / name)
    assert_incremental_equals_clean(site)


# --- 5. a damaged store entry is never published ---------------------------------------------

def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def without_files(data: bytes) -> bytes:
    manifest = json.loads(data)
    del manifest["files"]
    return json.dumps(manifest).encode()


CORRUPTIONS: list[tuple[str, str, str, Callable[[bytes], bytes] | None]] = [
    ("missing image", "cheap-image", "image-0.png", None),
    ("manifest not UTF-8", "cheap-image", "manifest.json", lambda data: b"\xff\xfe" + data),
    ("manifest a JSON list", "cheap-chart", "manifest.json", lambda data: b"[]\n"),
    ("manifest without files", "cheap-image", "manifest.json", without_files),
    ("garbage PNG", "cheap-image", "image-0.png", lambda data: b"garbage"),
    ("truncated PNG", "cheap-image", "image-0@2x.png", truncated),
    ("empty PNG", "cheap-image", "image-0.png", lambda data: b""),
    ("garbage WebP", "cheap-image", "image-0.webp", lambda data: b"RIFF garbage"),
    ("truncated WebP", "cheap-image", "image-0@2x.webp", truncated),
    ("empty WebP", "cheap-image", "image-0.webp", lambda data: b""),
    ("bad chart.vl.json", "cheap-chart", "chart.vl.json", lambda data: data[:-2]),
    ("truncated vega bundle", "cheap-chart", "vega-bundle", truncated),
]


def corrupt(site: Path, builder: str, name: str, change: Callable[[bytes], bytes] | None) -> Path:
    """Damage one file of ``builder``'s entry (or the vega bundle); returns its path."""
    if name == "vega-bundle":
        [path] = store(site).glob("vega-bundle-*.js")
    else:
        path = entry_of(site, builder) / name
    if change is None:
        path.unlink()
    else:
        path.write_bytes(change(path.read_bytes()))
    return path


@pytest.mark.parametrize(("builder", "name", "change"), [c[1:] for c in CORRUPTIONS],
                         ids=[c[0] for c in CORRUPTIONS])
def test_a_damaged_store_file_fails_frozen_and_is_computed_again_otherwise(
        site: Path, builder: str, name: str, change: Callable[[bytes], bytes] | None) -> None:
    from generator.store import FigureStore

    good = {path: data for path, data in snapshot(store(site)).items()
            if not path.endswith("manifest.json")}
    published = snapshot(site / "_site")
    damaged = corrupt(site, builder, name, change).relative_to(site).as_posix()

    frozen = build(site, "--frozen")
    assert frozen.exit_code == 1
    assert "Traceback" not in frozen.output
    assert f"{ARTICLE}:{LINES[builder]}: " in frozen.output
    assert damaged in frozen.output, frozen.output  # names the entry's folder and the file
    assert snapshot(site / "_site") == published, "a failed build writes nothing"

    result = build(site)
    assert result.exit_code == 0, result.output
    now = snapshot(store(site))
    assert {path: now.get(path) for path in good} == good, "the good bytes are back"
    assert FigureStore(store(site)).verify()[1] == []
    assert_published_intact(site / "_site")
    assets = {path: data for path, data in published.items() if path.startswith("assets/")}
    assert snapshot(site / "_site" / "assets") == {p.removeprefix("assets/"): data
                                                   for p, data in assets.items()}


def test_figures_verify_names_each_damaged_file_and_passes_the_committed_store(
        site: Path) -> None:
    assert thread_cli("figures", "verify", "--root", site).exit_code == 0
    damaged = corrupt(site, "cheap-image", "image-0@2x.webp", truncated)
    result = thread_cli("figures", "verify", "--root", site)
    assert result.exit_code == 1
    assert f"{damaged.relative_to(site).as_posix()}: does not match the sha256" in result.output
    committed = thread_cli("figures", "verify", "--root", REPO)
    assert committed.exit_code == 0, committed.output


# --- 6. a recomputed entry's "Reproduce" details reach its page ------------------------------

def test_a_figure_recomputed_by_a_failed_build_updates_the_reproduce_details(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build recomputes a figure (same key, new manifest) and then fails, as a killed one
    would, before writing pages: the next build must not reuse the page of the old entry."""
    entry = entry_of(site, "cheap-image")
    shutil.rmtree(entry)
    other = site / "content" / "demo" / "other.md"
    text = other.read_text()
    other.write_text(text + "\n```{cheap-image}\n:shade: -1\n```\n")
    monkeypatch.setenv("CHEAP_DELAY", "0.3")
    failed = build(site)
    assert failed.exit_code == 1 and "a shade is 0 or more" in failed.output
    monkeypatch.delenv("CHEAP_DELAY")
    seconds = json.loads((entry / "manifest.json").read_text())["seconds"]
    assert seconds >= 0.3, "the figure was computed again, then the build failed"
    other.write_text(text)
    assert_incremental_equals_clean(site)
    assert f"{seconds:.2f} s" in page(site)


# --- 7. the build cache is data, and the site root shadows no module -------------------------

class Payload:
    """A pickle that creates ``marker`` when loaded: what a hostile cache file would do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_pickle_in_the_cache_folder_is_never_loaded(site: Path, tmp_path: Path) -> None:
    proof = tmp_path / "proof"
    pickle.loads(pickle.dumps(Payload(proof))).close()
    assert proof.exists(), "the payload runs when unpickled"
    marker = tmp_path / "unpickled"
    cache = site / ".thread-cache"
    payload = pickle.dumps(Payload(marker))
    for names in (("build.pickle", "quick.pickle"), ("build.json", "quick.json")):
        for name in names:
            (cache / name).write_bytes(payload)
        assert build(site).exit_code == 0
        (site / "content" / "demo" / "other.md").write_text(
            (site / "content" / "demo" / "other.md").read_text() + "\nMore.\n")
        assert build(site).exit_code == 0
    assert not marker.exists()


@pytest.mark.parametrize(("stored", "why"), [
    (b"{garbage", "Expecting property name"),
    (b"[1, 2]", "a JSON list, not a build cache"),
    (b'{"format": 1, "salt": ""}', "format 1, this generator reads format 2"),
    (b'{"format": 2, "salt": "", "outputs": {"x": 3}}', "outputs.x"),
], ids=["not JSON", "a list", "another format", "wrong shape"])
def test_an_unreadable_build_cache_is_ignored_with_a_note(site: Path, stored: bytes,
                                                          why: str) -> None:
    published = snapshot(site / "_site")
    for name in ("build.json", "quick.json"):
        (site / ".thread-cache" / name).write_bytes(stored)
    result = thread_process(site)
    assert result.returncode == 0, result.stderr
    [note] = [line for line in result.stderr.splitlines() if "build.json" in line]
    assert note.startswith("note: ignoring .thread-cache/build.json (") and why in note
    assert "Traceback" not in result.stderr
    assert snapshot(site / "_site") == published
    assert "Nothing changed" in thread_process(site).stderr, "the cache was written again"


def test_a_module_at_the_site_root_does_not_shadow_an_installed_one(tmp_path: Path) -> None:
    """A site's ``PIL.py`` must not run when the build (or a figure worker) imports Pillow."""
    site = tmp_path / "site"
    shutil.copytree(CHEAP_SITE, site)
    marker = tmp_path / "shadowed"
    (site / "PIL.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    result = thread_process(site, "--workers", "1")  # figures computed in a worker process
    assert result.returncode == 0, result.stderr
    assert "computed figure cheap-image" in result.stderr
    assert not marker.exists()
    assert len(list(store(site).glob("*/manifest.json"))) == 2
    assert_published_intact(site / "_site")
