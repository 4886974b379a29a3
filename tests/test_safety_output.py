"""The output folder: never the sources, never a foreign folder, old-or-new after any kill.

The kills are real (SIGKILL from inside the build) and placed, not timed: a small driver wraps a
function of generator/write.py so that the process kills itself on its N-th call.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import child_env, copy_site, thread_cli, tree_digest

UNSAFE = [".", "", "content", "content/demo", "..", "/", "theme", ".git", "figures/store",
          "site.toml"]


def sources(site: Path) -> dict[str, str]:
    return {path: digest for path, digest in tree_digest(site).items()
            if not path.startswith(("_site/", ".thread-cache/"))}


@pytest.mark.parametrize("output_dir", UNSAFE)
def test_output_dir_that_overlaps_the_sources_is_refused_before_anything_is_touched(
        output_dir: str, tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    (site / ".git").mkdir()
    (site / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    text = (site / "site.toml").read_text()
    (site / "site.toml").write_text(f'# settings\noutput_dir = "{output_dir}"\n{text}')
    line = 2
    before = sources(site)
    for command in ("build", "check"):
        result = thread_cli(command, "--root", site)
        assert result.exit_code == 1
        assert result.stderr.startswith(f"site.toml:{line}: output_dir '{output_dir}' ")
    assert sources(site) == before
    assert not (site / "_site").exists()


@pytest.mark.parametrize("out", [".", "content", "content/demo/first.md", ".."])
def test_out_flag_that_overlaps_the_sources_is_refused(out: str, tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    before = sources(site)
    result = thread_cli("build", "--root", site, "--out", site / out)
    assert result.exit_code == 1
    assert result.stderr.startswith("--out: ")
    assert sources(site) == before


def test_a_folder_the_build_did_not_make_is_never_replaced(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("years of work")
    result = thread_cli("build", "--root", site, "--out", foreign)
    assert result.exit_code == 1
    assert "no .thread-site marker" in result.stderr
    assert (foreign / "thesis.tex").read_text() == "years of work"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert thread_cli("build", "--root", site, "--out", empty).exit_code == 0
    assert thread_cli("build", "--root", site, "--out", empty).exit_code == 0  # its own now


def test_two_inputs_for_one_output_is_an_error_before_writing(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    assert thread_cli("build", "--root", site).exit_code == 0
    before = tree_digest(site / "_site")
    first = site / "content/demo/first.md"
    shutil.copy(first, site / "content/demo/index.html.md")
    (site / "content/demo.md").write_text("---\ntitle: Demo\ndate: 2025-01-01\n---\nText.\n")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        ("content/demo.md:1: its page would be written to 'demo/index.html', which is already "
         "the output of content/demo/thread.md (rename the file)"),
        ("content/demo/index.html.md:1: its page 'demo/index.html/index.html' needs "
         "'demo/index.html' to be a folder, but that is the output of content/demo/thread.md "
         "(rename the file)")]
    assert tree_digest(site / "_site") == before


def test_a_page_in_a_generated_folder_is_an_error(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    (site / "content/units").mkdir()
    (site / "content/units/x.md").write_text("---\ntitle: X\ndate: 2025-01-01\n---\nText.\n")
    result = thread_cli("check", "--root", site)
    assert result.exit_code == 1
    assert result.stderr.startswith("content/units/x.md:1: its page would be written under "
                                    "'units/'")


# --- kills ------------------------------------------------------------------------------------

DRIVER = textwrap.dedent("""
    import os, signal, sys
    import generator.write as write
    target, nth = sys.argv[1], int(sys.argv[2])
    calls = [0]

    def killing(function, only=None, after=False):
        def wrapper(*args, **kwargs):
            counted = only is None or only(*args)
            if counted:
                calls[0] += 1
            if counted and calls[0] == nth and not after:
                os.kill(os.getpid(), signal.SIGKILL)
            result = function(*args, **kwargs)
            if counted and calls[0] == nth:
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return wrapper

    if target == "stage":          # between files of the new site, or of the journal
        write._write_one = killing(write._write_one)
    elif target == "commit":       # every changed file is in the journal, not yet committed
        write.write_file = killing(write.write_file, lambda path, data: path.name == "journal.json")
    elif target == "apply":        # committed; between moving changed files into the site
        write.os.replace = killing(os.replace, lambda src, dst: "journal-" not in str(dst))
    elif target == "swap":         # the new site is complete, not yet swapped in
        write.swap = killing(write.swap)
    elif target == "fallback":     # no renameat2: between renaming the old site away and the new in
        write.exchange = lambda a, b: False
        write.os.replace = killing(os.replace, lambda src, dst: ".old-" in str(dst), after=True)
    elif target == "retire":       # swapped, while deleting the old site
        write.shutil.rmtree = killing(write.shutil.rmtree, lambda path, **k: ".new-" in str(path))
    from generator.cli import run
    sys.argv = ["thread", "build", "--root", sys.argv[3]]
    run()
