"""`thread check` is the build minus writing (issue 13): every problem `thread build` finds
against the committed figure store, `thread check` finds too, without torch, at the same
`path:line: message`; warnings, `--strict`, one round of errors; and the smaller truths found
on the way (link lines, footnotes in previewed captions, unwrapped console lines)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, child_env, copy_demo, copy_site, thread_cli
from test_workflows import commands, load

FEATURES = "content/planted/planting-features.md"
LIMITS = "content/planted/limits-of-planting.md"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the demo site; its committed figure store is fresh, so nothing computes."""
    return copy_demo(tmp_path / "site")


def append(site: Path, rel: str, text: str) -> int:
    """Add ``text`` as new paragraphs at the end of a file; returns the line it starts on."""
    path = site / rel
    old = path.read_text().rstrip("\n") + "\n\n"
    path.write_text(old + text)
    return old.count("\n") + 1


def line_of(site: Path, rel: str, text: str) -> int:
    return next(n for n, line in enumerate((site / rel).read_text().splitlines(), 1)
                if text in line)


def replace(site: Path, rel: str, old: str, new: str) -> None:
    path = site / rel
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))


def reported(site: Path, *expected: str, commands: tuple[str, ...] = ("check", "build")) -> None:
    """Each command exits 1 and prints every ``expected`` line as it is."""
    for command in commands:
        result = thread_cli(command, "--root", site)
        assert result.exit_code == 1, (command, result.output)
        lines = result.stderr.splitlines()
        for line in expected:
            assert line in lines, (command, line, result.stderr)
        assert "Traceback" not in result.output
    assert not (site / "_site").exists()


# --- unit references and unit options, against the stored model-layers entry -------------------

def test_the_demo_passes_check_strict() -> None:
    result = thread_cli("check", "--strict", "--root", REPO)
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output


@pytest.mark.parametrize(("reference", "message"), [
    ("planted/relu1:99", "unit 99 does not exist: planted/relu1 has units 0-7"),
    ("planted/relu9:1", "model 'planted' has no layer 'relu9' (did you mean 'relu3'?)"),
])
def test_a_bad_unit_reference_is_found_by_check_and_build(demo: Path, reference: str,
                                                          message: str) -> None:
    line = append(demo, LIMITS, f"See {{unit}}`{reference}`.\n")
    reported(demo, f"{LIMITS}:{line}: {message}")


def test_a_unit_reference_to_a_model_without_stored_layers_is_an_error_in_check(
        demo: Path) -> None:
    with (demo / "site.toml").open("a") as handle:
        handle.write('\n[models.trained]\nsource = "builtin:trained-cnn"\n')
    line = append(demo, LIMITS, "See {unit}`trained/relu9:1`.\n")
    reported(demo, f"{LIMITS}:{line}: cannot check unit 'trained/relu9:1': the layers of model "
             "'trained' are not in the figure store (figures/store/) (thread build computes them "
             "where torch is installed; commit the store)", commands=("check",))


