"""Files under ``content/`` → :class:`Thread`, :class:`Article` and :class:`Page` objects.

A folder holding ``thread.md`` is a thread; every other ``.md`` in it is an article or a
comment. Markdown files outside threads are standalone pages with ``title`` and ``date``.
Front matter is YAML between ``---`` lines; its problems are reported with their line.
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from generator.config import Config, link_url
from generator.errors import (
    ErrorCollector,
    SiteError,
    decode_error,
    did_you_mean,
    from_validation,
    line_at,
)
from generator.paths import OUTSIDE_HINT, inside_root, outside_message

CONTENT_DIR = "content"
THREAD_FILE = "thread.md"
STR_TAG = "tag:yaml.org,2002:str"
MERGE_TAG = "tag:yaml.org,2002:merge"
EMAIL = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+")


class FrontMatterLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so pydantic validates them and reports the line."""


FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)


class Author(Strict):
    name: str
    """Full name as shown in the byline, e.g. "Ada Lovelace"."""
    url: str | None = None
    """Personal page linked from the byline: http(s), mailto or relative."""
    affiliations: list[str] = Field(default_factory=list)
    """Keys into ``[affiliations]`` of site.toml."""
    equal: bool = False
    """Contributed equally with the other authors marked ``equal`` (a * in the byline)."""
    corresponding: bool = False
    """The corresponding author (a † in the byline, with ``email``)."""
    email: str | None = None
    """Address for correspondence, shown in the byline's note; required if ``corresponding``."""

    _url = field_validator("url")(link_url)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.fullmatch(value):
            raise ValueError(f"{value!r} is not an email address like name@example.org")
        return value

    @model_validator(mode="after")
    def _corresponding_has_email(self) -> Author:
        if self.corresponding and not self.email:
            raise ValueError("a corresponding author needs an email: address")
        return self

    @property
    def family_name(self) -> str:
        return self.name.split()[-1] if self.name.split() else self.name


