"""LaTeX becomes MathML Core that Chromium draws right (generator/maths.py).

The fixture tests/sites/valid/maths holds formulas from interpretability papers; the unit tests
below name the constructs one at a time. What a reader sees is measured in
tests/browser/test_maths.py.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, fromstring

import pytest
from conftest import REPO, built_copy

from generator.maths import (
    LATIN_MODERN_DELIMITERS,
    LATIN_MODERN_ITALIC_CORRECTIONS,
    MathError,
    to_mathml,
)

FIXTURE = REPO / "tests/sites/valid/maths"
FONT = REPO / "theme/static/fonts/latinmodern-math.otf"


def tree(latex: str, display: bool = True) -> Element:
    """The MathML of ``latex``, parsed (MathML's namespace dropped from the tag names)."""
    html = to_mathml(latex, display).replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "")
    return fromstring(html.replace("&nbsp;", "\u00a0"))


def tokens(element: Element) -> list[tuple[str, str]]:
    return [(e.tag, e.text or "") for e in element.iter() if e.tag in ("mi", "mo", "mn", "mtext")]


# --- sized delimiters ------------------------------------------------------------------------

@pytest.mark.parametrize("command, size", [("big", "1.2em"), ("Big", "1.623em"),
                                           ("bigg", "2.047em"), ("Bigg", "2.470em")])
def test_sized_delimiters_carry_their_size_also_before_a_superscript(command: str, size: str):
    math = tree(rf"\{command}(a + b\{command})^2")
    opening = math[0]
    assert (opening.tag, opening.text) == ("mo", "(")
    assert opening.get("minsize") == opening.get("maxsize") == size
    script = math.find("msup")
    # Chromium stretches an <mo> in a row, not one that is a script's base: it is wrapped
    assert script[0].tag == "mrow" and script[0][0].tag == "mo" and script[0][0].text == ")"
    assert script[0][0].get("minsize") == script[0][0].get("maxsize") == size


def test_a_big_delimiter_takes_back_the_width_chromium_gives_every_variant():
    big = tree(r"\big(x\big)")[0]
    # Latin Modern's ( is laid out 0.875em wide; \big draws the 0.458em variant, centred
    assert big.get("style") == "margin-inline: -0.208em"
    assert tree(r"\Bigg(x\Bigg)")[0].get("style") is None  # the widest variant fills its box


def test_fences_around_one_line_do_not_stretch_but_around_a_fraction_they_do():
    flat = tree(r"\left( x_i - y^2 \right)")
    assert [mo.get("stretchy") for mo in flat.iter("mo") if mo.text in "()"] == ["false", "false"]
    tall = tree(r"\left( \frac{a}{b} \right)")
    assert [mo.get("stretchy") for mo in tall.iter("mo") if mo.text in "()"] == [None, None]
    summed = tree(r"\left( \sum_i x_i \right)")
    assert [mo.get("stretchy") for mo in summed.iter("mo") if mo.text in "()"] == [None, None]


# --- letters and operators -------------------------------------------------------------------

def test_bold_is_unicode_bold_not_mathvariant():
    math = tree(r"\mathbf{x} + \mathbf{W} + \boldsymbol{\theta} + \boldsymbol{\mu} + \mathbf{0}")
    assert [t for t in tokens(math) if t[0] in ("mi", "mn")] == [
        ("mi", "\U0001d431"), ("mi", "\U0001d416"), ("mi", "\U0001d73d"), ("mi", "\U0001d741"),
        ("mi", "\U0001d7ce")]
    assert not any("bold" in (e.get("mathvariant") or "") for e in math.iter())


@pytest.mark.parametrize("latex, name", [
    (r"\mathrm{softmax}(z)", "softmax"), (r"\operatorname{score}(t)", "score"),
    (r"\log x", "log"), (r"\max_i x_i", "max"), (r"\arg\max_x h", "arg"), (r"\arg\max_x h", "max"),
    (r"\exp x", "exp"), (r"\lim_{n \to \infty} a_n", "lim"), (r"\operatorname{tr}(W)", "tr"),
    (r"\mathrm{ReLU}(x)", "ReLU")])
def test_operator_names_are_one_token(latex: str, name: str):
    math = tree(latex)
    assert ("mi", name) in tokens(math) or ("mo", name) in tokens(math)
    letters = "".join(text for tag, text in tokens(math) if tag == "mi" and len(text) == 1)
    assert name not in letters  # not spelt out letter by letter
    assert "\\" not in "".join(math.itertext())  # \arg was once shown as text


def test_a_subscript_is_a_subscript():
    math = tree("k_w")
    assert math[0].tag == "msub"
    assert [(c.tag, c.text) for c in math[0]] == [("mi", "k"), ("mi", "w")]
    inline = tree(r"\sum_{k_h, k_w} W", display=False)
    assert len([s for s in inline.iter("msub") if s[0].text == "k"]) == 2


def test_display_limits_go_under_and_inline_limits_to_the_side():
    assert tree(r"\sum_{h \in H} x")[0].tag == "munder"
    assert tree(r"\sum_{h \in H} x", display=False).find(".//munder") is not None  # movablelimits
    assert tree(r"\arg\max_x h").find(".//munder") is not None


def test_primes_follow_their_letter_instead_of_floating_as_a_script():
    assert [(c.tag, c.text) for c in tree("x'")[0]] == [("mi", "x"), ("mo", "\u2032")]
    sub = tree("x'_i")[0]
    assert sub.tag == "msub" and sub[0].tag == "mrow" and sub[0][1].text == "\u2032"