@pytest.mark.torch
def test_without_stored_layers_check_says_so_and_build_computes_and_checks(
        tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site", base="figures")
    article = "content/demo/activations.md"
    line = append(site, article, "See {unit}`tiny/conv9:0`.\n")
    reported(site, f"{article}:{line}: cannot check unit 'tiny/conv9:0': the layers of model "
             "'tiny' are not in the figure store (figures/store/) (thread build computes them "
             "where torch is installed; commit the store)", commands=("check",))
    reported(site, f"{article}:{line}: model 'tiny' has no layer 'conv9' (did you mean 'conv2'?)",
             commands=("build",))


@pytest.mark.parametrize(("option", "old", "new", "message"), [
    ("units", ":units: 0-7\n:size: 48", ":units: 6-9\n:size: 48",
     "units 8, 9 do not exist: planted/relu1 has units 0-7"),
    ("layer", ":layer: relu1\n:units: 0-7\n:size: 48", ":layer: relu9\n:units: 0-7\n:size: 48",
     "model 'planted' has no layer 'relu9' (did you mean 'relu3'?)"),
])
def test_units_out_of_a_layer_are_an_error_at_the_option_line(demo: Path, option: str, old: str,
                                                               new: str, message: str) -> None:
    replace(demo, FEATURES, old, new)
    line = line_of(demo, FEATURES, new.splitlines()[0])
    assert new.splitlines()[0].startswith(f":{option}:")
    reported(demo, f"{FEATURES}:{line}: {message}")


def test_a_weight_diagram_unit_out_of_its_layer_is_an_error_at_its_line(demo: Path) -> None:
    rel = "content/planted/a-banded-layer.md"
    replace(demo, rel, ":unit: conv3:1\n", ":unit: conv3:12\n")
    reported(demo, f"{rel}:{line_of(demo, rel, ':unit: conv3:12')}: unit 12 does not exist: "
             "planted/conv3 has units 0-7")


# --- Markdown images, raw <img>, alt text ------------------------------------------------------

def test_a_markdown_image_beside_an_article_is_copied(demo: Path) -> None:
    append(demo, LIMITS, "![Eight Gabor filters in a row.](images/gabor-bank.png)\n")
    assert thread_cli("check", "--strict", "--root", demo).exit_code == 0
    result = thread_cli("build", "--root", demo)
    assert result.exit_code == 0, result.output
    page = demo / "_site/planted/limits-of-planting/index.html"
    src = re.search(r'<img src="([^"]+)" alt="Eight Gabor filters in a row\."', page.read_text())
    assert src and src.group(1).startswith("../../assets/")
    copied = (page.parent / src.group(1)).resolve()
    assert copied.read_bytes() == (demo / "content/planted/images/gabor-bank.png").read_bytes()


@pytest.mark.parametrize(("markdown", "message"), [
    ("![](images/gabor-bank.png)", ("image 'images/gabor-bank.png' has no alt text (describe "
     "what the image shows, for readers who cannot see it: ![…](images/gabor-bank.png))")),
    ("![A bank.](images/nope.png)", ("image not found: images/nope.png (image paths are "
     "relative to the Markdown file)")),
    ("![A file.](../../../site.toml)", "image '../../../site.toml' is outside the site root"),
    ('<img src="images/gabor-bank.png">', ("raw <img> has no alt text (describe what the image "
     'shows, for readers who cannot see it: <img alt="…">)')),
    ('Inline <img src="images/gabor-bank.png" alt=" "> too.', "raw <img> has no alt text"),
])
def test_an_image_without_alt_or_file_is_an_error_at_its_line(demo: Path, markdown: str,
                                                                message: str) -> None:
    line = append(demo, LIMITS, "Before.\n\n" + markdown + "\n") + 2
    for command in ("check", "build"):
        result = thread_cli(command, "--root", demo)
        assert result.exit_code == 1
        assert any(out.startswith(f"{LIMITS}:{line}: {message}")
                   for out in result.stderr.splitlines()), (command, result.stderr)


def test_a_builder_figure_without_alt_is_a_warning_and_strict_makes_it_an_error(
        demo: Path) -> None:
    line = append(demo, LIMITS, "```{feature-viz}\n:model: planted\n:layer: relu1\n"
                  ":units: 0-7\n:size: 48\n:steps: 64\n```\n")  # in the store: nothing computes
    warning = (f"{LIMITS}:{line}: warning: figure 'feature-viz' has no :alt: (describe what the "
               "figure shows; without :alt: the page uses the builder's generic alt text)")
    for command in ("check", "build"):
        result = thread_cli(command, "--root", demo)
        assert result.exit_code == 0, result.output
        assert warning in result.stderr.splitlines()
    strict = thread_cli("check", "--strict", "--root", demo)
    assert strict.exit_code == 1
    assert strict.stderr.splitlines()[0] == warning
    assert "--strict: warnings are errors." in strict.stderr


# --- nothing loads from another host ------------------------------------------------------------

LOADING = [
    ('<img alt="A bank." src="https://cdn.example.com/bank.png">',
     '<img src="https://cdn.example.com/bank.png">', "cdn.example.com"),
    ('<img alt="A bank." srcset="images/gabor-bank.png 1x, //cdn.example.com/b.png 2x">',
     '<img srcset="//cdn.example.com/b.png">', "cdn.example.com"),
    ('<script src="https://cdn.example.com/x.js"></script>',
     '<script src="https://cdn.example.com/x.js">', "cdn.example.com"),
    ('<link rel="stylesheet" href="https://fonts.example.com/a.css">',
     '<link href="https://fonts.example.com/a.css">', "fonts.example.com"),
    ('<iframe title="A talk." src="https://www.youtube.com/embed/x"></iframe>',
     '<iframe src="https://www.youtube.com/embed/x">', "www.youtube.com"),
    ('<video controls poster="https://media.example.com/p.png"></video>',
     '<video poster="https://media.example.com/p.png">', "media.example.com"),
    ('<audio controls src="https://media.example.com/a.mp3"></audio>',
     '<audio src="https://media.example.com/a.mp3">', "media.example.com"),
    ('<video controls>\n<source src="HTTPS://Media.Example.com/v.mp4" type="video/mp4">\n</video>',
     '<source src="HTTPS://Media.Example.com/v.mp4">', "media.example.com"),
]


@pytest.mark.parametrize(("html", "tag", "host"), LOADING, ids=[t for _, t, _ in LOADING])
def test_raw_html_loading_from_another_host_is_an_error_at_its_line(
        demo: Path, html: str, tag: str, host: str) -> None:
    line = append(demo, LIMITS, html + "\n") + html.count("\n") // 2
    reported(demo, f"{LIMITS}:{line}: {tag} loads from another host, '{host}' (copy the file "
             f'into the site, or allow the host in site.toml: allowed_hosts = ["{host}"])')


def test_a_markdown_image_from_another_host_is_an_error(demo: Path) -> None:
    line = append(demo, LIMITS, "![A bank.](https://cdn.example.com/bank.png)\n")
    reported(demo, f"{LIMITS}:{line}: image 'https://cdn.example.com/bank.png' loads from "
             "another host, 'cdn.example.com' (copy the file into the site, or allow the host in "
             'site.toml: allowed_hosts = ["cdn.example.com"])')


def test_allowed_hosts_and_the_sites_own_host_may_be_loaded_from(demo: Path) -> None:
    replace(demo, "site.toml", 'output_dir = "_site"\n',
            'output_dir = "_site"\nallowed_hosts = ["www.youtube-nocookie.com"]\n')
    append(demo, LIMITS, '<iframe title="A talk." src="https://www.youtube-nocookie.com/embed/x">'
           '</iframe>\n\n<img alt="The bank." src="https://example.github.io/circuits-workshop/'
           'favicon.png">\n\n[A link elsewhere](https://cdn.example.com/) loads nothing.\n')
    result = thread_cli("build", "--root", demo)
    assert result.exit_code == 0, result.output


def test_allowed_hosts_are_host_names(demo: Path) -> None:
    replace(demo, "site.toml", 'output_dir = "_site"\n',
            'output_dir = "_site"\nallowed_hosts = ["https://cdn.example.com/"]\n')
    line = line_of(demo, "site.toml", "allowed_hosts")
    result = thread_cli("check", "--root", demo)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"site.toml:{line}: allowed_hosts: 'https://cdn.example."
                                    "com/' is not a host name like 'www.youtube-nocookie.com'")


