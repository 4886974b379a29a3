"""Hover boxes (Distill's ``d-hover-box``): a card of any Markdown, shown by a role.

```{hover-box}
:label: gabor

A **Gabor function** is a grating under a Gaussian envelope. ![The eight filters.](images/x.png)
Unit {unit}`planted/relu1:0` is one.
```

``{hover}`Gabor functions <gabor>` `` shows the words *Gabor functions* as a link whose card
holds the box: on hover, keyboard focus and tap, like a citation's (theme/static/cards.js).
The directive shows nothing where it stands; its paragraphs, one per block of the card, may hold
emphasis, links, images, maths and roles. A box may be shown from several places of the same
article.
"""

from __future__ import annotations

import re

from markupsafe import Markup
from pydantic import Field

from generator.directives import Options, directive, role
from generator.errors import SiteError, did_you_mean
from generator.resolve import calls

HOVER = re.compile(r"^(?P<text>.*?\S)\s*<(?P<label>[^<>\s]+)>$", re.DOTALL)
"""``text <label>``, as MyST's ``{ref}`` writes an explicit title."""
LABEL = r"^[A-Za-z][\w-]*$"


class HoverBoxOptions(Options):
    label: str = Field(pattern=LABEL)
    """The name ``{hover}`text <label>` `` uses: a letter, then letters, digits, - or _."""


def boxes(tokens: list):
    """Every hover-box call of a document, nested bodies included, in document order."""
    return (call for call in calls(tokens) if call.kind == "directive" and call.name == "hover-box")


def shown_label(call) -> str | None:
    """The box a ``{hover}`` role names, or None if it names none."""
    match = HOVER.match(call.argument.strip())
    return match.group("label") if match else None


def check_box(call, resolver) -> None:
    label, tokens = call.options.label, call.document.tokens
    first = next(box for box in boxes(tokens) if box.options.label == label)
    if first is not call:
        raise SiteError(call.path, call.line_of("label"), f"hover box '{label}' is defined "
                        f"twice (first at line {first.line})", "give each a label")
    if not call.tokens:
        raise SiteError(call.path, call.line, f"hover box '{label}' is empty",
                        "write what its card shows below the options")
    if not any(c.kind == "role" and c.name == "hover" and shown_label(c) == label
               for c in calls(tokens)):
        resolver.errors.warn(call.path, call.line, f"hover box '{label}' is never shown",
                             f"show it with {{hover}}`some words <{label}>`, or remove it")


@directive("hover-box", options=HoverBoxOptions, check=check_box)
def hover_box(call, ctx) -> str:
    return ""  # shown only in the cards of the roles that name it


def check_hover(call, resolver) -> None:
    match = HOVER.match(call.argument.strip())
    if match is None:
        raise SiteError(call.path, call.line, f"hover '{call.argument}' must look like "
                        "text <label>", "e.g. {hover}`Gabor functions <gabor>`")
    label = match.group("label")
    found = {box.options.label: box for box in boxes(call.document.tokens)}
    if label not in found:
        hint = did_you_mean(label, set(found)) or ("define it with ```{hover-box} and "
                                                   f":label: {label}")
        raise SiteError(call.path, call.line, f"unknown hover box '{label}'", hint)
    call.data.update(text=match.group("text"), box=found[label])


@role("hover", check=check_hover)
def hover(call, ctx) -> str:
    return ctx.card("hover", text=call.data["text"], body=card_body(call.data["box"], ctx),
                    index=ctx.next_card())


def card_body(box, ctx) -> Markup:
    """The box's paragraphs, each as inline HTML in a ``<span>`` the theme shows as a block (a
    card sits inside a paragraph, so it holds no ``<p>``). Its first card on the page holds the anchors of the
    footnotes it cites (the notes' back-links go there); later ones are previews without."""
    first = id(box) not in ctx.once
    ctx.once.add(id(box))
    return Markup("").join(Markup('<span class="card-paragraph">{}</span>').format(
        ctx.markdown([token], preview=not first)) for token in _inline(box.tokens))


def _inline(tokens: list):
    for token in tokens:
        if token.type == "inline":
            yield token
