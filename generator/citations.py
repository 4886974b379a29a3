"""Bibliographies (pybtex parses BibTeX), citation numbering, and citations of our own work.

BibTeX fields are decoded once, when loaded, into plain :class:`Reference` objects: LaTeX
accents and escapes become Unicode, grouping braces disappear, a braced corporate author stays
one author. Everything downstream (cards, reference lists, meta tags) works with plain text and
lets the templates escape it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pybtex.backends.plaintext import Backend as PlainTextBackend
from pybtex.database import BibliographyData, Entry, Person
from pybtex.database.input.bibtex import LowLevelParser, Parser
from pybtex.database.output.bibtex import Writer as BibtexWriter
from pybtex.exceptions import PybtexError
from pybtex.richtext import Text

from generator.config import CONFIG_NAME, config_line
from generator.content import Article
from generator.errors import SiteError, decode_error, line_at
from generator.paths import OUTSIDE_HINT, inside_root, outside_message

PLAIN_TEXT = PlainTextBackend()
"""One backend for all fields: ``render_as("text")`` scans entry points on every call."""
VENUE_FIELDS = ("journal", "booktitle", "publisher", "school", "institution", "organization",
                "howpublished")


@dataclass(frozen=True)
class Reference:
    """One bibliography entry, decoded to plain text."""

    key: str
    kind: str
    title: str
    authors: tuple[str, ...]
    """Display names, "Given Family"."""
    scholar_authors: tuple[str, ...]
    """"Family, Given", as Google Scholar's citation_author expects."""
    venue: str
    year: str
    doi: str
    url: str
    et_al: bool = False
    """The author list ended in BibTeX's ``and others``: shown as "et al.", never as a name."""
    families: tuple[str, ...] = ()
    """Family names, for an in-text citation ("Olah et al. [3]")."""
    site_work: bool = False
    """A thread or article of this site, made from its front matter (:func:`site_works`)."""

    @property
    def link(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else self.url

    @property
    def author_text(self) -> str:
        """The authors as the reference list and cards show them: "A, B, et al."."""
        return ", ".join(self.authors + (("et al.",) if self.et_al else ()))

    @property
    def in_text(self) -> str:
        """Who, in running text: "Olah", "Olah and Carter", "Olah et al." (or the title)."""
        names = self.families
        if not names:
            return self.title
        if len(names) == 1:
            return f"{names[0]} et al." if self.et_al else names[0]
        return f"{names[0]} and {names[1]}" if len(names) == 2 and not self.et_al else (
            f"{names[0]} et al.")


def latex_text(value: str) -> str:
    """BibTeX/LaTeX field text → plain Unicode (accents decoded, braces and escapes removed)."""
    value = re.sub(r"\\url\{([^}]*)\}", r"\1", value)
    return " ".join(Text.from_latex(value).render(PLAIN_TEXT).split())


def _person_names(person: Person) -> tuple[str, str, str]:
    """Display name ("Given Family"), Scholar's "Family, Given", and the family name."""
    given = latex_text(" ".join(person.first_names + person.middle_names))
    family = latex_text(" ".join(person.prelast_names + person.last_names))
    display = f"{given} {family}".strip()
    return display, f"{family}, {given}" if given else family, family or display


def _is_others(person: Person) -> bool:
    """BibTeX's ``and others``: more authors than listed, not a person named "others"."""
    return str(person).strip().lower() == "others"


def _url(fields) -> str:
    for name in ("url", "howpublished", "note"):
        found = re.search(r"(https?://[^\s}]+)", fields.get(name, ""))
        if found:
            return found.group(1)
    if fields.get("archiveprefix", "").lower() == "arxiv" and fields.get("eprint"):
        return f"https://arxiv.org/abs/{fields['eprint']}"
    return ""


def decode_entry(key: str, entry: Entry) -> Reference:
    fields = {name.lower(): value for name, value in entry.fields.items()}
    persons = entry.persons.get("author", entry.persons.get("editor", []))
    names = [_person_names(p) for p in persons if not _is_others(p)]
    venue = next((latex_text(fields[f]) for f in VENUE_FIELDS
                  if fields.get(f) and not fields[f].lstrip().startswith("\\url")), "")
    if not venue and fields.get("archiveprefix", "").lower() == "arxiv":
        venue = f"arXiv:{fields.get('eprint', '')}".rstrip(":")
    return Reference(key=key, kind=entry.type.lower(),
                     title=latex_text(fields.get("title", "")) or "Untitled",
                     authors=tuple(n[0] for n in names), scholar_authors=tuple(n[1] for n in names),
                     venue=venue, year=latex_text(fields.get("year", "")),
                     doi=fields.get("doi", "").strip(), url=_url(fields),
                     et_al=any(_is_others(p) for p in persons), families=tuple(n[2] for n in names))


def load_bibtex(path: Path, shown_as: Path | str) -> tuple[dict[str, Reference], list[SiteError]]:
    """Parse one .bib file: its references, and a warning per repeated key. Problems are
    :class:`SiteError` with the file's line."""
    text = read_bibtex(path, shown_as)
    references = {}
    entries, repeats = parse_bibtex(text, shown_as)
    for key, (entry, line) in entries.items():
        try:
            references[key] = decode_entry(key, entry)
        except (UnicodeDecodeError, PybtexError) as exc:  # latexcodec: a lone "\", say
            reason = exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)
            raise SiteError(shown_as, line, f"invalid LaTeX in entry '{key}': {reason}") from None
    return references, repeats