def _number_as_text(value: object) -> object:
    """``version: 1.2`` in YAML is a number; as a substitution it is the text ``1.2``."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


SubstitutionValue = Annotated[str, BeforeValidator(_number_as_text)]
"""Markdown that ``{{ name }}`` stands for."""


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


class Banner(Strict):
    image: str
    """Image file relative to the article, copied into the site like a figure's."""
    alt: str
    """What the image shows, for readers who cannot see it."""
    credit: str | None = None
    """Credit of a reused image; listed under Reuse like a figure's."""

    @field_validator("alt")
    @classmethod
    def _describes(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("alt text must describe the image")
        return value


class ArticleMeta(Strict):
    title: str
    """The article's title."""
    description: str = ""
    """One or two sentences shown under the title and on the thread page."""
    authors: list[Author] = Field(min_length=1)
    """Authors in byline order."""
    published: dt.date
    """Publication date (YYYY-MM-DD); orders the thread."""
    updated: dt.date | None = None
    """Date of the last substantive update."""
    doi: str | None = None
    """DOI, if one was registered."""
    kind: Literal["article", "comment"] = "article"
    """``article`` or ``comment`` (critical commentary on other articles)."""
    bibliography: list[str] = Field(default_factory=list)
    """BibTeX files relative to the article."""
    responds_to: str | None = None
    """Slug of the article a comment answers (``curves-from-edges``, or ``thread/slug``):
    shown at the top of the comment and listed on that article."""
    teaser: str | None = None
    """Image (relative to the article) shown beside it on the thread page and as its
    ``og:image``; default: the article's first figure."""
    toc: bool = False
    """Show a table of contents of the article's sections (level-2 and level-3 headings)."""
    banner: Banner | None = None
    """An image under the title, across the page column."""
    substitutions: dict[str, SubstitutionValue] = Field(default_factory=dict)
    """MyST substitutions: ``{{ name }}`` in the text is replaced by this Markdown."""

    _list = field_validator("bibliography", mode="before")(_as_list)

    @field_validator("authors")
    @classmethod
    def _equal_contributors(cls, authors: list[Author]) -> list[Author]:
        """Equal contribution is between authors: one alone would get a * that says nothing."""
        equal = [a.name for a in authors if a.equal]
        if len(equal) == 1:
            raise ValueError(f"only {equal[0]} is marked 'equal: true'; mark every author who "
                             "contributed equally (two or more), or none")
        return authors


class ThreadMeta(Strict):
    title: str
    """The thread's title, e.g. "Thread: Circuits"."""
    description: str = ""
    """The question the thread pursues, shown under its title."""
    published: dt.date
    """Date the thread opened."""
    doi: str | None = None
    """DOI of the thread as a whole."""
    participants: list[str] | None = None
    """Explicit author order for the thread citation; default: alphabetical by family name."""
    bibliography: list[str] = Field(default_factory=list)
    """BibTeX files relative to the thread folder, citable from all of its articles."""
    substitutions: dict[str, SubstitutionValue] = Field(default_factory=dict)
    """MyST substitutions: ``{{ name }}`` in the text is replaced by this Markdown."""

    _list = field_validator("bibliography", mode="before")(_as_list)


class PageMeta(Strict):
    title: str
    """The page title."""
    date: dt.date | None = None
    """Publication date."""
    description: str = ""
    """Summary for feeds and meta tags."""
    substitutions: dict[str, SubstitutionValue] = Field(default_factory=dict)
    """MyST substitutions: ``{{ name }}`` in the text is replaced by this Markdown."""


@dataclass
class Source:
    """A Markdown file split into YAML front matter and body, with positions kept."""

    path: Path
    """Path relative to the site root, used in every error."""
    text: str
    front: dict
    node: yaml.Node | None
    body: str
    body_line: int
    """1-based line of the file on which the body starts."""
    front_text: str = ""
    """The YAML between the ``---`` lines, which starts on line 2."""

    def line_of(self, loc: tuple) -> int:
        """Line of a front-matter key path such as ``("authors", 0, "affiliations", 1)``: the
        line of its last key that is there (a value may start lines below its key, or be an
        alias of a node defined above), else of the front matter's first node."""
        if self.node is None:
            return 1
        node, mark = self.node, self.node.start_mark
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            node, mark = child[1], child[0].start_mark
        return yaml_line(self.front_text, mark)


def yaml_line(front_text: str, mark: yaml.Mark | None) -> int:
    """The file line of a position in the front matter. PyYAML's own ``mark.line`` also counts
    U+2028, U+2029 and U+0085 as line breaks; its ``index`` is the character offset."""
    return line_at(front_text, mark.index, first=2) if mark is not None else 1


def _child(node: yaml.Node | None, part: object) -> tuple[yaml.Node, yaml.Node] | None:
    """(the node that names ``part``, its value): a mapping's key, or a sequence's item."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part]
    return None


@dataclass
class Document:
    """Common shape of everything that becomes a page from Markdown."""

    source: Source
    url: str
    tokens: list = field(default_factory=list)
    env: dict = field(default_factory=dict)
    references: dict = field(default_factory=dict)
    """Citable BibTeX entries by key: the site's, the thread's and the article's own."""
    references_incomplete: bool = False
    """A bibliography file it reads failed to load (and was reported): a key missing from
    ``references`` may be in that file, so it is not reported again as unknown."""


@dataclass
class Article(Document):
    meta: ArticleMeta = None  # type: ignore[assignment]
    thread: Thread = None  # type: ignore[assignment]
    slug: str = ""
    previous: Article | None = None
    next: Article | None = None
    answers: Article | None = None
    """The article its front matter's ``responds_to`` names."""
    responses: list[Article] = field(default_factory=list)
    """Comments and articles that respond to it, in thread order."""


@dataclass
class Thread(Document):
    meta: ThreadMeta = None  # type: ignore[assignment]
    slug: str = ""
    articles: list[Article] = field(default_factory=list)


@dataclass
class Page(Document):
    meta: PageMeta = None  # type: ignore[assignment]


@dataclass
class Content:
    threads: list[Thread]
    pages: list[Page]

    def documents(self) -> list[Document]:
        docs: list[Document] = []
        for thread in self.threads:
            docs.append(thread)
            docs.extend(thread.articles)
        return docs + list(self.pages)

    def slugs(self) -> dict[str, Thread | Article]:
        """What a cross-article reference, a ``[@slug]`` citation or ``responds_to`` may name:
        each thread by its slug, each article as ``thread/article`` and, where no other
        thread has an article of that name, by its own slug."""
        named: dict[str, Thread | Article] = {t.slug: t for t in self.threads}
        counts: dict[str, int] = {}
        for thread in self.threads:
            for article in thread.articles:
                named[f"{thread.slug}/{article.slug}"] = article
                counts[article.slug] = counts.get(article.slug, 0) + 1
        for thread in self.threads:
            for article in thread.articles:
                if counts[article.slug] == 1:
                    named.setdefault(article.slug, article)
        return named


def document_url(root: Path, path: str) -> str:
    """Where the page of the Markdown file ``path`` (site-relative) goes; for ``thread.md``,
    the thread's folder, which holds its articles' pages too. '' if not under ``content/``."""
    rel = Path(path)
    if rel.parts[:1] != (CONTENT_DIR,):
        return ""
    inside = rel.relative_to(CONTENT_DIR)
    if rel.name == THREAD_FILE:
        return inside.parent.as_posix() + "/"
    if (root / rel.parent / THREAD_FILE).is_file():
        return f"{inside.parent.as_posix()}/{rel.stem}/"
    return inside.with_suffix("").as_posix() + "/"


def read_source(root: Path, path: Path, text: str | None = None) -> Source:
    """Split a Markdown file into front matter and body; raises :class:`SiteError`."""
    rel, text, yaml_text, body, body_line = _split(root, path, text)
    try:
        node, front = _parse_yaml(rel, yaml_text)
    except yaml.YAMLError as exc:
        raise _yaml_error(rel, yaml_text, exc) from None
    if not isinstance(front, dict):
        raise SiteError(rel, 2, "front matter must be a mapping of keys to values")
    return Source(rel, text, front, node, body, body_line, yaml_text)


def _yaml_error(rel: Path, yaml_text: str, exc: yaml.YAMLError) -> SiteError:
    """PyYAML's problem at its line, without its ``in "<unicode string>"`` trailer."""
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow
        problem = f"unacceptable character #x{exc.character:04x}: {exc.reason}"
        return SiteError(rel, line_at(yaml_text, exc.position, first=2),
                         f"invalid YAML front matter: {problem}")
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).split("\n")[0]
    return SiteError(rel, yaml_line(yaml_text, mark), f"invalid YAML front matter: {problem}")


