"""The output paths every document will have, checked before anything is rendered or written.

Two inputs must never map to one output file, and no page may land where the generator writes
its own files (the home page, feeds, assets, unit pages, the search index): a clash is an error at
the document's first line, found by the load stage, so ``thread check`` reports it too.
"""

from __future__ import annotations

from generator.content import Article, Content, Document, Thread
from generator.errors import SiteError

GENERATED_FILES = ("index.html", "404.html", "feed.xml", "sitemap.xml", "robots.txt")
"""Files the generator writes at the top of the site."""
GENERATED_FOLDERS = ("assets", "static", "units", "pagefind")
"""Folders the generator fills: copied files, theme files, unit pages, the search index."""


def document_outputs(document: Document) -> list[str]:
    """The files a document's page produces (site-relative)."""
    if isinstance(document, Thread):
        return [document.url + "index.html", document.url + "feed.xml"]
    extra = [document.url + "citation.bib"] if isinstance(document, Article) else []
    return [document.url + "index.html", *extra]


def clashes(content: Content) -> list[SiteError]:
    """Every document whose output would collide with another's or with the generator's: the
    same file twice, or a file where another output needs a folder (``t/index.html.md``)."""
    owners: dict[str, Document | None] = dict.fromkeys(GENERATED_FILES)  # None: the generator
    errors: list[SiteError] = []
    for document in content.documents():
        top = document.url.split("/", 1)[0]
        if top in GENERATED_FOLDERS:
            errors.append(SiteError(document.source.path, 1, f"its page would be written under "
                                    f"'{top}/', where the generator writes its own files",
                                    "rename the file or folder"))
            continue
        for output in document_outputs(document):
            if output in owners:
                errors.append(_clash(document, f"its page would be written to '{output}', "
                                     "which is already", owners[output]))
                break
            owners[output] = document
    blamed = set()
    for output, owner in owners.items():
        folder = next((f for f in _folders(output) if f in owners), None)
        if folder is not None and owner is not None and id(owner) not in blamed:
            blamed.add(id(owner))
            errors.append(_clash(owner, f"its page '{output}' needs '{folder}' to be a folder, "
                                 "but that is", owners[folder]))
    return errors


def _clash(document: Document, message: str, other: Document | None) -> SiteError:
    who = "a file of the generator" if other is None else \
        f"the output of {other.source.path.as_posix()}"
    return SiteError(document.source.path, 1, f"{message} {who}", "rename the file")


def _folders(output: str) -> list[str]:
    """``a/b/c.html`` → ``["a", "a/b"]``: the folders a file needs."""
    parts = output.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]