def test_a_superscript_clears_a_slanted_letter():
    sup = tree(r"W^h_{OV}")[0]
    correction = LATIN_MODERN_ITALIC_CORRECTIONS["W"] / 1000 / 0.7
    assert sup[2].get("style") == f"margin-inline-start: {correction:.3f}em"
    assert tree("x^2")[0][1].get("style") is None  # no slant, no shift


def test_accents_text_and_cases():
    vec = tree(r"\vec{v}")[0]
    assert vec.tag == "mover" and vec[1].text == "\u00a0\u20d7"  # centred on a no-break space
    assert tree(r"\hat{x}")[0].tag == "mover"
    cases = tree(r"\begin{cases} x & \text{if } x > 0 \\ 0 & \text{otherwise} \end{cases}")
    assert cases.find(".//mtable") is not None and ("mtext", "otherwise") in tokens(cases)
    # MathML Core's scriptlevel, which the Nu checker refuses on a table, as its CSS property
    assert cases.find(".//mtable").get("scriptlevel") is None
    assert "math-depth: 0" in cases.find(".//mtable").get("style")
    assert tree(r"\mbox{if }x")[0].tag == "mtext"


# --- what is not MathML Core -----------------------------------------------------------------

@pytest.mark.parametrize("latex, cls", [(r"\cancel{b}", "math-cancel"),
                                        (r"\bcancel{b}", "math-bcancel"),
                                        (r"\xcancel{b}", "math-xcancel"),
                                        (r"\boxed{b}", "math-boxed")])
def test_enclosures_become_rows_the_theme_draws(latex: str, cls: str):
    math = tree(latex)
    assert math.find(".//menclose") is None
    row = math[0]
    assert row.tag == "mrow" and row.get("class") == cls and [c.tag for c in row] == ["mi"]
    assert f".{cls} " in (REPO / "theme/static/style.css").read_text()


@pytest.mark.parametrize("latex, message", [
    (r"\frac{a}{", 'expected closing token "}", but reached end of input'),
    (r"x + \foo y", "unknown command \"\\foo\" (at '\\foo y')"),
    (r"\href{https://example.org}{x}", 'unknown command "\\href"'),
    (r"\text{a&b}", "not valid in text mode (at '&b}')")])
def test_latex_that_cannot_convert_says_why_and_where(latex: str, message: str):
    with pytest.raises(MathError) as caught:
        to_mathml(latex, True)
    assert str(caught.value) == message


def test_output_is_html_with_the_mathml_namespace_and_display():
    assert to_mathml("x", False).startswith(
        '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline"><mi>x</mi>')
    assert to_mathml(r"a \mathrel{\&} <", True).count("&amp;") == 1
    assert "<mspace></mspace>" in to_mathml(r"\log x", True)  # open and closed, never "<x/>"


# --- the font --------------------------------------------------------------------------------

def test_the_maths_font_is_self_hosted_with_its_licence():
    css = (REPO / "theme/static/style.css").read_text()
    face = re.search(r"@font-face \{[^}]*\}", css).group(0)
    assert '"Latin Modern Math"' in face and "url(fonts/latinmodern-math.otf)" in face
    assert re.search(r'math \{ font-family: "Latin Modern Math", math;', css)
    assert FONT.read_bytes()[:4] == b"OTTO"  # OpenType (CFF), unmodified from the GUST release
    assert "GUST Font License" in (FONT.parent / "latinmodern-math-LICENSE.txt").read_text()


def test_the_font_tables_in_the_code_match_the_shipped_font():
    ttlib = pytest.importorskip("fontTools.ttLib")
    font = ttlib.TTFont(FONT)
    math, cmap, metrics = font["MATH"].table, font.getBestCmap(), font["hmtx"]
    variants = math.MathVariants
    for chars, (widest, sizes) in LATIN_MODERN_DELIMITERS.items():
        for char in chars:
            glyph = cmap[ord(char)]
            build = variants.VertGlyphConstruction[variants.VertGlyphCoverage.glyphs.index(glyph)]
            records = build.MathGlyphVariantRecord
            assert sizes == tuple((r.AdvanceMeasurement, metrics[r.VariantGlyph][0])
                                  for r in records)
            assembly = build.GlyphAssembly.PartRecords if build.GlyphAssembly else []
            parts = [metrics[p.glyph][0] for p in assembly]
            assert widest == max([w for _, w in sizes] + parts)
    info = math.MathGlyphInfo.MathItalicsCorrectionInfo
    corrections = dict(zip(info.Coverage.glyphs, (v.Value for v in info.ItalicsCorrection)))
    italic = {"W": 0x1D44A, "f": 0x1D453, "V": 0x1D449, "τ": 0x1D70F}
    for letter, code in italic.items():
        assert LATIN_MODERN_ITALIC_CORRECTIONS[letter] == corrections[cmap[code]]


# --- the fixture -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def formulas_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    site = built_copy(FIXTURE, tmp_path_factory.mktemp("maths") / "site")
    return (site / "_site/maths/formulas/index.html").read_text()


def test_every_formula_of_the_fixture_converts(formulas_page: str):
    source = (FIXTURE / "content/maths/formulas.md").read_text()
    displays = re.findall(r'<div class="math-display" tabindex="0"><math .*?</math></div>',
                          formulas_page, re.DOTALL)
    assert len(displays) == source.count("\n$$\n") // 2 >= 40
    assert formulas_page.count('display="inline"') >= 12
    assert "mathvariant=\"bold" not in formulas_page and "<menclose" not in formulas_page
    assert "\\" not in re.sub(r"<[^>]+>", "", "".join(displays))  # no LaTeX left as text
