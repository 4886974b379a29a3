"""LaTeX to MathML Core, the subset of MathML that Chromium, Firefox and Safari all draw.

math-core does the conversion: it writes MathML Core (bold as Unicode mathematical letters, one
``<mi>`` per operator name, ``\\big`` sizes as ``minsize``/``maxsize``), where latex2mathml writes
MathML 3 that Chromium ignores in places. A short pass over its output, as an ElementTree, then
fixes what Chromium still draws wrong:

- a sized delimiter that carries a script (``\\Big)^2``) is the base of ``<msup>``, where Chromium
  does not stretch it: it is wrapped in an ``<mrow>``, where it does;
- ``\\cancel``, ``\\bcancel``, ``\\xcancel`` and ``\\boxed`` come out as ``<menclose>``, which is not
  in MathML Core: they become an ``<mrow>`` with a class that the theme's CSS strikes or boxes.

The theme ships a maths font (Latin Modern Math) for ``math`` elements: Chromium needs an OpenType
MATH table to stretch delimiters and place scripts.
"""

from __future__ import annotations

import re
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
    wrap_scripted_delimiters(math)
    replace_enclosures(math)
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


def wrap_scripted_delimiters(math: Element) -> None:
    """``\\big)^2``: Chromium stretches an ``<mo>`` in a row, not one that is a script's base."""
    for parent in math.iter():
        if parent.tag in SCRIPTED and len(parent) and _is_sized(parent[0]):
            row = Element("mrow")
            row.append(parent[0])
            parent[0] = row


def _is_sized(element: Element) -> bool:
    return element.tag == "mo" and element.get("minsize") is not None


def replace_enclosures(math: Element) -> None:
    """``<menclose>`` is not MathML Core: an ``<mrow class="math-cancel">`` (drawn by CSS) instead."""
    for element in math.iter("menclose"):
        notation = element.get("notation", "")
        if notation not in ENCLOSURES:
            raise MathError(f"'{notation}' enclosures cannot be drawn in MathML Core")
        element.tag = "mrow"
        element.attrib = {"class": ENCLOSURES[notation]}
        for helper in [child for child in element if child.get("class", "").startswith("menclose")]:
            element.remove(helper)