def parse_bibtex(text: str, shown_as: Path | str) -> tuple[dict[str, tuple[Entry, int]],
                                                            list[SiteError]]:
    """Entries by key, each with the line of its ``@``, and a warning at each repeated key.

    pybtex's ``Parser.parse_string``, step by step: its entries keep no line, and it rejects a
    repeated key where BibTeX and Biber keep the first entry and warn, as we do (pybtex's
    case-insensitive key table decides what repeats, as BibTeX's does)."""
    parser = Parser()
    parser.unnamed_entry_counter = 1
    scanner = LowLevelParser(text, macros=parser.macros, want_entry=parser.data.want_entry)
    lines: dict[str, int] = {}
    repeats: list[SiteError] = []
    try:
        for command, body in scanner:
            line = line_at(text, scanner.command_start)
            try:
                if command.lower() == "preamble":
                    parser.process_preamble(*body)
                elif command.lower() != "string" and (body[0] or "") in parser.data.entries:
                    repeats.append(_repeated(shown_as, line, body[0], parser.data.entries,
                                             lines))
                elif command.lower() != "string":
                    parser.process_entry(command, *body)
                    lines.setdefault(str(body[0]).lower(), line)
            except PybtexError as exc:
                raise SiteError(shown_as, line, f"invalid BibTeX: {exc}") from None
    except PybtexError as exc:
        message = re.sub(r"^syntax error in line \d+: ", "", str(exc))
        raise SiteError(shown_as, getattr(exc, "lineno", None), f"invalid BibTeX: {message}")
    entries = {key: (entry, lines.get(key.lower(), 1))
               for key, entry in parser.data.entries.items()}
    return entries, repeats


def _repeated(shown_as: Path | str, line: int, key: str, entries, lines: dict[str, int]
              ) -> SiteError:
    """The warning for an entry whose key an earlier entry has (BibTeX keeps the first)."""
    first = entries[key].key
    hint = None if first == key else f"the first is written '{first}': keys ignore case"
    return SiteError(shown_as, line, f"repeated key '{key}' (first at line {lines[key.lower()]}); "
                     "the first entry wins", hint, warning=True)


def read_bibtex(path: Path, shown_as: Path | str) -> str:
    """The text of a .bib file (UTF-8; a byte order mark is dropped)."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise decode_error(shown_as, exc) from None
    except FileNotFoundError:
        raise SiteError(shown_as, None, "bibliography file not found") from None
    except IsADirectoryError:
        raise SiteError(shown_as, None, "bibliography file is a folder") from None
    except OSError as exc:
        raise SiteError(shown_as, None, f"cannot read bibliography file ({exc.strerror})") from None


# --- citations of our own articles and threads -------------------------------------------------

def family_name(name: str) -> str:
    return name.split()[-1] if name.split() else name


def split_name(name: str) -> tuple[str, str]:
    parts = name.split()
    return " ".join(parts[:-1]), parts[-1] if parts else name


def citation_text(names: list[str], title: str, journal: str, year: int) -> str:
    """Distill's short form: ``Family, et al., "Title", Journal, 2020.``"""
    families = [family_name(n) for n in names]
    who = (families[0] if len(families) == 1 else " and ".join(families) if len(families) == 2
           else f"{families[0]}, et al.")
    return f'{who}, "{title}", {journal}, {year}.'


