"""Crossref deposit XML (schema 5.3.1) for the articles and comments that have a DOI.

``thread crossref`` writes one ``doi_batch``: a ``journal`` (the site's journal name, and its
ISSN if ``[crossref]`` gives one) holding a ``journal_article`` per article with a ``doi:`` —
title, authors with their affiliations, the description as abstract, the publication date, the
licence, the DOI and the article's URL, and the article's references (a DOI where the entry has
one, else the reference as text). Everything comes from front matter, site.toml and the
resolved citations; nothing is sent anywhere: the file is uploaded to Crossref by hand or by a
publishing job. tests/test_crossref_xml.py validates the output against Crossref's schema.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from generator.citations import Reference, split_name
from generator.config import CONFIG_NAME
from generator.errors import BuildFailed, SiteError

if TYPE_CHECKING:
    from generator.config import Config
    from generator.content import Article, Content
    from generator.resolve import Resolver

VERSION = "5.3.1"
CROSSREF = f"http://www.crossref.org/schema/{VERSION}"
JATS = "http://www.ncbi.nlm.nih.gov/JATS1"
ACCESS = "http://www.crossref.org/AccessIndicators.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_URL = f"https://www.crossref.org/schemas/crossref{VERSION}.xsd"
PREFIXES = {"": CROSSREF, "jats": JATS, "ai": ACCESS, "xsi": XSI}
"""Crossref asks for the ``jats:`` prefix on abstracts; the others are its usual ones."""


def timestamp(moment: dt.datetime | None = None) -> int:
    """Crossref's deposit timestamp, ``YYYYMMDDHHMMSS`` in UTC: a later deposit of the same
    DOI must carry a larger one."""
    moment = moment or dt.datetime.now(dt.UTC)
    return int(moment.strftime("%Y%m%d%H%M%S"))


def articles_with_doi(content: Content) -> list[Article]:
    return [a for thread in content.threads for a in thread.articles if a.meta.doi]


def deposit(root, config: Config, content: Content, resolver: Resolver, stamp: int,
            batch_id: str | None = None) -> bytes:
    """The deposit XML; :class:`BuildFailed` at site.toml if ``[crossref]`` is missing."""
    if config.crossref is None:
        raise BuildFailed([SiteError(CONFIG_NAME, None, "thread crossref needs a [crossref] "
                                     "section with depositor_name and email", "add [crossref] "
                                     'with depositor_name = "…" and email = "…" to site.toml')])
    batch = ET.Element(_q("doi_batch"), {"version": VERSION,
                                         _q("schemaLocation", XSI): f"{CROSSREF} {SCHEMA_URL}"})
    batch.append(_head(config, stamp, batch_id or f"thread-{stamp}"))
    body = ET.SubElement(batch, _q("body"))
    journal = ET.SubElement(body, _q("journal"))
    metadata = ET.SubElement(journal, _q("journal_metadata"))
    _text(metadata, "full_title", config.journal_name)
    if config.crossref.issn:
        _text(metadata, "issn", config.crossref.issn, media_type="electronic")
    for article in articles_with_doi(content):
        journal.append(journal_article(article, config, resolver, stamp))
    ET.indent(batch)
    return ET.tostring(batch, encoding="utf-8", xml_declaration=True) + b"\n"


def _head(config: Config, stamp: int, batch_id: str) -> ET.Element:
    head = ET.Element(_q("head"))
    _text(head, "doi_batch_id", batch_id)
    _text(head, "timestamp", str(stamp))
    depositor = ET.SubElement(head, _q("depositor"))
    _text(depositor, "depositor_name", config.crossref.depositor_name)
    _text(depositor, "email_address", config.crossref.email)
    _text(head, "registrant", config.crossref.registrant or config.journal_name)
    return head


def journal_article(article: Article, config: Config, resolver: Resolver,
                    stamp: int) -> ET.Element:
    """One article's record, its elements in the order the schema's sequence gives them."""
    meta = article.meta
    element = ET.Element(_q("journal_article"), {"publication_type": "full_text"})
    titles = ET.SubElement(element, _q("titles"))
    _text(titles, "title", meta.title)
    element.append(_contributors(article, config))
    if meta.description:
        abstract = ET.SubElement(element, _q("abstract", JATS))
        ET.SubElement(abstract, _q("p", JATS)).text = meta.description
    date = ET.SubElement(element, _q("publication_date"), {"media_type": "online"})
    _text(date, "month", f"{meta.published.month:02d}")
    _text(date, "day", f"{meta.published.day:02d}")
    _text(date, "year", str(meta.published.year))
    if config.license.url.startswith(("http://", "https://")):
        program = ET.SubElement(element, _q("program", ACCESS), {"name": "AccessIndicators"})
        ET.SubElement(program, _q("license_ref", ACCESS), {"applies_to": "vor"}).text = \
            config.license.url
    doi_data = ET.SubElement(element, _q("doi_data"))
    _text(doi_data, "doi", meta.doi)
    _text(doi_data, "resource", config.base_url + article.url)
    cited = resolver.bibliography(article)
    if cited:
        citations = ET.SubElement(element, _q("citation_list"))
        for number, reference in cited:
            citations.append(_citation(number, reference))
    return element


def _contributors(article: Article, config: Config) -> ET.Element:
    contributors = ET.Element(_q("contributors"))
    for index, author in enumerate(article.meta.authors):
        person = ET.SubElement(contributors, _q("person_name"), {
            "sequence": "first" if index == 0 else "additional", "contributor_role": "author"})
        given, family = split_name(author.name)
        if given:
            _text(person, "given_name", given)
        _text(person, "surname", family)
        if author.affiliations:
            affiliations = ET.SubElement(person, _q("affiliations"))
            for key in author.affiliations:
                institution = ET.SubElement(affiliations, _q("institution"))
                _text(institution, "institution_name", config.affiliations[key].name)
    return contributors


def _citation(number: int, reference: Reference) -> ET.Element:
    """A reference by DOI where it has one (Crossref matches it), always with its text."""
    citation = ET.Element(_q("citation"), {"key": f"ref{number}"})
    if reference.doi:
        _text(citation, "doi", reference.doi)
    parts = [reference.author_text, reference.title, reference.venue, reference.year,
             reference.link]
    _text(citation, "unstructured_citation", ". ".join(p for p in parts if p) + ".")
    return citation


def _q(name: str, namespace: str = CROSSREF) -> str:
    return f"{{{namespace}}}{name}"


def _text(parent: ET.Element, name: str, text: str, **attributes: str) -> ET.Element:
    child = ET.SubElement(parent, _q(name), attributes)
    child.text = text
    return child


for _prefix, _uri in PREFIXES.items():  # the names ElementTree writes for each namespace
    ET.register_namespace(_prefix, _uri)
