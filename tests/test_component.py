"""```{component}```: an author's script, styles and data, self-hosted under content-hashed
names, with a fallback image; each mistake is an error at its line."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

from article_fixture import AUTHORS, BANNER_PNG, page
from conftest import build_site, copy_site

SCRIPT = "const root = document.currentScript.closest('figure').querySelector('.component');\n"
COMPONENT = """Some text.

```{component} widgets/w.js
:data: widgets/d.json
:css: widgets/w.css
:fallback: images/banner.png
:alt: Eight arcs; a slider turns one.
:layout: page
:label: fig-widget

An *explorer*.
```

See {ref}`fig-widget`.
"""


def component_site(tmp_path: Path, body: str):
    """The basic site with ``first.md`` made of ``body`` and a widget folder beside it."""
    site = copy_site(tmp_path / "site")
    folder = site / "content" / "demo"
    (folder / "first.md").write_text(f"---\ntitle: First Article\n{AUTHORS}---\n\n{body}",
                                     encoding="utf-8")
    (folder / "images").mkdir()
    shutil.copy(BANNER_PNG, folder / "images" / "banner.png")
    (folder / "widgets").mkdir()
    (folder / "widgets" / "w.js").write_text(SCRIPT, encoding="utf-8")
    (folder / "widgets" / "w.css").write_text(".component { color: red; }\n", encoding="utf-8")
    (folder / "widgets" / "d.json").write_text('{"values": [1, 2, 3]}\n', encoding="utf-8")
    (folder / "widgets" / "notes.txt").write_text("not a script\n", encoding="utf-8")
    return site, build_site(site)


def hashed(path: Path) -> str:
    """The URL the asset pipeline gives a file: its content hash and suffix."""
    return f"assets/{hashlib.sha256(path.read_bytes()).hexdigest()[:16]}{path.suffix}"


def test_component_is_a_figure_with_its_files_self_hosted(tmp_path: Path) -> None:
    site, result = component_site(tmp_path, COMPONENT)
    assert result.exit_code == 0, result.output
    html = page(site)
    widgets = site / "content" / "demo" / "widgets"
    js, css, data = (hashed(widgets / name) for name in ("w.js", "w.css", "d.json"))
    png = hashed(site / "content" / "demo" / "images" / "banner.png")
    figure = re.search(r'<figure class="l-page component-figure" id="fig-widget">.*?</figure>',
                       html, re.DOTALL).group(0)
    assert f'<link rel="stylesheet" href="../../{css}">' in figure
    assert f'<div class="component" data-data-url="../../{data}">' in figure
    assert re.search(rf'<img class="component-fallback" src="../../{png}" '
                     r'alt="Eight arcs; a slider turns one\." width="\d+" height="\d+"', figure)
    assert f'<script src="../../{js}" defer></script>' in figure
    assert ("<figcaption><span class=\"figure-number\">Figure 1:</span> An <em>explorer</em>."
            "</figcaption>") in figure
    assert 'href="#fig-widget"' in html and ">Figure 1</a>" in html
    for url in (js, css, data, png):  # copied byte for byte under the hashed name
        assert (site / "_site" / url).is_file()
    assert (site / "_site" / js).read_text(encoding="utf-8") == SCRIPT
    assert "http" not in figure  # nothing from elsewhere


def test_component_without_data_css_or_label(tmp_path: Path) -> None:
    body = ("```{component} widgets/w.js\n:fallback: images/banner.png\n:alt: Arcs.\n```\n")
    site, result = component_site(tmp_path, body)
    assert result.exit_code == 0, result.output
    figure = re.search(r'<figure class="l-body component-figure">.*?</figure>', page(site),
                       re.DOTALL).group(0)
    assert '<div class="component"><img class="component-fallback"' in figure
    assert "<link" not in figure and "figcaption" not in figure


def error_output(tmp_path: Path, options: str, script: str = "widgets/w.js") -> str:
    body = f"Intro.\n\n```{{component}} {script}\n{options}```\n"
    _, result = component_site(tmp_path, body)
    assert result.exit_code == 1, result.output
    return result.output


GOOD = ":fallback: images/banner.png\n:alt: Arcs.\n"
PLACE = "content/demo/first.md"


def test_missing_script_is_an_error_at_the_directive(tmp_path: Path) -> None:
    assert f"{PLACE}:11: component script not found: widgets/nope.js" in error_output(
        tmp_path, GOOD, "widgets/nope.js")


def test_a_script_that_is_not_js_is_an_error(tmp_path: Path) -> None:
    assert (f"{PLACE}:11: component script 'widgets/notes.txt' must end in .js"
            in error_output(tmp_path, GOOD, "widgets/notes.txt"))


def test_missing_data_file_is_an_error_at_its_option(tmp_path: Path) -> None:
    assert f"{PLACE}:14: data file not found: widgets/none.json" in error_output(
        tmp_path, GOOD + ":data: widgets/none.json\n")


def test_a_file_outside_the_site_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "secret.json").write_text("{}", encoding="utf-8")
    output = error_output(tmp_path, GOOD + ":data: ../../../../secret.json\n")
    assert f"{PLACE}:14: data file '../../../../secret.json' is outside the site root" in output


def test_a_script_outside_the_site_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "evil.js").write_text("alert(1)", encoding="utf-8")
    output = error_output(tmp_path, GOOD, "../../../../evil.js")
    assert f"{PLACE}:11: component script '../../../../evil.js' is outside the site root" in output


def test_missing_alt_and_missing_fallback_are_errors(tmp_path: Path) -> None:
    output = error_output(tmp_path, ":fallback: images/banner.png\n")
    assert f"{PLACE}:11: missing option ':alt:' for directive 'component'" in output
    output = error_output(tmp_path / "b", ":alt: Arcs.\n")
    assert f"{PLACE}:11: missing option ':fallback:' for directive 'component'" in output


def test_a_stylesheet_must_be_css(tmp_path: Path) -> None:
    assert (f"{PLACE}:14: stylesheet 'widgets/w.js' must end in .css"
            in error_output(tmp_path, GOOD + ":css: widgets/w.js\n"))


def test_a_changed_script_gets_a_new_url_on_the_next_build(tmp_path: Path) -> None:
    site, result = component_site(tmp_path, COMPONENT)
    assert result.exit_code == 0, result.output
    script = site / "content" / "demo" / "widgets" / "w.js"
    before = hashed(script)
    script.write_text(SCRIPT + "root.dataset.live = 'true';\n", encoding="utf-8")
    result = build_site(site)  # the cached build notices the file changed
    assert result.exit_code == 0, result.output
    html = page(site)
    assert f'src="../../{hashed(script)}"' in html and before not in html
    assert not (site / "_site" / before).exists()
