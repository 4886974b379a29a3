"""Citations and cross-references.

- ``[@key]``, ``[@a; @b]`` (Pandoc) and ``{cite}`a,b` `` (MyST) cite BibTeX entries; numbers
  follow first appearance in the article, and each number opens a card with the entry.
- ``{ref}`label` `` links to a labelled figure, equation or section of the same article and
  previews it in a card; ``{ref}`its own text <label>` `` sets the link's text (MyST). ``@label`` is not used, so an e-mail address never becomes a reference.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from generator.directives import role
from generator.errors import SiteError, did_you_mean

PANDOC_CITATION = re.compile(r"\[(@[^\s;\]\[]+(?:\s*;\s*@[^\s;\]\[]+)*)\]")


def pandoc_citations_plugin(md: MarkdownIt) -> None:
    """``[@a; @b]`` → the same token a ``{cite}`` role makes."""
    md.inline.ruler.before("link", "pandoc_citation", _pandoc_citation)


def _pandoc_citation(state, silent: bool) -> bool:
    if state.src[state.pos] != "[":
        return False
    match = PANDOC_CITATION.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("myst_role", "", 0)
        token.meta = {"name": "cite"}
        # line breaks between keys are kept, so an unknown key is told at its own line
        keys = re.sub(r"\s*;\s*", lambda m: "," + "\n" * m.group().count("\n"), match.group(1))
        token.content = ",".join(re.sub(r"^(\n*)@+", r"\1", k) for k in keys.split(","))
    state.pos = match.end()
    return True


def _line(call, text: str) -> int:
    """The line of ``text`` in a role's argument, which may span lines."""
    return call.line + call.argument.count("\n", 0, max(call.argument.find(text), 0))


def check_cite(call, resolver) -> None:
    keys = [k.strip() for k in call.argument.split(",") if k.strip()]
    if not keys:
        raise SiteError(call.path, call.line, "a citation needs at least one key")
    known = call.document.references
    if call.document.references_incomplete:  # a bibliography failed to load, and was told:
        keys = [key for key in keys if key in known]  # a key missing here may be in it
    for key in keys:
        if key not in known:
            hint = did_you_mean(key, set(known)) or (
                "add it to a .bib file named in `bibliography`" if known else
                "this article has no bibliography; add `bibliography: refs.bib` to its front matter")
            raise SiteError(call.path, _line(call, key), f"unknown citation key '{key}'", hint)
    numbered = {resolver.cite(call.document, key): known[key] for key in keys}
    call.data["references"] = sorted(numbered.items(), key=lambda item: item[0])


@role("cite", check=check_cite)
def cite(call, ctx) -> str:
    return ctx.card("citation", refs=call.data["references"], index=ctx.next_card())


REF_WITH_TEXT = re.compile(r"^(.*?)\s*<([^<>]+)>\s*$", re.DOTALL)
"""MyST's ``{ref}`the link text <label>` ``."""


def check_ref(call, resolver) -> None:
    match = REF_WITH_TEXT.match(call.argument.strip())
    text, name = (match.group(1).strip(), match.group(2).strip()) if match else ("", call.argument.strip())
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


@role("ref", check=check_ref)
def ref(call, ctx) -> str:
    return ctx.card("crossref", label=call.data["label"], index=ctx.next_card(),
                    text=call.data.get("text"))
