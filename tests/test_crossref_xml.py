"""``thread crossref``: Crossref deposit XML for the articles with a DOI, valid against
Crossref's deposit schema 5.3.1 (tests/schemas/crossref/, validated offline with lxml)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import copy_demo, copy_site, thread_cli

etree = pytest.importorskip("lxml.etree")  # the dev extra has it

SCHEMAS = Path(__file__).parent / "schemas" / "crossref"
BY_URL = {"http://www.w3.org/Math/XMLSchema/mathml3/mathml3.xsd":
          SCHEMAS / "standard-modules" / "mathml3" / "mathml3.xsd"}
"""The one import the schema makes by URL, mapped to the copy here: nothing is fetched."""
NS = {"cr": "http://www.crossref.org/schema/5.3.1", "jats": "http://www.ncbi.nlm.nih.gov/JATS1",
      "ai": "http://www.crossref.org/AccessIndicators.xsd"}


class LocalSchemas(etree.Resolver):
    def resolve(self, url, pubid, context):
        if url in BY_URL:
            return self.resolve_filename(str(BY_URL[url]), context)
        if url.startswith(("http:", "https:")):
            raise AssertionError(f"the schema would fetch {url}")
        return None


@pytest.fixture(scope="module")
def schema():
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(LocalSchemas())
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "crossref5.3.1.xsd"), parser))


def deposit(site: Path, *args: str) -> bytes:
    out = site / "deposit.xml"
    result = thread_cli("crossref", "--root", site, "--timestamp", "20260601120000",
                        "--out", out, *args)
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def parse(xml: bytes):
    return etree.fromstring(xml, etree.XMLParser(no_network=True, resolve_entities=False))


def test_the_demo_deposit_is_valid_against_crossrefs_schema(tmp_path: Path, schema) -> None:
    xml = deposit(copy_demo(tmp_path / "demo"))
    doc = parse(xml)
    assert schema.validate(doc), schema.error_log
    articles = doc.findall(".//cr:journal_article", NS)
    assert [a.findtext("cr:doi_data/cr:doi", namespaces=NS) for a in articles] == [
        "10.5555/planted.0001"]  # the one demo article with a DOI
    article = articles[0]
    assert article.findtext("cr:doi_data/cr:resource", namespaces=NS) == (
        "https://example.github.io/circuits-workshop/planted/planting-features/")
    assert doc.findtext(".//cr:timestamp", namespaces=NS) == "20260601120000"
    assert doc.findtext(".//cr:doi_batch_id", namespaces=NS) == "thread-20260601120000"
    names = [(p.findtext("cr:given_name", namespaces=NS), p.findtext("cr:surname", namespaces=NS),
              p.get("sequence")) for p in article.findall(".//cr:person_name", NS)]
    assert names == [("Ada", "Moreno", "first"), ("Jonas", "Okafor", "additional")]
    assert article.findtext(".//jats:abstract/jats:p", namespaces=NS).startswith("We write")
    citations = article.findall("cr:citation_list/cr:citation", NS)
    assert len(citations) > 5 and citations[0].get("key") == "ref1"
    assert any(c.findtext("cr:doi", namespaces=NS) for c in citations)
    assert all(c.findtext("cr:unstructured_citation", namespaces=NS) for c in citations)


def test_several_articles_affiliations_and_the_licence(tmp_path: Path, schema) -> None:
    site = copy_site(tmp_path / "site", base="cross-refs")
    path = site / "content/main/citing.md"
    path.write_text(path.read_text().replace("teaser: pic.png", "teaser: pic.png\ndoi: 10.5555/x.2"))
    doc = parse(deposit(site, "--batch-id", "fixture-1"))
    assert schema.validate(doc), schema.error_log
    dois = [d.text for d in doc.iterfind(".//cr:doi_data/cr:doi", NS)]
    assert dois == ["10.5555/xref.0001", "10.5555/x.2"]
    assert doc.findtext(".//cr:institution_name", namespaces=NS) == "The Lab"
    assert doc.findtext(".//ai:license_ref", namespaces=NS) == (
        "https://creativecommons.org/licenses/by/4.0/")
    cited = doc.findall(".//cr:journal_article", NS)[1].findall(".//cr:citation", NS)
    assert cited[0].findtext("cr:doi", namespaces=NS) == "10.5555/xref.0001"  # [@target]


def test_the_schema_rejects_what_crossref_would(tmp_path: Path, schema) -> None:
    """The validation is real: a record without its doi_data fails."""
    doc = parse(deposit(copy_demo(tmp_path / "demo")))
    article = doc.find(".//cr:journal_article", NS)
    article.remove(article.find("cr:doi_data", NS))
    assert not schema.validate(doc)
    assert "doi_data" in str(schema.error_log)


def test_without_depositor_details_it_says_what_to_add(tmp_path: Path) -> None:
    site = copy_site(tmp_path / "site", base="cross-refs")
    config = site / "site.toml"
    config.write_text(config.read_text().split("[crossref]")[0])
    result = thread_cli("crossref", "--root", site)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "site.toml: thread crossref needs a [crossref] section" in result.output