# --- placeholders, --strict ----------------------------------------------------------------------

def test_placeholders_of_thread_new_are_warnings_even_from_the_cache(demo: Path) -> None:
    assert thread_cli("new", "article", "my-note", "--thread", "planted",
                      "--root", demo).exit_code == 0
    rel = "content/planted/my-note.md"
    warnings = [(f"{rel}:3: warning: 'One or two sentences that say what this article shows.' is "
                "a placeholder of thread new (say what this article shows)"),
                (f"{rel}:5: warning: 'Your Name' is a placeholder of thread new (put the author's "
                "name here)"),
                (f"{rel}:6: warning: 'https://example.org/' is a placeholder of thread new (link "
                "the author's page, or drop url)")]
    check = thread_cli("check", "--root", demo)
    assert check.exit_code == 0 and check.stderr.splitlines()[:3] == warnings
    assert "No errors; 3 warnings." in check.stderr
    strict = thread_cli("check", "--strict", "--root", demo)
    assert strict.exit_code == 1 and strict.stderr.splitlines()[:3] == warnings
    build = thread_cli("build", "--root", demo)
    assert build.exit_code == 0 and build.stderr.splitlines()[:3] == warnings
    append(demo, LIMITS, "An edit elsewhere: my-note's front matter now comes from the cache.\n")
    again = thread_cli("build", "--root", demo)
    assert again.exit_code == 0 and again.stderr.splitlines()[:3] == warnings


