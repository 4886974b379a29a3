"""Citations and cross-references.

- ``[@key]``, ``[@a; @b]`` (Pandoc) and ``{cite}`a,b` `` (MyST) cite BibTeX entries; numbers
  follow first appearance in the article, and each number opens a card with the entry.
  Pandoc's prefix and locator, ``[see @key, p. 3]``, are kept around the number
  (``[see 3, p. 3]``); ``[-@key]`` (suppress the author) is the plain number, since numbers
  name no author anyway.
- ``@key`` in running text (Pandoc) and ``{cite:t}`key` `` (MyST) cite in text: the authors'
  family names, then the number ("Olah et al. [3]"); ``@key [p. 3]`` adds a locator
  ("Olah et al. [3, p. 3]"). ``@`` after a letter or digit (an e-mail address) is text, as is
  ``\\@``; an ``@word`` that is no key of the bibliography is told as a warning and shown as
  written.
- ``{ref}`label` `` links to a labelled figure, equation or section of the same article and
  previews it in a card; ``{ref}`its own text <label>` `` sets the link's text (MyST);
  ``{ref}`slug#label` `` refers to one of another article or thread of the site
  (``curves-from-edges#fig-curve-family``), with the same card.
- ``[@slug]`` cites another article or thread of the site: its entry is made from its front
  matter (generator/citations.py's ``site_works``), no BibTeX needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markupsafe import escape

from generator.directives import role
from generator.errors import SiteError, did_you_mean

KEY = r"(?:\{[^{}\s]+\}|\w+(?:[:.#$%&+?<>~/-]+\w+)*)"
"""A Pandoc citation key: word characters with single inner punctuation (``olah2020:zoom``),
so a sentence's full stop is not part of it; or any key in braces, ``@{key.}``."""
BRACKETED = re.compile(r"\[([^\[\]]*@[^\[\]]*)\](?![(\[])")
"""``[...@key...]`` not followed by ``(`` or ``[`` (then it is a link's text)."""
ITEM = re.compile(rf"(?P<prefix>(?:.*?\s)?)(?P<suppress>-?)@+(?P<key>{KEY})(?P<rest>.*)",
                  re.DOTALL)
IN_TEXT = re.compile(rf"@(?P<key>{KEY})(?:\s?\[(?P<locator>[^\[\]@^][^\[\]@]*)\](?![(\[]))?")
"""In-text ``@key``, with Pandoc's locator after it if any: ``@key [p. 3]``."""


@dataclass(frozen=True)
class CiteItem:
    """One cited key, with Pandoc's prefix (``see``) and locator (``p. 3``) if written."""

    key: str
    prefix: str = ""
    locator: str = ""
    at: str = ""
    """The text an error about this key is told at (the key as written)."""


def citation_items(argument: str) -> list[CiteItem] | None:
    """The keys of a citation: Pandoc's ``see @a, p. 3; @b`` or MyST's ``a,b``; None when a
    Pandoc item has no ``@key``."""
    if "@" not in argument:
        return [CiteItem(k.strip(), at=k.strip()) for k in argument.split(",") if k.strip()]
    items = []
    for part in argument.split(";"):
        match = ITEM.fullmatch(part.strip())
        if match is None:
            return None
        rest = " ".join(match.group("rest").split())
        items.append(CiteItem(_unbrace(match.group("key")), " ".join(match.group("prefix").split()),
                              rest[1:].strip() if rest.startswith(",") else rest,
                              at="@" + match.group("key")))
    return items


def _unbrace(key: str) -> str:
    return key[1:-1] if key.startswith("{") else key


def pandoc_citations_plugin(md: MarkdownIt) -> None:
    """``[see @a, p. 3; @b]`` and in-text ``@a`` → the tokens ``{cite}`` and ``{cite:t}`` make."""
    md.inline.ruler.before("link", "pandoc_citation", _pandoc_citation)
    md.inline.ruler.after("pandoc_citation", "pandoc_in_text", _pandoc_in_text)


def _pandoc_citation(state, silent: bool) -> bool:
    if state.src[state.pos] != "[":
        return False
    match = BRACKETED.match(state.src, state.pos)
    if not match or citation_items(match.group(1)) is None:
        return False
    if not silent:
        token = state.push("myst_role", "", 0)
        token.meta = {"name": "cite"}
        token.content = match.group(1)  # line breaks kept: an unknown key is told at its line
    state.pos = match.end()
    return True


def _pandoc_in_text(state, silent: bool) -> bool:
    """``@key`` not after a letter, digit or ``@``, and not inside a link's text."""
    pos = state.pos
    if state.src[pos] != "@" or state.linkLevel > 0:
        return False
    if pos and re.match(r"[\w@]", state.src[pos - 1]):  # an e-mail address, or @@
        return False
    match = IN_TEXT.match(state.src, pos)
    if not match:
        return False
    if not silent:
        token = state.push("myst_role", "", 0)
        token.meta = {"name": "cite:t"}
        token.content = match.group()
    state.pos = match.end()
    return True


def _line(call, text: str) -> int:
    """The line of ``text`` in a role's argument, which may span lines."""
    return call.line + call.argument.count("\n", 0, max(call.argument.find(text), 0))


def check_cite(call, resolver) -> None:
    _number(call, resolver, citation_items(call.argument) or [])


