"""``thread new``: create a thread, article or comment with front matter that validates; and
find the placeholders it writes still left in front matter (a warning: ``thread check
--strict`` fails on them)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from generator.content import CONTENT_DIR, THREAD_FILE, Article, Content, Thread, read_source
from generator.errors import BuildFailed, SiteError
from generator.write import write_file

PLACEHOLDER_NAME = "Your Name"
PLACEHOLDER_URL = "https://example.org/"
THREAD_DESCRIPTION = "What question does this thread pursue?"
ARTICLE_DESCRIPTION = "One or two sentences that say what this {kind} shows."

THREAD = """---
title: "Thread: {title}"
description: {description}
published: {today}
---

Introduce the thread: what it studies and why.

## Get involved

How readers can contribute articles or comments.

## About the thread format

Threads are collections of short articles and critical comments around one narrow topic.
"""

ARTICLE = """---
title: {title}
description: {description}
authors:
  - name: {name}
    url: {url}
    affiliations: []
published: {today}
kind: {kind}
---

Write the {kind} here. Figures, citations and margin notes are directives:

```{{aside}}
A margin note.
```
"""


def scaffold(root: Path, kind: str, name: str, thread: str | None, today: dt.date | None = None):
    """Write the new file and return its path relative to ``root``; never overwrites."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise _error(name, "names use lowercase letters, digits and hyphens, e.g. curve-detectors")
    today = today or dt.date.today()
    title = name.replace("-", " ").capitalize()
    content = root / CONTENT_DIR
    if kind == "thread":
        path = content / name / THREAD_FILE
        text = THREAD.format(title=title, today=today, description=THREAD_DESCRIPTION)
    else:
        folder = content / _pick_thread(content, thread)
        path = folder / f"{name}.md"
        text = ARTICLE.format(title=title, kind=kind, today=today, name=PLACEHOLDER_NAME,
                              url=PLACEHOLDER_URL,
                              description=ARTICLE_DESCRIPTION.format(kind=kind))
    if path.exists():
        raise _error(path.relative_to(root), "already exists; choose another name")
    write_file(path, text.encode("utf-8"))
    return path.relative_to(root)


def _pick_thread(content: Path, thread: str | None) -> str:
    threads = sorted(p.parent.relative_to(content).as_posix() for p in content.rglob(THREAD_FILE))
    if thread:
        if thread not in threads:
            raise _error(f"{CONTENT_DIR}/{thread}", "is not a thread (no thread.md)",
                         f"threads: {', '.join(threads) or 'none'}")
        return thread
    if len(threads) != 1:
        raise _error(CONTENT_DIR, "say which thread with --thread",
                     f"threads: {', '.join(threads) or 'none; run thread new thread NAME'}")
    return threads[0]


def _error(path, message: str, hint: str | None = None) -> BuildFailed:
    return BuildFailed([SiteError(path, None, message, hint)])


def leftovers(root: Path, content: Content) -> list[SiteError]:
    """A warning at each placeholder of :data:`ARTICLE` or :data:`THREAD` left in front matter."""
    found = []
    for doc in content.documents():
        places = list(_placeholders(doc))
        source = doc.source
        if places and source.node is None:  # front matter vouched for by the cache: find lines
            source = read_source(root, root / source.path, source.text)
        found += [SiteError(source.path, source.line_of(loc), f"'{value}' is a placeholder of "
                            "thread new", hint, warning=True) for loc, value, hint in places]
    return found


def _placeholders(doc):
    """(front matter key path, value, hint) of each placeholder in ``doc``."""
    if isinstance(doc, Thread) and doc.meta.description == THREAD_DESCRIPTION:
        yield ("description",), doc.meta.description, "say what question the thread pursues"
    if not isinstance(doc, Article):
        return
    if doc.meta.description in {ARTICLE_DESCRIPTION.format(kind=k) for k in ("article", "comment")}:
        yield ("description",), doc.meta.description, f"say what this {doc.meta.kind} shows"
    for index, author in enumerate(doc.meta.authors):
        if author.name == PLACEHOLDER_NAME:
            yield ("authors", index, "name"), author.name, "put the author's name here"
        if author.url == PLACEHOLDER_URL:
            yield ("authors", index, "url"), author.url, "link the author's page, or drop url"