def citation_key(names: list[str], title: str, year: int) -> str:
    first_word = next((w for w in re.findall(r"[A-Za-z0-9]+", _ascii(title))
                       if w.lower() not in {"a", "an", "the", "on", "of"}), "untitled")
    return f"{_ascii(family_name(names[0]) if names else 'anon').lower()}{year}{first_word.lower()}"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def citation_bibtex(names: list[str], title: str, journal: str, year: int, url: str,
                    doi: str | None) -> str:
    """A BibTeX entry for our own work, written by pybtex."""
    fields = {"title": title, "journal": journal, "year": str(year), "note": url}
    if doi:
        fields["doi"] = doi
    persons = {"author": [Person(_bibtex_name(n)) for n in names]}
    data = BibliographyData({citation_key(names, title, year): Entry("article", fields, persons)})
    return BibtexWriter().to_string(data)  # data.to_string("bibtex"), without the plugin lookup


def _bibtex_name(name: str) -> str:
    given, family = split_name(name)
    return f"{family}, {given}" if given else name


def thread_participants(authors: list[str], explicit: list[str] | None) -> list[str]:
    """Everyone who wrote in the thread, alphabetical by family name unless given explicitly."""
    unique = sorted(dict.fromkeys(authors),
                    key=lambda n: (_ascii(family_name(n)).lower(), _ascii(n).lower()))
    return list(explicit or []) + [a for a in unique if a not in (explicit or [])]


# --- loading every document's bibliography -----------------------------------------------------

def attach_references(root: Path, config, content, errors) -> None:
    """Give every document its citable entries: site-wide, then the thread's, then its own.

    Each file named must lie inside the site root (symlinks followed); a problem is told at
    the line naming the file (site.toml's or the front matter's), or inside the .bib file."""
    cache: dict[Path, dict[str, Reference]] = {}

    def load_all(files: list[str], base: Path, where) -> dict[str, Reference]:
        merged: dict[str, Reference] = {}
        for index, name in enumerate(files):
            try:
                path = _bib_path(root, base, name)
                if path not in cache:  # each file's warnings are told once
                    cache[path], repeats = load_bibtex(path, _shown(root, path))
                    errors.extend(repeats)
                merged.update(cache[path])
            except SiteError as exc:
                errors.extend([where(index, exc)])
                merged[_FAILED] = None
        return merged

    def from_config(index: int, exc: SiteError) -> SiteError:
        line = config_line(root, ("bibliography", index))
        return exc if exc.line else _at(exc, CONFIG_NAME, line)

    site = {**site_works(config, content), **load_all(config.bibliography, root, from_config)}
    for thread in content.threads:
        own = load_all(thread.meta.bibliography, (root / thread.source.path).parent,
                       _front_matter_error(thread))
        _attach(thread, {**site, **own})
        for article in thread.articles:
            mine = load_all(article.meta.bibliography, (root / article.source.path).parent,
                            _front_matter_error(article))
            _attach(article, {**site, **own, **mine})
    for page in content.pages:
        _attach(page, dict(site))


def site_works(config, content) -> dict[str, Reference]:
    """Every thread and article of the site as a citable entry, by the slugs of
    :meth:`generator.content.Content.slugs` (``[@curves-from-edges]``), built from front
    matter: no hand-written BibTeX. An entry of a .bib file with the same key wins."""
    works = {}
    for key, doc in content.slugs().items():
        if isinstance(doc, Article):
            names = [author.name for author in doc.meta.authors]
        else:
            names = thread_participants([a.name for art in doc.articles
                                         for a in art.meta.authors], doc.meta.participants)
        works[key] = own_reference(key, names, doc.meta.title, config.journal_name,
                                   doc.meta.published, config.base_url + doc.url, doc.meta.doi)
    return works


def own_reference(key: str, names: list[str], title: str, journal: str, published, url: str,
                  doi: str | None) -> Reference:
    """A :class:`Reference` to one of our own works."""
    split = [split_name(name) for name in names]
    return Reference(key=key, kind="article", title=title, authors=tuple(names),
                     scholar_authors=tuple(f"{family}, {given}" if given else family
                                           for given, family in split),
                     venue=journal, year=str(published.year), doi=doi or "", url=url,
                     families=tuple(family for _, family in split), site_work=True)


_FAILED = object()
"""Put among a document's references by a bibliography file that failed to load."""


def _attach(document, references: dict) -> None:
    document.references_incomplete = references.pop(_FAILED, 1) is None
    document.references = references


