"""LaTeX to MathML Core, the subset of MathML that Chromium, Firefox and Safari all draw.

math-core does the conversion: it writes MathML Core (bold as Unicode mathematical letters, one
``<mi>`` per operator name, ``\\big`` sizes as ``minsize``/``maxsize``), where latex2mathml writes
MathML 3 that Chromium ignores in places. A short pass over its output, as an ElementTree, then
fixes what Chromium still draws wrong:

- a sized delimiter that carries a script (``\\Big)^2``) is the base of ``<msup>``, where Chromium
  does not stretch it: it is wrapped in an ``<mrow>``, where it does;
- ``\\cancel``, ``\\bcancel``, ``\\xcancel`` and ``\\boxed`` come out as ``<menclose>``, which is
  not in MathML Core: they become an ``<mrow>`` with a class that the theme's CSS strikes or boxes;
- a stretchy delimiter is laid out as wide as its widest size variant (0.875em for Latin Modern's
  ``(``), so ``\\left( x_i \\right)`` reads "( x_i )": around content no taller than a line
  (no fraction, root, table, limits or large operator) the fences are made not stretchy, which
  is also the size TeX picks there;
- for the same reason ``\\big(`` drew a gap either side; its size is known, so the variant
  Chromium picks is known too, and negative margins take back the difference;
- Chromium puts a superscript right at its base's advance, into the slant of ``W`` in
  ``W^h_{OV}``: the letter's italic correction (from the font) moves it out, as TeX does;
- a prime is a superscript (``x'`` is ``<msup>``), but the Unicode prime is already raised, so it
  floated high and small: it follows its base in the row instead, as unicode-math sets it;
- ``scriptlevel`` on a table is MathML Core but not valid HTML (the Nu checker knows MathML 3):
  it becomes its CSS property, ``math-depth``;
- a combining accent (``\\vec``'s U+20D7) has no width of its own and was drawn left of its
  base: it is put on a no-break space, which centres it.

The theme ships a maths font (Latin Modern Math) for ``math`` elements: Chromium needs an OpenType
MATH table to stretch delimiters and place scripts.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from xml.etree.ElementTree import Element, fromstring, tostring

from math_core import LatexError, LatexToMathML

NAMESPACE = "http://www.w3.org/1998/Math/MathML"
MACROS = {"mbox": r"\text{#1}"}
"""Commands math-core lacks, written with ones it has."""
ENCLOSURES = {
    "updiagonalstrike": "math-cancel",
    "downdiagonalstrike": "math-bcancel",
    "updiagonalstrike downdiagonalstrike": "math-xcancel",
    "box": "math-boxed",
}
"""``<menclose notation>`` → the class of the ``<mrow>`` that replaces it (see style.css)."""
SCRIPTED = {"msub", "msup", "msubsup", "munder", "mover", "munderover"}
NAMED_ENTITIES = {"&ApplyFunction;": "\u2061"}
"""The named character references math-core writes; ElementTree knows only XML's five."""
POSITION = re.compile(r"^(\d+): ")
TALL = {"mfrac", "munder", "munderover", "mtable", "msqrt", "mroot"}
"""Elements that make a row taller than a line of text (a fenced row of none keeps its fences
small); ``mover`` is tall unless it is an accent."""
LARGE_OPERATORS = set("\u2210\u220f\u2211\u222b\u222c\u222d\u222e\u222f\u2230"
                      "\u22c0\u22c1\u22c2\u22c3\u2a00\u2a01\u2a02\u2a04\u2a06")
