"""``thread new``: create a thread, article or comment with front matter that validates."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from generator.content import CONTENT_DIR, THREAD_FILE
from generator.errors import BuildFailed, SiteError
from generator.write import write_file

THREAD = """---
title: "Thread: {title}"
description: What question does this thread pursue?
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
description: One or two sentences that say what this {kind} shows.
authors:
  - name: Your Name
    url: https://example.org/
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
        path, text = content / name / THREAD_FILE, THREAD.format(title=title, today=today)
    else:
        folder = content / _pick_thread(content, thread)
        path = folder / f"{name}.md"
        text = ARTICLE.format(title=title, kind=kind, today=today)
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