""")


def killed_build(site: Path, target: str, nth: int) -> int:
    env = child_env()
    result = subprocess.run([sys.executable, "-c", DRIVER, target, str(nth), str(site)],
                            check=False, capture_output=True, text=True, env=env,
                            timeout=120)
    return result.returncode


def edit(site: Path) -> None:
    for name in ("first.md", "second.md"):
        path = site / "content/demo" / name
        path.write_text(path.read_text().replace("published:", "updated: 2025-03-04\npublished:"))
    (site / "content/demo/third.md").write_text((site / "content/demo/first.md").read_text())


@pytest.fixture(scope="module")
def old_and_new(tmp_path_factory) -> tuple[dict, dict]:
    """Digests of the site before and after :func:`edit`, each from a clean build."""
    base = tmp_path_factory.mktemp("reference")
    site = copy_site(base / "site")
    assert thread_cli("build", "--root", site, "--no-cache").exit_code == 0
    old = tree_digest(site / "_site")
    edit(site)
    assert thread_cli("build", "--root", site, "--no-cache", "--out", base / "new").exit_code == 0
    return old, tree_digest(base / "new")


KILLS = [  # (mode, where, nth call, what the output folder holds right after the kill)
    ("incremental", "stage", 1, "old"), ("incremental", "stage", 5, "old"),
    ("incremental", "commit", 1, "old"), ("incremental", "apply", 1, "committed"),
    ("incremental", "apply", 4, "committed"),
    ("full", "stage", 1, "old"), ("full", "stage", 20, "old"), ("full", "swap", 1, "old"),
    ("full", "fallback", 1, "missing"), ("full", "retire", 1, "new")]


@pytest.mark.parametrize(("mode", "target", "nth", "state"), KILLS)
def test_a_kill_at_any_point_of_the_write_leaves_old_or_new_never_a_mix(
        mode: str, target: str, nth: int, state: str, old_and_new, tmp_path: Path) -> None:
    old, new = old_and_new
    site = copy_site(tmp_path / "site")
    assert thread_cli("build", "--root", site).exit_code == 0
    if mode == "full":
        shutil.rmtree(site / ".thread-cache")
    edit(site)
    assert killed_build(site, target, nth) == -9
    leftovers = [p for p in site.iterdir() if p.name.startswith("._site.")]
    if state in ("old", "new"):
        assert tree_digest(site / "_site") == (old if state == "old" else new)
    elif state == "missing":  # between the two renames: the next build puts the old site back
        assert not (site / "_site").exists()
    else:  # the journal is committed: what recovery finishes is exactly the new site
        assert [p.name.split("-")[0] for p in leftovers] == ["._site.journal"]
    from generator.write import recover

    recover(site / "_site")  # what every build does first
    expected = {"old": old, "new": new, "missing": old, "committed": new}[state]
    assert tree_digest(site / "_site") == expected
    assert [p for p in site.iterdir() if p.name.startswith("._site.")] == []
    assert thread_cli("build", "--root", site).exit_code == 0
    assert tree_digest(site / "_site") == new
    assert [p for p in site.iterdir() if p.name.startswith("._site.")] == []


def test_stray_files_in_the_output_folder_are_removed_by_the_next_build(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    assert thread_cli("build", "--root", site).exit_code == 0
    before = tree_digest(site / "_site")
    (site / "_site/demo/.index.html.4gy_gmil").write_text("half")  # an older writer's temp file
    (site / "_site/pagefind/fragment").mkdir(parents=True, exist_ok=True)
    (site / "_site/pagefind/fragment/x.pf_fragment.5g6tmqtq").write_text("half")
    edit(site)
    assert thread_cli("build", "--root", site).exit_code == 0
    assert not (site / "_site/demo/.index.html.4gy_gmil").exists()
    assert not (site / "_site/pagefind/fragment/x.pf_fragment.5g6tmqtq").exists()
    assert tree_digest(site / "_site") != before


@pytest.mark.parametrize(("table", "key"), [("theme", "dir"), ("figures", "store")])
def test_folders_named_in_site_toml_stay_inside_the_site(table: str, key: str,
                                                         tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    (tmp_path / "elsewhere").mkdir()
    with (site / "site.toml").open("a") as handle:
        handle.write(f'\n[{table}]\n{key} = "../elsewhere"\n')
    line = len((site / "site.toml").read_text().splitlines())
    result = thread_cli("check", "--root", site)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"site.toml:{line}: {table}.{key}: folder '../elsewhere' is "
                                    "outside the site root")


def test_out_in_folders_that_do_not_exist_yet_is_made(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    out = tmp_path / "new" / "deeper" / "public"
    result = thread_cli("build", "--root", site, "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file()
    (tmp_path / "file").write_text("not a folder")
    result = thread_cli("build", "--root", site, "--out", tmp_path / "file" / "public")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot make its parent folder" in result.output