"""Operators drawn larger in display style (sums, products, integrals, big unions...)."""
PRIMES = set("\u2032\u2033\u2034\u2057")
LATIN_MODERN_DELIMITERS = {  # characters: (widest, ((height, width) of each size variant))
    "()": (875, ((997, 389), (1095, 422), (1195, 458), (1445, 523),
                 (1793, 597), (2093, 663), (2393, 736), (2991, 875))),
    "[]": (667, ((1001, 278), (1101, 340), (1201, 417), (1451, 444),
                 (1801, 472), (2101, 499), (2401, 528), (3001, 667))),
    "{}": (902, ((1001, 500), (1101, 540), (1201, 583), (1451, 624),
                 (1801, 667), (2101, 707), (2401, 750), (3001, 902))),
    "|": (278, ((1001, 278), (1203, 278), (1445, 278), (1735, 278),
                (2085, 278), (2503, 278), (3005, 278), (3607, 278))),
    "‖": (424, ((1001, 398), (1203, 354), (1445, 364), (1735, 372),
                (2085, 386), (2503, 396), (3005, 410), (3607, 424))),
    "⟨⟩": (908, ((1001, 389), (1101, 428), (1201, 472), (1451, 537),
                 (1801, 611), (2101, 677), (2401, 750), (3001, 908))),
    "⌊⌋⌈⌉": (667, ((1001, 444), (1101, 458), (1201, 472), (1451, 499),
                   (1801, 528), (2101, 555), (2401, 583), (3001, 623))),
}
"""Latin Modern Math's vertical size variants (font units, 1000 an em), from its MATH table:
tests/test_maths.py checks them against theme/static/fonts/latinmodern-math.otf."""
LATIN_MODERN_ITALIC_CORRECTIONS = {
    "B": 25, "C": 73, "E": 54, "F": 134, "H": 78, "I": 85, "J": 106, "K": 68, "M": 102, "N": 106,
    "P": 140, "R": 24, "S": 60, "T": 148, "U": 105, "V": 214, "W": 132, "X": 51, "Y": 209,
    "Z": 68, "c": 25, "d": 24, "f": 90, "g": 25, "q": 34, "y": 28, "z": 30, "β": 36, "γ": 53,
    "δ": 36, "ζ": 64, "η": 27, "ν": 58, "ξ": 36, "π": 25, "ς": 74, "σ": 24, "τ": 102,
}
"""Italic corrections of Latin Modern Math's italic letters (font units; 20 and up), from its
MATH table: how far a superscript must move right to clear the letter's slant."""
SCRIPT_SCALE = 0.7
"""Latin Modern's scriptPercentScaleDown: a superscript's em is 0.7 of its base's."""


class MathError(ValueError):
    """LaTeX that cannot become MathML Core; the message says why, for the author."""


@lru_cache(maxsize=1)
def converter() -> LatexToMathML:
    """One converter: it keeps no state between formulas (local state, no global group)."""
    return LatexToMathML(macros=MACROS, fancy_error=False)


def to_mathml(latex: str, display: bool) -> str:
    """The ``<math>`` element for ``latex``, as HTML; :class:`MathError` if it cannot convert."""
    try:
        raw = converter().convert_with_local_state(latex, displaystyle=display)
    except LatexError as exc:
        raise MathError(reason(str(exc), latex)) from None
    for entity, char in NAMED_ENTITIES.items():
        raw = raw.replace(entity, char)
    math = fromstring(raw)
    for fix in FIXES:
        fix(math)
    math.attrib = {"xmlns": NAMESPACE, "display": "block" if display else "inline",
                   **{k: v for k, v in math.attrib.items() if k != "display"}}
    # every element written open and closed: HTML parses "<mspace/>" in MathML, but not everyone
    return tostring(math, encoding="unicode", short_empty_elements=False)


def reason(message: str, latex: str) -> str:
    """math-core's ``"14: Unknown command ..."`` as ``"unknown command ... (at '...')"``."""
    message = message.strip().rstrip(".")
    match = POSITION.match(message)
    if match:
        message = message[match.end():]
        at = latex[int(match.group(1)):][:12].strip()
        if at and int(match.group(1)) > 0:
            message += f" (at '{at}')"
    return message[:1].lower() + message[1:]


def add_style(element: Element, declaration: str) -> None:
    """Append a CSS declaration to ``element``'s ``style`` (math-core writes some itself)."""
    element.set("style", "; ".join(filter(None, [element.get("style"), declaration])))


def wrap_scripted_delimiters(math: Element) -> None:
    """``\\big)^2``: Chromium stretches an ``<mo>`` in a row, not one that is a script's base."""
    for parent in list(math.iter()):
        if parent.tag in SCRIPTED and len(parent) and _is_sized(parent[0]):
            row = Element("mrow")
            row.append(parent[0])
            parent[0] = row


def _is_sized(element: Element) -> bool:
    return element.tag == "mo" and element.get("minsize") is not None


def replace_enclosures(math: Element) -> None:
    """``<menclose>`` is not MathML Core: an ``<mrow class="math-cancel">`` (CSS draws it)."""
    for element in list(math.iter("menclose")):
        notation = element.get("notation", "")
        if notation not in ENCLOSURES:
            raise MathError(f"'{notation}' enclosures cannot be drawn in MathML Core")
        element.tag = "mrow"
        element.attrib = {"class": ENCLOSURES[notation]}
        for helper in [child for child in element if child.get("class", "").startswith("menclose")]:
            element.remove(helper)


