"""Markdown features rendered at build time: math, code, footnotes, tables, anchors, directives."""

from __future__ import annotations

from pathlib import Path

from conftest import copy_site, thread_cli


def render(tmp_path: Path, body: str) -> str:
    site = copy_site(tmp_path / "site")
    path = site / "content/demo/second.md"
    front = path.read_text().split("---\n")[1]
    path.write_text(f"---\n{front}---\n\n{body}")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 0, result.output
    html = (site / "_site/demo/second/index.html").read_text()
    return html[html.index('<div class="d-body'):html.index('<footer class="d-appendix')]


def test_math_becomes_mathml_without_client_javascript(tmp_path: Path) -> None:
    html = render(tmp_path, "Inline $a^2$ and\n\n$$\n\\frac{1}{n}\n$$\n")
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in html
    assert '<div class="math-display" tabindex="0"><math' in html and "<mfrac>" in html
    assert "katex" not in html.lower() and "mathjax" not in html.lower()


def test_code_is_highlighted_at_build_time(tmp_path: Path) -> None:
    html = render(tmp_path, "```python\ndef f():\n    return 1\n```\n")
    assert '<pre class="highlight" tabindex="0"><code class="language-python"><span class="k">def</span>' in html
    unknown = render(tmp_path / "2", "```nosuchlang\n<x>\n```\n")
    assert "<pre><code class=\"language-nosuchlang\">&lt;x&gt;" in unknown


def test_tables_footnotes_and_heading_anchors(tmp_path: Path) -> None:
    html = render(tmp_path, "## A Section\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nNote.[^n]\n\n[^n]: Text.\n")
    assert '<h2 id="a-section">A Section</h2>' in html
    assert "<table>" in html and "<td>2</td>" in html
    assert 'class="footnote-ref"' in html and "Text." in html


def test_aside_goes_to_the_gutter_and_keeps_markdown(tmp_path: Path) -> None:
    html = render(tmp_path, "```{aside}\nA *note*.\n```\n")
    assert '<aside class="l-gutter margin-note"><p>A <em>note</em>.</p>\n</aside>' in html


def test_static_figure_with_layout_label_and_credit(tmp_path: Path) -> None:
    site_image = Path(__file__).resolve().parent.parent / "content/planted/images/gabor-bank.png"
    site = copy_site(tmp_path / "site")
    (site / "content/demo/pic.png").write_bytes(site_image.read_bytes())
    path = site / "content/demo/second.md"
    path.write_text(path.read_text() + "\n```{figure} pic.png\n:alt: Eight filters.\n"
                    ":layout: screen\n:label: fig-bank\n:credit: Figure from a test.\n\nThe *bank*.\n```\n")
    assert thread_cli("build", "--root", site).exit_code == 0
    html = (site / "_site/demo/second/index.html").read_text()
    assert '<figure class="l-screen" id="fig-bank"><img src="../../assets/' in html
    assert 'alt="Eight filters." width="438" height="60"' in html
    assert "Figure 1:</span> The <em>bank</em>." in html
    assert '<span class="credit">Figure from a test.</span>' in html


def test_missing_image_is_a_path_line_error(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    path = site / "content/demo/second.md"
    path.write_text(path.read_text() + "\n```{figure} nowhere.png\n:alt: Nothing.\n```\n")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 1
    assert result.stderr.startswith("content/demo/second.md:10: image not found: nowhere.png")


def test_bad_math_is_reported_with_its_line(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    path = site / "content/demo/second.md"
    path.write_text(path.read_text() + "\nok\n\nBad $\\left( x$ here.\n")
    result = thread_cli("check", "--root", site)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "content/demo/second.md:12: cannot convert math '\\left( x': "
        'expected closing token "\\right", but reached end of input')


def test_footnote_inside_a_directive_joins_the_article_notes(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site")
    path = site / "content/demo/second.md"
    path.write_text(path.read_text() + "\n```{aside}\nA margin note.[^m]\n```\n\nText.[^t]\n\n"
                    "[^m]: From the margin.\n[^t]: From the text.\n")
    assert thread_cli("build", "--root", site).exit_code == 0
    html = (site / "_site/demo/second/index.html").read_text()
    aside = html[html.index("<aside"):html.index("</aside>")]
    assert 'href="#fn1"' in aside and "From the margin." in aside  # the card, in the margin
    assert "footnotes-list" not in aside and html.count('id="fn1"') == 1
    appendix = html[html.index('id="footnotes"'):]
    assert appendix.index('id="fn1"') < appendix.index('id="fn2"')
    assert "From the margin." in appendix and "From the text." in appendix


def test_subfigure_grid_and_mismatched_alt_texts(tmp_path: Path) -> None:
    image = Path(__file__).resolve().parent.parent / "content/planted/images/gabor-bank.png"
    site = copy_site(tmp_path / "site")
    for name in ("a.png", "b.png"):
        (site / "content/demo" / name).write_bytes(image.read_bytes())
    path = site / "content/demo/second.md"
    original = path.read_text()
    path.write_text(original + "\n```{figure} a.png b.png\n:alt: First. | Second.\n"
                    ":subcaptions: Edges | Curves\n:columns: 2\n\nBoth.\n```\n")
    assert thread_cli("build", "--root", site).exit_code == 0
    html = (site / "_site/demo/second/index.html").read_text()
    grid = html[html.index('<div class="subfigure-grid" style="--columns: 2">'):]
    assert grid.count('<figure class="subfigure"><img src="../../assets/') == 2
    assert 'alt="Second."' in grid and "<figcaption>(b) Curves</figcaption>" in grid
    path.write_text(original + "\n```{figure} a.png b.png\n:alt: Only one.\n```\n")
    result = thread_cli("build", "--root", site)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "content/demo/second.md:10: figure has 2 image(s) but 1 alt texts "
        "(separate one alt text per image with '|')")
