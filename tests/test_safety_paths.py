"""Reliability items 8 and 9: input paths stay inside the site, and what authors write cannot
inject script (links, maths, raw HTML), each through the real CLI.

Every attack builds a good site first, then adds the attack and checks that ``build`` and
``check`` exit 1 with a located ``path:line:`` message, that ``_site`` is byte-for-byte what
the good build left, and that nothing from outside the root appears in it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import copy_site, thread_cli, tree_digest

SECRET = b"OUTSIDE-THE-SITE-4f1d9c"
"""Bytes of every file outside the root: they must never appear in the built site."""
FIRST = "content/demo/first.md"
THREAD = "content/demo/thread.md"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = copy_site(tmp_path / "site")
    assert thread_cli("build", "--root", site).exit_code == 0
    return site


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the site holding a secret image, .bib, Markdown and model file."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.png").write_bytes(SECRET)
    (folder / "secret.bib").write_bytes(b"@misc{secret, title={" + SECRET + b"}}\n")
    (folder / "secret.pt").write_bytes(SECRET)
    (folder / "evil.md").write_bytes(b"---\ntitle: Evil\nauthors:\n  - name: Eve\n"
                                     b"published: 2025-05-01\n---\n\n" + SECRET + b"\n")
    return folder


def append(site: Path, rel: str, text: str) -> int:
    """Append ``text`` to a file; returns the file line ``text`` starts on."""
    path = site / rel
    old = path.read_text()
    path.write_text(old + text)
    return old.count("\n") + 1


def front_matter(site: Path, rel: str, line: str) -> int:
    """Insert a front-matter line right after the opening ``---``; returns its line (2)."""
    path = site / rel
    path.write_text(path.read_text().replace("---\n", f"---\n{line}\n", 1))
    return 2


def site_toml(site: Path, text: str, key: str) -> int:
    """Add TOML to site.toml (top-level keys before the first table); returns ``key``'s line."""
    path = site / "site.toml"
    head, sep, tables = path.read_text().partition("\n[")
    path.write_text(f"{head}\n{text}\n{sep}{tables}")
    lines = path.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(key))


def built_bytes(site: Path) -> list[bytes]:
    return [p.read_bytes() for p in (site / "_site").rglob("*") if p.is_file()]


def assert_refused(site: Path, where: str, message: str) -> None:
    """``build`` and ``check`` fail at ``where`` (``path:line``); the old site is untouched."""
    before = tree_digest(site / "_site")
    for command in ("build", "check"):
        result = thread_cli(command, "--root", site)
        assert result.exit_code == 1, result.output
        assert f"{where}: " in result.stderr and message in result.stderr, result.stderr
        assert "Traceback" not in result.output
    assert tree_digest(site / "_site") == before
    assert not any(SECRET in data for data in built_bytes(site))
    assert not [p for p in site.iterdir() if p.name.startswith("._site")]


# --- 8. paths stay inside the site -------------------------------------------------------------

def test_figure_parent_path_is_refused(site: Path, outside: Path) -> None:
    line = append(site, FIRST, "\n```{figure} ../../../outside/secret.png\n:alt: A secret.\n```\n")
    assert_refused(site, f"{FIRST}:{line + 1}", "image '../../../outside/secret.png' is outside "
                   "the site root")


def test_figure_absolute_path_is_refused(site: Path, outside: Path) -> None:
    target = outside / "secret.png"
    line = append(site, FIRST, f"\n```{{figure}} {target}\n:alt: A secret.\n```\n")
    assert_refused(site, f"{FIRST}:{line + 1}", f"image '{target}' is outside the site root")


def test_figure_absolute_path_into_the_site_is_also_refused(site: Path, outside: Path) -> None:
    """``/etc/passwd`` as written: an absolute path never means "relative to the article"."""
    line = append(site, FIRST, "\n```{figure} /etc/passwd\n:alt: Passwords.\n```\n")
    assert_refused(site, f"{FIRST}:{line + 1}", "image '/etc/passwd' is outside the site root")


def test_figure_symlink_out_of_the_site_is_refused(site: Path, outside: Path) -> None:
    (site / "content/demo/leak.png").symlink_to(outside / "secret.png")
    line = append(site, FIRST, "\n```{figure} leak.png\n:alt: A leak.\n```\n")
    assert_refused(site, f"{FIRST}:{line + 1}", "image 'leak.png' is outside the site root")


def test_figure_symlink_chain_out_of_the_site_is_refused(site: Path, outside: Path) -> None:
    """A relative symlink chain (link → link → outside) is followed to its end."""
    os.symlink("../../../outside/secret.png", site / "content/demo/hop1.png")
    os.symlink("hop1.png", site / "content/demo/hop2.png")
    line = append(site, FIRST, "\n```{figure} hop2.png\n:alt: Hops.\n```\n")
    assert_refused(site, f"{FIRST}:{line + 1}", "image 'hop2.png' is outside the site root")