def unstretch_flat_fences(math: Element) -> None:
    """``\\left( x_i \\right)``: fences around one line of content need not stretch."""
    for row in math.iter("mrow"):
        fences = (row[0], row[-1]) if len(row) >= 2 else ()
        if (fences and all(_is_stretchable(fence) for fence in fences)
                and all(_is_flat(child) for child in row[1:-1])):
            for fence in fences:
                fence.set("stretchy", "false")


def _is_stretchable(element: Element) -> bool:
    return (element.tag == "mo" and "stretchy" not in element.attrib
            and "minsize" not in element.attrib)


def _is_flat(element: Element) -> bool:
    if element.tag in TALL or (element.tag == "mover" and element.get("accent") != "true"):
        return False
    if element.tag == "mo" and (element.text or "").strip() in LARGE_OPERATORS:
        return False
    return all(_is_flat(child) for child in element)


def tighten_sized_delimiters(math: Element) -> None:
    """``\\big(``: Chromium sizes the box by the widest variant and centres the one it draws."""
    for mo in math.iter("mo"):
        size, text = mo.get("minsize", ""), (mo.text or "").strip()
        group = next((chars for chars in LATIN_MODERN_DELIMITERS if text and text in chars), None)
        if group is None or not size.endswith("em") or size != mo.get("maxsize"):
            continue
        widest, variants = LATIN_MODERN_DELIMITERS[group]
        target = float(size.removesuffix("em")) * 1000 * 0.99  # \big's 1.2em gets the 1195 variant
        width = next((w for height, w in variants if height >= target), widest)
        if widest > width:
            add_style(mo, f"margin-inline: -{(widest - width) / 2000:.3f}em")


def unscript_primes(math: Element) -> None:
    """``x'``: ``<msup>`` of x and ′ → x′ in a row; ``x'_i`` → ``<msub>`` of (x′) and i."""
    for parent in list(math.iter()):
        for index, child in enumerate(parent):
            if child.tag not in ("msup", "msubsup") or not _is_prime(child[-1]):
                continue
            prime = child[-1]
            prime.attrib = {"lspace": "0", "rspace": "0"}
            row = Element("mrow")
            row.extend([child[0], prime])
            if child.tag == "msup":
                parent[index] = row
            else:
                script = Element("msub")
                script.extend([row, child[1]])
                parent[index] = script


def _is_prime(element: Element) -> bool:
    text = (element.text or "").strip()
    return element.tag in ("mo", "mi") and len(element) == 0 and bool(text) and set(text) <= PRIMES


def correct_italic_superscripts(math: Element) -> None:
    """``W^h``: the superscript starts after the slanted letter's italic correction."""
    for script in math.iter():
        if script.tag not in ("msup", "msubsup") or len(script) < 2:
            continue
        base, superscript = script[0], script[-1]
        correction = LATIN_MODERN_ITALIC_CORRECTIONS.get((base.text or "").strip())
        if base.tag != "mi" or len(base) or base.get("mathvariant") or correction is None:
            continue
        add_style(superscript, f"margin-inline-start: {correction / 1000 / SCRIPT_SCALE:.3f}em")


def centre_combining_accents(math: Element) -> None:
    """``\\vec{v}``: a combining mark alone has no advance; on a no-break space it is centred."""
    for over in math.iter("mover"):
        accent = over[1] if len(over) == 2 else None
        if (accent is not None and over.get("accent") == "true" and accent.tag == "mo"
                and accent.get("stretchy") != "true" and len(accent.text or "") == 1
                and unicodedata.category(accent.text) == "Mn"):
            accent.text = "\u00a0" + accent.text


def script_levels_as_css(math: Element) -> None:
    """``<mtable scriptlevel="0">`` → ``style="math-depth: 0"``, which the Nu checker accepts."""
    for element in math.iter():
        level = element.attrib.pop("scriptlevel", None) if element.tag != "mstyle" else None
        if level is not None:
            depth = f"add({level})" if level[:1] in "+-" else level
            add_style(element, f"math-depth: {depth}")


FIXES = (wrap_scripted_delimiters, replace_enclosures, unstretch_flat_fences,
         tighten_sized_delimiters, unscript_primes, correct_italic_superscripts,
         centre_combining_accents, script_levels_as_css)
"""The passes over math-core's output, in order."""