def _number(call, resolver, items: list[CiteItem]) -> None:
    """Check the keys and number them: ``call.data`` gets the numbered references, in number
    order and in the author's order, and the text between the brackets if it has words."""
    if not items:
        raise SiteError(call.path, call.line, "a citation needs at least one key")
    known = call.document.references
    if call.document.references_incomplete:  # a bibliography failed to load, and was told:
        items = [item for item in items if item.key in known]  # a key missing may be in it
    for item in items:
        if item.key not in known:
            from_bibtex = any(not ref.site_work for ref in known.values())
            hint = did_you_mean(item.key, set(known)) or (
                "add it to a .bib file named in `bibliography`" if from_bibtex else
                "this article has no bibliography; add `bibliography: refs.bib` to its front matter")
            raise SiteError(call.path, _line(call, item.at), f"unknown citation key '{item.key}'",
                            hint)
    numbered = [(resolver.cite(call.document, item.key), known[item.key], item) for item in items]
    call.data["references"] = sorted({n: ref for n, ref, _ in numbered}.items(),
                                     key=lambda entry: entry[0])
    call.data["in_order"] = [(n, ref, _label(n, item)) for n, ref, item in numbered]
    if any(item.prefix or item.locator for item in items):  # the author's order and words
        call.data["label"] = "; ".join(label for _, _, label in call.data["in_order"])


def _label(number: int, item: CiteItem) -> str:
    """``see 3, p. 4``: one item as its brackets show it."""
    text = " ".join(filter(None, [item.prefix, str(number)]))
    return f"{text}, {item.locator}" if item.locator else text


@role("cite", check=check_cite)
def cite(call, ctx) -> str:
    return ctx.card("citation", refs=call.data["references"], index=ctx.next_card(),
                    label=call.data.get("label", ""))


def check_cite_in_text(call, resolver) -> None:
    """``{cite:t}`a,b` `` or Pandoc's bare ``@a [p. 3]``; an ``@word`` that is no key is a
    warning."""
    match = IN_TEXT.fullmatch(call.argument)
    if match is None:
        return check_cite(call, resolver)
    key, known = _unbrace(match.group("key")), call.document.references
    if key in known or call.document.references_incomplete:
        locator = " ".join((match.group("locator") or "").split())
        return _number(call, resolver, [CiteItem(key, locator=locator, at=call.argument)])
    at_word = "@" + match.group("key")
    hint = did_you_mean(key, set(known))
    hint = (f"{hint} " if hint else "") + f"write \\{at_word} if it is not a citation"
    raise SiteError(call.path, call.line, f"'{at_word}' is not a citation key of this "
                    "document's bibliography; shown as text", hint, warning=True)


@role("cite:t", check=check_cite_in_text)
def cite_in_text(call, ctx) -> str:
    """"Olah et al. [3]": the names, then the number's card, for each key in the author's
    order."""
    if not call.data.get("in_order"):  # an @word that is no key (warned): the text itself
        return str(escape(call.argument))
    return ", ".join(f"{escape(ref.in_text)} " + ctx.card("citation", refs=[(n, ref)],
                                                         index=ctx.next_card(), label=label)
                     for n, ref, label in call.data["in_order"])


REF_WITH_TEXT = re.compile(r"^(.*?)\s*<([^<>]+)>\s*$", re.DOTALL)
"""MyST's ``{ref}`the link text <label>` ``."""


def ref_parts(argument: str) -> tuple[str, str]:
    """(link text, label) of a ``{ref}``: MyST's ``the text <label>``, or the label alone."""
    match = REF_WITH_TEXT.match(argument.strip())
    return (match.group(1).strip(), match.group(2).strip()) if match else ("", argument.strip())


def check_ref(call, resolver) -> None:
    text, name = ref_parts(call.argument)
    if "#" in name:
        target = cross_target(call, resolver, name)
    else:
        target = resolver.label(call.document, name)
    if target is None:
        names = resolver.label_names(call.document)
        hint = did_you_mean(name, names) or (f"labels here: {', '.join(sorted(names))}" if names
                                             else "label a figure with :label: first")
        raise SiteError(call.path, _line(call, name), f"unknown reference '{name}'", hint)
    if not text and not target.text:
        raise SiteError(call.path, call.line, f"reference to '{name}' needs link text: the "
                        f"target labels a {target.kind} with no number or title",
                        f"{{ref}}`the text <{name}>`")
    call.data["label"] = target
    call.data["text"] = text


def cross_target(call, resolver, name: str):
    """``{ref}`curves-from-edges#fig-curve-family` ``: a label of another article (or thread)
    of the site, named by its slug (see :meth:`generator.content.Content.slugs`)."""
    slug, _, label = name.partition("#")
    slugs = resolver.slugs
    document = slugs.get(slug)
    if document is None:
        raise SiteError(call.path, _line(call, name), f"unknown article '{slug}' in reference "
                        f"'{name}'", did_you_mean(slug, set(slugs)) or
                        "name an article by its file name, without .md, then '#' and a label")
    target = resolver.cross_label(call.document, document, label)
    if target is None:
        names = resolver.label_names(document)
        hint = did_you_mean(label, names) or (
            f"labels there: {', '.join(sorted(names))}" if names else
            f"'{slug}' has no labels; give a figure there a :label: first")
        raise SiteError(call.path, _line(call, name), f"unknown label '{label}' in '{slug}'",
                        hint)
    return target


def is_cross_ref(call) -> bool:
    """A ``{ref}`` to another document: it needs the whole site's labels to resolve."""
    return call.kind == "role" and call.name == "ref" and "#" in ref_parts(call.argument)[1]


@role("ref", check=check_ref)
def ref(call, ctx) -> str:
    return ctx.card("crossref", label=call.data["label"], index=ctx.next_card(),
                    text=call.data.get("text"))