def test_the_pull_request_job_checks_strictly() -> None:
    assert ".venv/bin/thread check --strict" in commands(load("pull-request.yml")).splitlines()
    assert "--strict" in thread_cli("check", "--help").output


# --- one round ------------------------------------------------------------------------------------

def test_one_round_reports_every_files_errors(tmp_path: Path) -> None:
    """A front-matter error in one file hides neither the directive, citation and link errors of
    the others, nor is a link to the page it would have made reported broken."""
    site = copy_site(tmp_path / "site")
    replace(site, "content/demo/first.md", "title: First Article\n", "")
    directive = append(site, "content/demo/second.md", "```{figur} x.png\n```\n")
    citation = append(site, "content/demo/reply.md", "As shown [@nobody2020].\n")
    link = append(site, "content/notes.md", "[Nowhere](#nowhere) and [the first](../demo/first/)."
                  "\n")
    expected = [
        "content/demo/first.md:2: missing required key 'title'",
        (f"content/demo/reply.md:{citation}: unknown citation key 'nobody2020' (this article has "
        "no bibliography; add `bibliography: refs.bib` to its front matter)"),
        f"content/demo/second.md:{directive}: unknown directive 'figur' (did you mean 'figure'?)",
    ]
    broken = f"content/notes.md:{link}: broken link '#nowhere': no anchor '#nowhere' on this page"
    check = thread_cli("check", "--root", site)
    assert check.exit_code == 1
    assert check.stderr.splitlines()[:-1] == [*expected, broken]
    build = thread_cli("build", "--root", site)
    assert build.exit_code == 1 and build.stderr.splitlines()[:-1] == expected


# --- smaller truths -----------------------------------------------------------------------------

def test_each_use_of_a_broken_link_is_reported_at_its_own_line(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    first = append(site, "content/notes.md", "See [this](#gone).\n\nAnd [this again](#gone), "
                   "twice: [here](#gone).\n")
    result = thread_cli("check", "--root", site)
    message = "broken link '#gone': no anchor '#gone' on this page"
    assert result.stderr.splitlines()[:-1] == [f"content/notes.md:{first}: {message}",
                                               f"content/notes.md:{first + 2}: {message}",
                                               f"content/notes.md:{first + 2}: {message}"]


def test_a_footnote_in_a_cross_referenced_caption_has_one_anchor(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    shutil.copy(REPO / "content/planted/images/gabor-bank.png",
                site / "content/demo/bank.png")
    append(site, "content/demo/second.md", "See {ref}`fig-bank`.\n\n```{figure} bank.png\n"
           ":alt: Eight filters.\n:label: fig-bank\n\nA bank of filters.[^src]\n```\n\n"
           "[^src]: Drawn by hand.\n")
    assert thread_cli("check", "--strict", "--root", site).exit_code == 0
    assert thread_cli("build", "--root", site).exit_code == 0
    html = (site / "_site/demo/second/index.html").read_text()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert sorted(ids) == sorted(set(ids))
    assert ids.count("fnref1") == 1 and 'href="#fnref1"' in html


def test_error_and_status_lines_never_wrap(tmp_path: Path) -> None:
    """Rich wraps at the terminal's width (80 columns when it cannot tell): `path:line:` lines
    and the summary must stay whole, for editors and CI annotations."""
    site = copy_site(tmp_path / "a-folder-name-long-enough-to-push-the-summary-past-80-columns")
    env = child_env(COLUMNS="80")
    build = subprocess.run([sys.executable, "-m", "generator", "build", "--root", str(site)],
                           capture_output=True, text=True, env=env, check=False)
    assert build.returncode == 0, build.stderr
    assert re.search(rf"^Built \d+ pages .* into {re.escape(str(site / '_site'))} in .* s$",
                     build.stderr, re.MULTILINE), build.stderr
    line = append(site, "content/demo/first.md", "```{a-directive-with-a-rather-long-name}\n```\n")
    check = subprocess.run([sys.executable, "-m", "generator", "check", "--root", str(site)],
                           capture_output=True, text=True, env=env, check=False)
    first = check.stderr.splitlines()[0]
    assert first.startswith(f"content/demo/first.md:{line}: unknown directive "
                            "'a-directive-with-a-rather-long-name' (known directives: admonition, aside,")
    assert len(first) > 80 and first.endswith(")")