def _parse_yaml(rel: Path, yaml_text: str) -> tuple[yaml.Node | None, object]:
    """One parse: the node keeps positions, the values are constructed from it."""
    loader = FrontMatterLoader(yaml_text)
    try:
        node = loader.get_single_node()
        _check_nodes(rel, yaml_text, node)
        return node, (loader.construct_document(node) if node is not None else None) or {}
    except RecursionError:  # PyYAML composes and constructs recursively
        raise SiteError(rel, yaml_line(yaml_text, loader.get_mark()), "invalid YAML front "
                        "matter: nested too deeply") from None
    finally:
        loader.dispose()


def _check_nodes(rel: Path, yaml_text: str, root: yaml.Node | None) -> None:
    """What YAML allows but front matter cannot hold: keys that are not text, a key given
    twice (PyYAML would silently keep the last), lone surrogates from ``\\ud800`` escapes.
    Each node is visited once, however many aliases point at it."""
    stack, seen = ([root] if root is not None else []), set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            bad = next((c for c in node.value if "\ud800" <= c <= "\udfff"), None)
            if bad:
                raise SiteError(rel, yaml_line(yaml_text, node.start_mark), "invalid YAML front "
                                f"matter: \\u{ord(bad):04x} is a lone surrogate, not a character")
        elif isinstance(node, yaml.MappingNode):
            _check_keys(rel, yaml_text, node)
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _check_keys(rel: Path, yaml_text: str, node: yaml.MappingNode) -> None:
    names: set[str] = set()
    for key, _ in node.value:
        problem = _key_problem(key, names)
        if problem:
            raise SiteError(rel, yaml_line(yaml_text, key.start_mark), *problem)


