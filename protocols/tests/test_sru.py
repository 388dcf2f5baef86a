"""The SRU 1.2 server at /sru through Django's test client: explain, searchRetrieve by every
index with its relations, paging, both record schemas and packings, and a diagnostic (never an
HTML page, never a 500) for everything it does not do."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from catalog.tests.factories import BookFactory, CopyFactory

pytestmark = pytest.mark.django_db

NS = {
    "zs": "http://www.loc.gov/zing/srw/",
    "diag": "http://www.loc.gov/zing/srw/diagnostic/",
    "zr": "http://explain.z3950.org/dtd/2.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "marc": "http://www.loc.gov/MARC21/slim",
}


@pytest.fixture
def catalog():
    books = {
        "middlemarch": BookFactory(
            title="Middlemarch",
            subtitle="A Study of Provincial Life",
            authors=["George Eliot"],
            subjects=["Psychological fiction"],
            isbn="9780141439549",
        ),
        "mill": BookFactory(
            title="The Mill on the Floss", authors=["George Eliot"], subjects=["Fiction"]
        ),
        "emma": BookFactory(title="Emma", authors=["Jane Austen"], subjects=["Fiction"]),
        "bronte": BookFactory(title="Jane Eyre", authors=["Charlotte Brontë"]),
    }
    CopyFactory(book=books["middlemarch"], barcode="B-0001", call_number="823 ELI")
    return books


def sru(client, **parameters):
    response = client.get("/sru", parameters)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    return ElementTree.fromstring(response.content)  # noqa: S314  # our own output, no entities


def found(root) -> int:
    return int(root.findtext("zs:numberOfRecords", namespaces=NS))


def titles(root) -> list[str]:
    return [
        title.text
        for title in root.iterfind(".//zs:recordData//dc:title", NS)
        if title.text is not None
    ]


def diagnostics(root) -> list[tuple[str, str]]:
    return [
        (
            diagnostic.findtext("diag:uri", namespaces=NS).rsplit("/", 1)[1],
            diagnostic.findtext("diag:details", default="", namespaces=NS),
        )
        for diagnostic in root.iterfind(".//diag:diagnostic", NS)
    ]


def search(client, query, **more):
    return sru(
        client,
        operation="searchRetrieve",
        version="1.2",
        query=query,
        recordSchema="dc",
        **more,
    )


def test_explain_describes_the_indexes_and_schemas(client):
    root = sru(client)  # no parameters: explain

    assert root.tag == f"{{{NS['zs']}}}explainResponse"
    explain = root.find(".//zr:explain", NS)
    names = {
        f"{name.get('set')}.{name.text}" for name in explain.iterfind(".//zr:index//zr:name", NS)
    }
    assert {"dc.title", "dc.creator", "dc.subject", "bath.isbn", "rec.id", "cql.anywhere"} <= names
    schemas = {schema.get("name") for schema in explain.iterfind(".//zr:schema", NS)}
    assert schemas == {"marcxml", "dc"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("eliot", ["Middlemarch: A Study of Provincial Life", "The Mill on the Floss"]),
        ("cql.anywhere = middlemarch", ["Middlemarch: A Study of Provincial Life"]),
        ('dc.title = "mill floss"', ["The Mill on the Floss"]),
        ("dc.title = provincial", ["Middlemarch: A Study of Provincial Life"]),  # the subtitle
        ("dc.title = eliot", []),  # an author, not a title
        (
            "dc.creator = eliot",
            ["Middlemarch: A Study of Provincial Life", "The Mill on the Floss"],
        ),
        ("dc.creator = bronte", ["Jane Eyre"]),  # accents folded, as the website does
        ("dc.subject = psychological", ["Middlemarch: A Study of Provincial Life"]),
        ("bath.isbn = 0141439548", ["Middlemarch: A Study of Provincial Life"]),  # ISBN-10
        ("bath.isbn = 978-0-14-143954-9", ["Middlemarch: A Study of Provincial Life"]),
        ("dc.title = midd*", ["Middlemarch: A Study of Provincial Life"]),
        ('dc.title any "emma floss"', ["The Mill on the Floss", "Emma"]),
        ('dc.title all "emma floss"', []),
        ('dc.title adj "floss mill"', []),
        ('dc.title adj "mill on the"', ["The Mill on the Floss"]),
        (
            "dc.creator = eliot and dc.subject = psychological",
            ["Middlemarch: A Study of Provincial Life"],
        ),
        ("emma or dc.creator = bronte", ["Emma", "Jane Eyre"]),
        (
            "fiction not dc.creator = austen",
            ["Middlemarch: A Study of Provincial Life", "The Mill on the Floss"],
        ),
        ("(emma or eyre) and dc.creator = jane", ["Emma"]),
    ],
)
def test_search_retrieve_finds_what_the_query_says(client, catalog, query, expected):
    root = search(client, query)

    assert diagnostics(root) == []
    assert sorted(titles(root)) == sorted(expected)
    assert found(root) == len(expected)


def test_a_record_by_its_id(client, catalog):
    book = catalog["emma"]

    assert titles(search(client, f"rec.id = {book.pk}")) == ["Emma"]
    assert found(search(client, "rec.id = not-a-number")) == 0


def test_marcxml_records_carry_the_holdings(client, catalog):
    root = sru(client, operation="searchRetrieve", version="1.2", query="dc.title=middlemarch")

    (record,) = root.iterfind(".//zs:recordData/marc:record", NS)
    assert root.findtext(".//zs:recordSchema", namespaces=NS) == "info:srw/schema/1/marcxml-v1.1"
    fields = {field.get("tag"): field for field in record.iterfind("marc:datafield", NS)}
    assert fields["245"].findtext("marc:subfield[@code='a']", namespaces=NS) == "Middlemarch :"
    assert fields["852"].findtext("marc:subfield[@code='p']", namespaces=NS) == "B-0001"
    assert fields["852"].findtext("marc:subfield[@code='h']", namespaces=NS) == "823 ELI"


def test_string_packing_escapes_the_record(client, catalog):
    root = search(client, "dc.title=emma", recordPacking="string")

    data = root.find(".//zs:recordData", NS)
    assert list(data) == []
    assert "<dc:title>Emma</dc:title>" in data.text
    assert root.findtext(".//zs:recordPacking", namespaces=NS) == "string"


def test_paging_with_start_record_and_maximum_records(client):
    for number in range(12):
        BookFactory(title=f"Volume {number:02d} of the sea")

    first = search(client, "sea", maximumRecords="5")
    assert (found(first), len(titles(first))) == (12, 5)
    assert first.findtext("zs:nextRecordPosition", namespaces=NS) == "6"
    positions = [p.text for p in first.iterfind(".//zs:recordPosition", NS)]
    assert positions == ["1", "2", "3", "4", "5"]

    last = search(client, "sea", startRecord="11", maximumRecords="5")
    assert len(titles(last)) == 2
    assert last.find("zs:nextRecordPosition", NS) is None
    seen = titles(first) + titles(search(client, "sea", startRecord="6", maximumRecords="5"))
    assert len(set(seen + titles(last))) == 12

    counted = search(client, "sea", maximumRecords="0")
    assert (found(counted), titles(counted)) == (12, [])


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({"operation": "searchRetrieve", "version": "1.2"}, [("7", "query")]),
        (
            {"operation": "scan", "version": "1.2", "scanClause": "x"},
            [("4", "scan"), ("8", "scanClause")],
        ),
        ({"operation": "searchRetrieve", "version": "3.0", "query": "x"}, [("5", "1.2")]),
        ({"query": "x", "recordSchema": "mods"}, [("66", "mods")]),
        ({"query": "x", "recordPacking": "json"}, [("71", "json")]),
        ({"query": "x", "maximumRecords": "ten"}, [("6", "maximumRecords")]),
        ({"query": "x", "startRecord": "0"}, [("6", "startRecord")]),
        ({"query": "x", "sortKeys": "title,,1"}, [("80", "title,,1")]),
        ({"query": "x", "stylesheet": "/s.xsl"}, [("110", "/s.xsl")]),
        ({"query": "x", "bogus": "1"}, [("8", "bogus")]),
        ({"query": 'dc.title = "unclosed'}, [("14", 'dc.title = "unclosed')]),
        ({"query": "(emma"}, [("13", "(emma")]),
        ({"query": "emma and"}, [("10", "emma and")]),
        ({"query": "dc.publisher = penguin"}, [("16", "dc.publisher")]),
        ({"query": "foo.title = x"}, [("15", "foo.title = x")]),
        ({"query": "dc.title < x"}, [("19", "<")]),
        ({"query": "dc.title =/stem x"}, [("20", "stem")]),
        ({"query": "emma prox eyre"}, [("37", "prox")]),
        ({"query": "dc.title = *arch"}, [("28", "*arch")]),
        ({"query": 'dc.title = "^emma"'}, [("31", "^emma")]),
        ({"query": 'dc.title = ""'}, [("27", "")]),
        ({"query": "emma sortBy dc.title"}, [("80", "sortBy")]),
    ],
)
def test_what_the_server_does_not_do_gets_a_diagnostic(client, catalog, parameters, expected):
    root = sru(client, **parameters)

    assert diagnostics(root) == expected


def test_a_start_past_the_end_is_a_diagnostic_beside_the_count(client, catalog):
    root = search(client, "eliot", startRecord="9")

    assert found(root) == 2
    assert diagnostics(root) == [("61", "9")]


def test_extension_parameters_are_ignored_and_post_is_a_form(client, catalog):
    assert found(search(client, "emma", **{"x-shelfmark-anything": "1"})) == 1
    response = client.post("/sru", {"version": "1.2", "query": "emma", "recordSchema": "dc"})
    root = ElementTree.fromstring(response.content)  # noqa: S314  # our own output
    assert (response.status_code, titles(root)) == (200, ["Emma"])


def test_nothing_but_get_head_and_post(client):
    assert client.put("/sru").status_code == 405


SRU2 = {
    "sru": "http://docs.oasis-open.org/ns/search-ws/sruResponse",
    "diag": "http://docs.oasis-open.org/ns/search-ws/diagnostic",
    "dc": NS["dc"],
}


def test_sru_2_0_answers_in_its_own_namespaces(client, catalog):
    root = sru(client, version="2.0", query="dc.title=emma", recordSchema="dc")

    assert root.tag == f"{{{SRU2['sru']}}}searchRetrieveResponse"
    assert root.findtext("sru:version", namespaces=SRU2) == "2.0"
    assert root.findtext("sru:numberOfRecords", namespaces=SRU2) == "1"
    record = root.find(".//sru:record", SRU2)
    assert record.findtext("sru:recordXMLEscaping", namespaces=SRU2) == "xml"
    assert record.findtext(".//dc:title", namespaces=SRU2) == "Emma"

    escaped = sru(
        client, version="2.0", query="emma", recordSchema="dc", recordXMLEscaping="string"
    )
    assert "<dc:title>Emma</dc:title>" in escaped.findtext(".//sru:recordData", namespaces=SRU2)

    refused = sru(client, version="2.0", query="emma", queryType="pqf")
    uris = [uri.text for uri in refused.iterfind(".//diag:uri", SRU2)]
    assert uris == ["info:srw/diagnostic/1/6"]
    explain = sru(client, version="2.0")
    assert explain.tag == f"{{{SRU2['sru']}}}explainResponse"


def test_x_pquery_is_read_as_pqf(client, catalog):
    root = sru(client, version="1.2", recordSchema="dc", **{"x-pquery": "@attr 1=1003 austen"})
    assert titles(root) == ["Emma"]

    refused = sru(client, version="1.2", **{"x-pquery": "@attr 1=1018 penguin"})
    assert diagnostics(refused) == [("16", "@attr 1=1018 penguin")]


@pytest.mark.postgres
def test_every_match_is_counted_and_paged_not_the_websites_ranked_window(client, monkeypatch):
    """On PostgreSQL the website ranks a window of its first matches (RANK_WINDOW); SRU counts
    and pages every one."""
    from catalog.search import postgresql

    monkeypatch.setattr(postgresql, "RANK_WINDOW", 3)
    for number in range(8):
        BookFactory(title=f"Lighthouse keeping, part {number}", authors=["Ada Keeper"])

    assert found(search(client, "lighthouse")) == 8
    assert found(search(client, "dc.creator = keeper")) == 8
    assert len(titles(search(client, "lighthouse", startRecord="6", maximumRecords="5"))) == 3


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_control_character_is_a_diagnostic_not_the_sites_400_page(client, catalog, method):
    """The site's guard answers a control character with its HTML 400 page; SRU's answer is
    its own diagnostic, in XML that carries nothing of the request back."""
    send = getattr(client, method)
    response = send("/sru", {"operation": "searchRetrieve", "query": "dc.title=middle\x00march"})
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)  # noqa: S314
    assert root.findtext(".//diag:uri", namespaces=NS) == "info:srw/diagnostic/1/6"
    assert root.findtext(".//diag:details", namespaces=NS) == "query"
    assert found(root) == 0
    explain = ElementTree.fromstring(send("/sru", {"x\x01": "1"}).content)  # noqa: S314
    assert explain.tag == "{http://www.loc.gov/zing/srw/}explainResponse"
    assert explain.findtext(".//diag:uri", namespaces=NS) == "info:srw/diagnostic/1/6"