def test_figure_symlink_within_the_site_still_works(site: Path) -> None:
    (site / "images").mkdir()
    (site / "images/real.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (site / "content/demo/alias.svg").symlink_to(site / "images/real.svg")
    append(site, FIRST, "\n```{figure} alias.svg\n:alt: An empty drawing.\n```\n")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    assert b'<svg xmlns="http://www.w3.org/2000/svg"/>' in built_bytes(site)


def test_article_bibliography_outside_is_refused(site: Path, outside: Path) -> None:
    line = front_matter(site, FIRST, "bibliography: ../../../outside/secret.bib")
    assert_refused(site, f"{FIRST}:{line}", "bibliography file '../../../outside/secret.bib' is "
                   "outside the site root")


def test_thread_bibliography_outside_is_refused(site: Path, outside: Path) -> None:
    line = front_matter(site, THREAD, f"bibliography: [{outside / 'secret.bib'}]")
    assert_refused(site, f"{THREAD}:{line}", "is outside the site root")


def test_site_bibliography_outside_is_refused_at_its_line(site: Path, outside: Path) -> None:
    line = site_toml(site, 'bibliography = ["../outside/secret.bib"]', "bibliography")
    assert_refused(site, f"site.toml:{line}", "bibliography file '../outside/secret.bib' is "
                   "outside the site root")


def test_bibliography_symlink_out_of_the_site_is_refused(site: Path, outside: Path) -> None:
    (site / "content/demo/refs.bib").symlink_to(outside / "secret.bib")
    line = front_matter(site, FIRST, "bibliography: refs.bib")
    assert_refused(site, f"{FIRST}:{line}", "bibliography file 'refs.bib' is outside")


def test_missing_site_bibliography_is_told_at_its_line(site: Path) -> None:
    line = site_toml(site, 'bibliography = ["refs/gone.bib"]', "bibliography")
    assert_refused(site, f"site.toml:{line}", "bibliography file not found: refs/gone.bib")


def test_symlinked_markdown_out_of_the_site_is_refused(site: Path, outside: Path) -> None:
    (site / "content/demo/evil.md").symlink_to(outside / "evil.md")
    assert_refused(site, "content/demo/evil.md:1", "Markdown file 'content/demo/evil.md' is "
                   "outside the site root")


def test_symlinked_folder_out_of_the_site_is_never_read(site: Path, outside: Path) -> None:
    """Content discovery skips symlinked folders (pathlib's rglob on 3.11); where it follows
    them, each file in one is refused at its line instead."""
    (outside / "thread.md").write_text("---\ntitle: Elsewhere\npublished: 2025-01-01\n---\n")
    (site / "content/elsewhere").symlink_to(outside, target_is_directory=True)
    append(site, THREAD, "\n")  # the fast path would skip the build: make it a real one
    result = thread_cli("build", "--root", site)
    if result.exit_code:
        assert "content/elsewhere/thread.md:1: Markdown file" in result.stderr, result.output
    assert not (site / "_site/elsewhere").exists()
    assert not any(SECRET in data for data in built_bytes(site))


def test_file_model_outside_is_refused_at_its_line(site: Path, outside: Path) -> None:
    with (site / "site.toml").open("a") as handle:
        handle.write('\n[models.net]\nsource = "file:../outside/secret.pt"\n')
    line = (site / "site.toml").read_text().splitlines().index('source = "file:../outside/secret.pt"')
    assert_refused(site, f"site.toml:{line + 1}", "models.net.source: model file "
                   "'../outside/secret.pt' is outside the site root")


def test_file_model_absolute_path_is_refused(site: Path, outside: Path) -> None:
    with (site / "site.toml").open("a") as handle:
        handle.write(f'\n[models.net]\nsource = "file:{outside / "secret.pt"}"\n')
    line = len((site / "site.toml").read_text().splitlines())
    assert_refused(site, f"site.toml:{line}", "is outside the site root")


def test_model_registry_refuses_a_file_outside(tmp_path: Path, outside: Path) -> None:
    """The job's own guard, for a symlink swapped in after site.toml was read."""
    from generator.figures import ModelRegistry

    (tmp_path / "site").mkdir()
    (tmp_path / "site/net.pt").symlink_to(outside / "secret.pt")
    registry = ModelRegistry({"net": {"source": "file:net.pt"}}, tmp_path / "site", "cpu")
    with pytest.raises(ValueError, match="outside the site root"):
        registry["net"]


# --- 9. links, maths and raw HTML ---------------------------------------------------------------

SCRIPT_URLS = ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "java&#09;script:alert(1)",
               "javascript&colon;alert(1)", "\tjavascript:alert(1)", "data:text/html,<b>x</b>",
               "vbscript:msgbox(1)"]


def no_script_links(site: Path) -> None:
    for data in built_bytes(site):
        assert not re.search(rb'href\s*=\s*["\']?\s*(java|vb)script:', data, re.IGNORECASE)


def yaml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'


def toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t") + '"'


@pytest.mark.parametrize("url", SCRIPT_URLS)
def test_author_url_must_be_a_safe_link(site: Path, url: str) -> None:
    path = site / FIRST
    path.write_text(path.read_text().replace("  - name: Ada Lovelace\n",
                                             f"  - name: Ada Lovelace\n    url: {yaml_string(url)}\n"))
    assert_refused(site, f"{FIRST}:6", "authors.0.url: ")
    no_script_links(site)