def _key_problem(key: yaml.Node, names: set[str]) -> tuple[str, str | None] | None:
    """Why ``key`` cannot be a front-matter key (message, hint); ``names``: the keys before it."""
    if key.tag == MERGE_TAG:  # ``<<: *defaults`` merges another mapping's keys
        return None
    if not isinstance(key, yaml.ScalarNode):
        return "a key must be text, not a list or mapping", None
    if key.tag != STR_TAG:
        return f"key '{key.value}' is not text", f'write it in quotes: "{key.value}"'
    if key.value in names:
        return f"repeated key '{key.value}'", "YAML would keep only the last value: remove one"
    names.add(key.value)
    return None


def read_markdown(root: Path, path: Path) -> str:
    """A Markdown file's text (a UTF-8 byte order mark is dropped); :class:`SiteError` if it
    cannot be read or is not UTF-8."""
    rel = path.relative_to(root)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise decode_error(rel, exc) from None
    except OSError as exc:
        raise SiteError(rel, None, *_unreadable(path, exc)) from None


def _unreadable(path: Path, exc: OSError) -> tuple[str, str | None]:
    """Why a Markdown file cannot be read, and what to do about it."""
    if isinstance(exc, IsADirectoryError):
        return "is a folder, not a Markdown file", "only files may have a name ending in .md"
    if exc.errno == errno.ELOOP:
        return "symbolic link loop", "point the link at a file"
    if isinstance(exc, FileNotFoundError) and path.is_symlink():
        return f"broken symbolic link to '{os.readlink(path)}'", "point the link at a file"
    return f"cannot read: {exc.strerror}", None


def _split(root: Path, path: Path, text: str | None) -> tuple[Path, str, str, str, int]:
    """(relative path, text, front matter text, body, body's first line)."""
    rel = path.relative_to(root)
    text = read_markdown(root, path) if text is None else text
    lines = _lines(text)
    if not lines or lines[0].rstrip() != "---":
        raise SiteError(rel, 1, "missing front matter", "start the file with a '---' line")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise SiteError(rel, 1, "front matter is not closed", "did you forget the closing '---'?")
    return rel, text, "".join(lines[1:end]), "".join(lines[end + 1 :]), end + 2


def _lines(text: str) -> list[str]:
    """The lines of ``text`` with their breaks, which are "\\r\\n", "\\r" or "\\n" as for
    markdown-it (``str.splitlines`` also breaks at U+2028, U+0085 and others)."""
    return list(io.StringIO(text, newline=""))


def reused_source(root: Path, path: Path, text: str) -> Source:
    """A file whose front matter the build cache already validated: split, not parsed."""
    rel, text, _, body, body_line = _split(root, path, text)
    return Source(rel, text, {}, None, body, body_line)


def validate(model: type[Strict], source: Source, errors: ErrorCollector) -> Strict | None:
    try:
        return model.model_validate(source.front)
    except ValidationError as exc:
        errors.extend(from_validation(exc, source.path, source.line_of))
        return None


def check_affiliations(source: Source, meta: ArticleMeta, config: Config, errors: ErrorCollector):
    known = set(config.affiliations)
    for i, author in enumerate(meta.authors):
        for j, key in enumerate(author.affiliations):
            if key not in known:
                errors.add(source.path, source.line_of(("authors", i, "affiliations", j)),
                           f"unknown affiliation '{key}' for {author.name}",
                           did_you_mean(key, known) or "define it under [affiliations] in site.toml")