def _bib_path(root: Path, base: Path, name: str) -> Path:
    """The file a bibliography entry names; a name no file system accepts, or a file outside
    the site root, is a SiteError (located by the caller)."""
    if "\0" in name:
        raise SiteError(name.replace("\0", "\\0"), None, "bibliography file name contains a "
                        "NUL character")
    path = inside_root(root, base / name)
    if path is None:
        raise _Outside(name, None, outside_message("bibliography file", name), OUTSIDE_HINT)
    return path


class _Outside(SiteError):
    """A file outside the root: its message is complete without the file's name appended."""


def _front_matter_error(document):
    def where(index: int, exc: SiteError) -> SiteError:
        if exc.line:  # a syntax error inside the .bib file: its own line is more useful
            return exc
        return _at(exc, document.source.path, document.source.line_of(("bibliography", index)))
    return where


def _at(exc: SiteError, path, line: int | None) -> SiteError:
    """``exc`` told at the line that names the file."""
    message = exc.message if isinstance(exc, _Outside) else f"{exc.message}: {exc.path}"
    return SiteError(path, line, message, exc.hint)


def _shown(root: Path, path: Path) -> Path:
    try:
        return path.relative_to(root.resolve())
    except ValueError:
        return path


@dataclass(frozen=True)
class WorkCitation:
    """How to cite one of our articles or threads: text, BibTeX, and the authors in order."""

    names: tuple[str, ...]
    text: str
    bibtex: str


def cite_work(names: list[str], title: str, journal: str, published, url: str,
              doi: str | None) -> WorkCitation:
    return WorkCitation(tuple(names), citation_text(names, title, journal, published.year),
                        citation_bibtex(names, title, journal, published.year, url, doi))


def scholar_reference(ref: Reference) -> str:
    """One ``citation_reference`` value in Google Scholar's ``key=value;`` form."""
    parts = [("citation_title", ref.title)]
    parts += [("citation_author", name) for name in ref.scholar_authors]
    parts += [("citation_publication_date", ref.year), ("citation_journal_title", ref.venue),
              ("citation_doi", ref.doi), ("citation_fulltext_html_url", ref.url)]
    return ";".join(f"{key}={value.replace(';', ',')}" for key, value in parts if value)


def scholarly_jsonld(article, config, url: str, references: list[Reference]) -> dict:
    """schema.org ``ScholarlyArticle`` for an article (serialised by the template's tojson)."""
    meta = article.meta
    data = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "headline": meta.title,
        "description": meta.description,
        "url": url,
        "datePublished": meta.published.isoformat(),
        "dateModified": (meta.updated or meta.published).isoformat(),
        "author": [_person(author, config) for author in meta.authors],
        "isPartOf": {"@type": "CreativeWorkSeries", "name": article.thread.meta.title},
        "publisher": {"@type": "Organization", "name": config.journal_name},
        "license": config.license.url,
        "citation": _cited(references),
    }
    return _with_doi(data, meta.doi)


def _cited(references: list[Reference]) -> list[dict]:
    return [{"@type": "CreativeWork", "name": r.title, "author": list(r.authors),
             "datePublished": r.year, "url": r.link} for r in references]


def _with_doi(data: dict, doi: str | None) -> dict:
    if doi:
        data["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI", "value": doi}
    return data


def _person(author, config) -> dict:
    person = {"@type": "Person", "name": author.name}
    if author.url:
        person["url"] = author.url
    if author.corresponding:
        person["email"] = author.email
    affiliations = [config.affiliations[key].name for key in author.affiliations]
    if affiliations:
        person["affiliation"] = [{"@type": "Organization", "name": n} for n in affiliations]
    return person


def thread_jsonld(thread, config, names: tuple[str, ...] | list[str], references: list[Reference]
                  ) -> dict:
    """schema.org ``CreativeWorkSeries`` for a thread: its participants, and each article and
    comment as a part (serialised by the template's tojson)."""
    meta = thread.meta
    data = {
        "@context": "https://schema.org",
        "@type": "CreativeWorkSeries",
        "name": meta.title,
        "description": meta.description,
        "url": config.base_url + thread.url,
        "datePublished": meta.published.isoformat(),
        "author": [{"@type": "Person", "name": name} for name in names],
        "publisher": {"@type": "Organization", "name": config.journal_name},
        "license": config.license.url,
        "hasPart": [{"@type": "ScholarlyArticle", "headline": a.meta.title,
                     "url": config.base_url + a.url,
                     "datePublished": a.meta.published.isoformat()} for a in thread.articles],
        "citation": _cited(references),
    }
    return _with_doi(data, meta.doi)
