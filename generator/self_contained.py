"""Self-contained documents: parsed, checked and rendered in one go, across processes.

Most articles need nothing from the rest of the site beyond front matter, which the load stage
has read: their citations, footnotes, labels, cross-references and static figures resolve within
the document. Such a document is parsed, checked and rendered by one task, in a forked worker
when the site is large (:mod:`generator.parallel`), and only its page bytes and the files it
embeds come back — no tokens cross a process boundary, and none stay in memory after it.

A document that uses a figure builder, a ``{unit}`` reference or a ``{ref}`` to another
article joins the site-wide stages
(its figures are keyed and computed with everyone's, its units get pages), and so does a
document with any problem, so that its errors are reported with all the others. Either way the
bytes are the same as from the site-wide path: the same checks and the same renderer run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from generator import markdown
from generator.content import Article, Document, Page
from generator.directives.cite import is_cross_ref
from generator.document_state import DocumentState
from generator.errors import ErrorCollector
from generator.myst import document_env
from generator.resolve import Resolver, calls, check_documents

if TYPE_CHECKING:
    from generator.plan import FigurePlan
    from generator.render import Renderer


@dataclass
class Rendered:
    """A self-contained document's outputs and its record (merged into the site-wide resolver
    like any other: :meth:`generator.resolve.Resolver.merge`)."""

    outputs: dict[str, bytes]
    state: DocumentState = field(default_factory=DocumentState)


def is_self_contained(tokens: list, builders: dict) -> bool:
    return not any(call.name in builders or call.kind == "role" and call.name == "unit"
                   or is_cross_ref(call) for call in calls(tokens))


def process(root: Path, plan: FigurePlan, renderer: Renderer,
            document: Document) -> Rendered | None:
    """Parse, check and render ``document``; None if it must go the site-wide way."""
    errors = ErrorCollector()
    tokens, env = markdown.parse(document.source.body, document.source.path,
                                 document.source.body_line - 1, errors,
                                 env=document_env(document), registry=plan.registry)
    if errors.errors:
        return None  # parsed again by the caller, which reports the errors with all others
    document.tokens, document.env = tokens, env
    if not is_self_contained(tokens, plan.builders) or document.references_incomplete:
        return None  # unchecked: the caller keeps the tokens (when in this process)
    resolver = Resolver(root, errors)
    resolver.plan = plan
    check_documents([document], resolver, errors)
    if errors.errors or errors.warnings:  # checked again site-wide, reported with the rest
        document.tokens, document.env = [], {}
        return None
    renderer.resolver = resolver
    if isinstance(document, Article):
        outputs = {document.url + "index.html": renderer.article(document),
                   document.url + "citation.bib": renderer.citation(document).bibtex.encode()}
    elif isinstance(document, Page):
        outputs = {document.url + "index.html": renderer.page("page.html", document.url,
                                                              document)}
    else:
        return None
    document.tokens, document.env = [], {}
    return Rendered(outputs, resolver.states.get(id(document), DocumentState()))