Known = Callable[[Path, str], object | None]
"""Given a file's site-relative path and text, its front matter as last validated, or None."""


def _unknown(path: Path, text: str) -> None:
    return None


def load_content(root: Path, config: Config, errors: ErrorCollector,
                 known: Known = _unknown) -> Content:
    """Read every Markdown file under ``content/``; errors are collected, not raised.

    ``known`` (the build cache) may vouch for a file's front matter, which is then not parsed.
    """
    base = root / CONTENT_DIR
    threads, pages, folders = [], [], {}
    thread_dirs = sorted(p.parent for p in base.rglob(THREAD_FILE))
    thread_set = set(thread_dirs)
    for directory in thread_dirs:
        thread = _load_thread(root, directory, config, errors, known, folders)
        if thread:
            threads.append(thread)
    for path in sorted(base.rglob("*.md")):
        if path.parent not in thread_set:
            page = _load(root, path, PageMeta, errors, known, folders)
            if page:
                url = path.relative_to(base).with_suffix("").as_posix()
                pages.append(Page(source=page[0], url=url + "/", meta=page[1]))
    content = Content(threads, pages)
    link_responses(content, errors)
    return content


def link_responses(content: Content, errors: ErrorCollector) -> None:
    """Each ``responds_to`` to the article it names (an unknown slug is an error at its
    line), and each article to the comments that answer it."""
    named = {slug: doc for slug, doc in content.slugs().items() if isinstance(doc, Article)}
    for thread in content.threads:
        for article in thread.articles:
            slug = article.meta.responds_to
            if slug is None:
                continue
            target = named.get(slug)
            if target is None or target is article:
                problem = "an article cannot respond to itself" if target is article else (
                    f"responds_to: unknown article '{slug}'")
                errors.add(article.source.path, article.source.line_of(("responds_to",)),
                           problem, did_you_mean(slug, set(named) - {article.slug}) or
                           "name an article of the site by its file name, without .md")
                continue
            article.answers = target
            target.responses.append(article)


def _load(root: Path, path: Path, model: type[Strict], errors: ErrorCollector,
          known: Known = _unknown, folders: dict[str, str] | None = None):
    if inside_root(root, path, folders) is None:  # a symlink out of the site: never read, never published
        rel = path.relative_to(root)
        errors.add(rel, 1, outside_message("Markdown file", rel.as_posix()), OUTSIDE_HINT)
        return None
    try:
        text = read_markdown(root, path)
        meta = known(path.relative_to(root), text)
        if isinstance(meta, model):
            return reused_source(root, path, text), meta
        source = read_source(root, path, text)
    except SiteError as exc:
        errors.extend([exc])
        return None
    meta = validate(model, source, errors)
    return (source, meta) if meta else None


def _load_thread(root: Path, directory: Path, config: Config, errors: ErrorCollector,
                 known: Known, folders: dict[str, str]):
    slug = directory.relative_to(root / CONTENT_DIR).as_posix()
    loaded = _load(root, directory / THREAD_FILE, ThreadMeta, errors, folders=folders)  # always read: it lists
    articles = []
    for path in sorted(directory.glob("*.md")):
        if path.name == THREAD_FILE:
            continue
        item = _load(root, path, ArticleMeta, errors, known, folders)
        if item:
            if item[0].node is not None:  # parsed now, not vouched for by the cache
                check_affiliations(item[0], item[1], config, errors)
            articles.append(Article(source=item[0], url=f"{slug}/{path.stem}/", meta=item[1],
                                    slug=path.stem))
    if not loaded:
        return None
    thread = Thread(source=loaded[0], url=f"{slug}/", meta=loaded[1], slug=slug)
    thread.articles = sorted(articles, key=lambda a: (a.meta.published, a.slug))
    for i, article in enumerate(thread.articles):
        article.thread = thread
        article.previous = thread.articles[i - 1] if i else None
        article.next = thread.articles[i + 1] if i + 1 < len(thread.articles) else None
    return thread