@pytest.mark.parametrize("url", SCRIPT_URLS)
def test_repository_must_be_a_safe_link(site: Path, url: str) -> None:
    path = site / "site.toml"
    path.write_text(re.sub(r'repository = ".*"', lambda _: f"repository = {toml_string(url)}",
                           path.read_text()))
    assert_refused(site, "site.toml:4", "is not an http(s), mailto: or relative URL")
    no_script_links(site)


@pytest.mark.parametrize("url", SCRIPT_URLS[:4])
def test_license_url_must_be_a_safe_link(site: Path, url: str) -> None:
    with (site / "site.toml").open("a") as handle:
        handle.write(f"\n[license]\nname = \"MIT\"\nurl = {toml_string(url)}\n")
    line = len((site / "site.toml").read_text().splitlines())
    assert_refused(site, f"site.toml:{line}", "license.url: ")
    no_script_links(site)


@pytest.mark.parametrize("url", SCRIPT_URLS[:4])
def test_affiliation_url_must_be_a_safe_link(site: Path, url: str) -> None:
    path = site / "site.toml"
    path.write_text(path.read_text().replace('url = "https://example.org/lab"',
                                             f"url = {toml_string(url)}"))
    line = path.read_text().splitlines().index(f"url = {toml_string(url)}") + 1
    assert_refused(site, f"site.toml:{line}", "affiliations.lab.url: ")
    no_script_links(site)


def test_safe_links_still_build(site: Path) -> None:
    path = site / FIRST
    path.write_text(path.read_text().replace(
        "  - name: Ada Lovelace\n", "  - name: Ada Lovelace\n    url: mailto:ada@example.org\n"))
    toml = site / "site.toml"
    toml.write_text(toml.read_text().replace('url = "https://example.org/lab"', 'url = "/lab/"'))
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    html = (site / "_site/demo/first/index.html").read_text()
    assert 'href="mailto:ada@example.org"' in html and 'href="/lab/"' in html


MATHS = [r"\text{<script>alert(1)</script>}", r"\mbox{<script>alert(1)</script>}",
         r"\textbf{<script>alert(1)</script>}", r"\mathrm{<script>alert(1)</script>}",
         r"\operatorname{<script>alert(1)</script>}"]


def maths_of(site: Path) -> list[str]:
    html = (site / "_site/demo/first/index.html").read_text()
    return re.findall(r"<math\b.*?</math>", html, re.DOTALL)


@pytest.mark.parametrize("latex", MATHS)
def test_text_in_maths_is_escaped(site: Path, latex: str) -> None:
    append(site, FIRST, f"\nInline ${latex}$ and display:\n\n$$\n{latex}\n$$\n")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    maths = maths_of(site)
    assert len(maths) == 4  # the page's own two, then the inline and the display attack
    assert all("<script" not in m.lower() for m in maths)
    assert all("script" in re.sub(r"<[^>]*>", "", m) for m in maths[2:])  # shown as text
    assert not any(b"<script>alert(1)" in data for data in built_bytes(site))


@pytest.mark.parametrize("latex", [r"\href{javascript:alert(1)}{x}",
                                   r"\unicode{<script>alert(1)</script>}"])
def test_links_and_raw_characters_in_maths_are_refused(site: Path, latex: str) -> None:
    line = append(site, FIRST, f"\nSee ${latex}$.\n")
    command = latex[:latex.index("{")]
    assert_refused(site, f"{FIRST}:{line + 1}", f'unknown command "{command}"')
    no_script_links(site)


RAW = "\n<div class=\"box\">\nA block.\n</div>\n\nSome <span onclick=\"x()\">inline</span> HTML.\n"


def test_raw_html_is_allowed_by_default(site: Path) -> None:
    append(site, FIRST, RAW)
    assert thread_cli("build", "--root", site).exit_code == 0
    html = (site / "_site/demo/first/index.html").read_text()
    assert '<div class="box">' in html and '<span onclick="x()">' in html


def test_raw_html_false_reports_blocks_and_inline_html(site: Path) -> None:
    site_toml(site, "raw_html = false", "raw_html")
    line = append(site, FIRST, RAW)
    for command in ("build", "check"):
        result = thread_cli(command, "--root", site)
        assert result.exit_code == 1, result.output
        assert f'{FIRST}:{line + 1}: raw HTML is not allowed on this site: <div class="box">' \
            in result.stderr
        assert f'{FIRST}:{line + 5}: raw HTML is not allowed on this site: <span onclick="x()">' \
            in result.stderr
        assert result.stderr.count("raw HTML is not allowed") == 2  # not again for </span>


def test_raw_html_false_reaches_directive_bodies(site: Path) -> None:
    site_toml(site, "raw_html = false", "raw_html")
    line = append(site, FIRST, "\n```{aside}\nA note with <b>bold</b>.\n```\n")
    assert_refused(site, f"{FIRST}:{line + 2}", "raw HTML is not allowed on this site: <b>")


def test_raw_html_false_builds_a_site_without_html(site: Path) -> None:
    site_toml(site, "raw_html = false", "raw_html")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
