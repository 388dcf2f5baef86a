"""The OAI-PMH 2.0 provider at /oai through Django's test client: the six verbs, both formats,
sets, from/until, resumption tokens through edits and deletions, deleted records, and the
protocol's error codes for every bad request. Every answer is validated against the OAI-PMH
schema (protocols/tests/data/OAI-PMH.xsd, its source noted beside it)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from lxml import etree

from catalog import services
from catalog.models import Book, DeletedBook, Subject
from catalog.tests.factories import BookFactory, CopyFactory
from protocols import oai

pytestmark = pytest.mark.django_db

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).parent / "data" / "OAI-PMH.xsd")))
NS = {
    "oai": "http://www.openarchives.org/OAI/2.0/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "marc": "http://www.loc.gov/MARC21/slim",
}
LONG_AGO = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)


def valid(content: bytes) -> etree._Element:
    root = etree.fromstring(content)
    SCHEMA.assertValid(root)
    return root


def oai_get(client, **arguments) -> etree._Element:
    response = client.get("/oai", arguments)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    return valid(response.content)


def error(root) -> str | None:
    found = root.find("oai:error", NS)
    return None if found is None else found.get("code")


def identifiers(root) -> list[str]:
    return [element.text for element in root.iterfind(".//oai:header/oai:identifier", NS)]


def token(root) -> str | None:
    element = root.find(".//oai:resumptionToken", NS)
    return None if element is None else (element.text or None)


def book_id(identifier: str) -> int:
    return int(identifier.rsplit(":", 1)[1])


@pytest.fixture(autouse=True)
def _no_earlier_deletions():
    # SQLite's flush between transactional tests deletes books, and the trigger remembers them.
    DeletedBook.objects.all().delete()


@pytest.fixture
def catalog():
    books = [
        BookFactory(
            title="Middlemarch",
            authors=["George Eliot"],
            subjects=["Psychological fiction", "England"],
            isbn="9780141439549",
        ),
        BookFactory(title="The Mill on the Floss", authors=["George Eliot"], subjects=["England"]),
        BookFactory(title="Emma", authors=["Jane Austen"]),
        BookFactory(title="Dracula", authors=["Bram Stoker"], subjects=["Horror"]),
        BookFactory(title="Carmilla", authors=["Sheridan Le Fanu"], subjects=["Horror"]),
    ]
    CopyFactory(book=books[0], barcode="B-0001", call_number="823 ELI")
    return books


def test_identify(client, catalog, settings):
    settings.LIBRARY_NAME = "Riverside Library"
    settings.OAI_ADMIN_EMAIL = "books@riverside.example.org"
    root = oai_get(client, verb="Identify")
    identify = root.find("oai:Identify", NS)
    assert identify.findtext("oai:repositoryName", namespaces=NS) == "Riverside Library"
    assert identify.findtext("oai:baseURL", namespaces=NS) == "http://testserver/oai"
    assert identify.findtext("oai:protocolVersion", namespaces=NS) == "2.0"
    assert identify.findtext("oai:adminEmail", namespaces=NS) == "books@riverside.example.org"
    assert identify.findtext("oai:deletedRecord", namespaces=NS) == "persistent"
    assert identify.findtext("oai:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    earliest = min(book.updated_at for book in Book.objects.all())
    assert identify.findtext("oai:earliestDatestamp", namespaces=NS) == (
        earliest.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    assert root.find("oai:request", NS).get("verb") == "Identify"


def test_the_default_admin_email_is_the_senders_and_valid(client, settings):
    settings.OAI_ADMIN_EMAIL = ""
    settings.DEFAULT_FROM_EMAIL = "Riverside <desk@riverside.example.org>"
    assert oai.admin_email() == "desk@riverside.example.org"
    settings.DEFAULT_FROM_EMAIL = '"Shelfmark" <library@localhost>'
    assert oai.admin_email() == "library@localhost.localdomain"
    oai_get(client, verb="Identify")  # valid with an empty catalog too


def test_list_metadata_formats(client, catalog):
    root = oai_get(client, verb="ListMetadataFormats")
    prefixes = [e.text for e in root.iterfind(".//oai:metadataPrefix", NS)]
    assert prefixes == ["oai_dc", "marc21"]
    one = oai_get(client, verb="ListMetadataFormats", identifier=f"oai:shelfmark:{catalog[0].pk}")
    assert len(one.findall(".//oai:metadataFormat", NS)) == 2
    assert error(oai_get(client, verb="ListMetadataFormats", identifier="oai:x:1")) == (
        "idDoesNotExist"
    )


def test_get_record_in_dublin_core_and_marc21(client, catalog):
    middlemarch = catalog[0]
    identifier = f"oai:shelfmark:{middlemarch.pk}"
    root = oai_get(client, verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
    record = root.find("oai:GetRecord/oai:record", NS)
    assert record.findtext("oai:header/oai:identifier", namespaces=NS) == identifier
    dc = record.find("oai:metadata/oai_dc:dc", NS)
    assert dc.findtext("dc:title", namespaces=NS) == "Middlemarch"
    assert dc.findtext("dc:creator", namespaces=NS) == "George Eliot"
    assert dc.findtext("dc:identifier", namespaces=NS) == "urn:isbn:9780141439549"
    subjects = Subject.objects.filter(books=middlemarch).order_by("pk")
    assert [e.text for e in record.iterfind("oai:header/oai:setSpec", NS)] == [
        "subject",
        *(f"subject:{subject.pk}" for subject in subjects),
    ]

    root = oai_get(client, verb="GetRecord", identifier=identifier, metadataPrefix="marc21")
    marc = root.find(".//oai:metadata/marc:record", NS)
    title = marc.find("marc:datafield[@tag='245']/marc:subfield[@code='a']", NS)
    assert title.text.startswith("Middlemarch")
    barcodes = [e.text for e in marc.iterfind("marc:datafield/marc:subfield[@code='p']", NS)]
    assert "B-0001" in barcodes  # the copy, as holdings


def test_get_record_errors(client, catalog):
    identifier = f"oai:shelfmark:{catalog[0].pk}"
    for arguments, code in (
        ({"identifier": identifier, "metadataPrefix": "mods"}, "cannotDisseminateFormat"),
        ({"identifier": "oai:shelfmark:999999", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
        ({"identifier": "oai:elsewhere:1", "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
        ({"identifier": "oai:shelfmark:" + "9" * 40, "metadataPrefix": "oai_dc"}, "idDoesNotExist"),
        ({"identifier": identifier}, "badArgument"),
        ({"metadataPrefix": "oai_dc"}, "badArgument"),
    ):
        assert error(oai_get(client, verb="GetRecord", **arguments)) == code, arguments


def test_list_sets_pages_through_the_subjects(client, catalog, monkeypatch):
    monkeypatch.setattr(oai, "SETS_PER_PAGE", 2)
    root = oai_get(client, verb="ListSets")
    names = {e.findtext("oai:setSpec", namespaces=NS): e.findtext("oai:setName", namespaces=NS)
             for e in root.iterfind(".//oai:set", NS)}  # fmt: skip
    while token(root):
        root = oai_get(client, verb="ListSets", resumptionToken=token(root))
        for element in root.iterfind(".//oai:set", NS):
            names[element.findtext("oai:setSpec", namespaces=NS)] = element.findtext(
                "oai:setName", namespaces=NS
            )
    expected = {f"subject:{s.pk}": s.name for s in Subject.objects.all()}
    assert names == {"subject": "Books by subject", **expected}
    last = root.find(".//oai:resumptionToken", NS)
    assert last.get("completeListSize") == str(len(expected) + 1)


def test_list_records_pages_with_resumption_tokens(client, catalog, monkeypatch):
    monkeypatch.setattr(oai, "RECORDS_PER_PAGE", 2)
    root = oai_get(client, verb="ListRecords", metadataPrefix="oai_dc")
    seen = identifiers(root)
    first = root.find(".//oai:resumptionToken", NS)
    assert (first.get("cursor"), first.get("completeListSize")) == ("0", "5")
    pages = 1
    while token(root):
        root = oai_get(client, verb="ListRecords", resumptionToken=token(root))
        seen += identifiers(root)
        pages += 1
    assert pages == 3
    assert sorted(map(book_id, seen)) == sorted(book.pk for book in catalog)
    last = root.find(".//oai:resumptionToken", NS)
    assert (last.get("cursor"), last.text) == ("4", None)


def test_a_harvest_survives_edits_and_deletions_on_its_way(client, catalog, monkeypatch):
    """Edits and a deletion between pages: nothing unchanged is skipped or sent twice; the
    edited records come in the next harvest, from this one's responseDate."""
    monkeypatch.setattr(oai, "IDENTIFIERS_PER_PAGE", 2)
    for position, book in enumerate(sorted(catalog, key=lambda b: b.pk), start=1):
        Book.objects.filter(pk=book.pk).update(
            updated_at=LONG_AGO + datetime.timedelta(minutes=position)
        )
    order = [book.pk for book in sorted(catalog, key=lambda b: b.pk)]
    root = oai_get(client, verb="ListIdentifiers", metadataPrefix="marc21")
    started = root.findtext("oai:responseDate", namespaces=NS)
    seen = identifiers(root)
    assert list(map(book_id, seen)) == order[:2]
    # Behind the harvest: the first record edited; ahead: the fourth edited, the third deleted.
    services.book_update(book=Book.objects.get(pk=order[0]), publisher="Penguin")
    services.book_update(book=Book.objects.get(pk=order[3]), publisher="Penguin")
    services.book_delete(book=Book.objects.get(pk=order[2]))
    while token(root):
        root = oai_get(client, verb="ListIdentifiers", resumptionToken=token(root))
        seen += identifiers(root)
    assert list(map(book_id, seen)) == [order[0], order[1], order[4]]

    later = oai_get(client, verb="ListIdentifiers", metadataPrefix="marc21", **{"from": started})
    headers = later.findall(".//oai:header", NS)
    while token(later):
        later = oai_get(client, verb="ListIdentifiers", resumptionToken=token(later))
        headers += later.findall(".//oai:header", NS)
    changed = {book_id(h.findtext("oai:identifier", namespaces=NS)): h.get("status")
               for h in headers}  # fmt: skip
    assert changed == {order[0]: None, order[3]: None, order[2]: "deleted"}


def test_from_and_until_select_by_change_time(client, catalog):
    moments = {}
    for day, book in enumerate(catalog, start=1):
        moments[book.pk] = datetime.datetime(2024, 3, day, 12, 0, 0, tzinfo=datetime.UTC)
        Book.objects.filter(pk=book.pk).update(updated_at=moments[book.pk])

    def listed(**bounds):
        root = oai_get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **bounds)
        return None if error(root) else sorted(map(book_id, identifiers(root)))

    ids = [book.pk for book in catalog]
    assert listed(**{"from": "2024-03-02", "until": "2024-03-03"}) == sorted(ids[1:3])
    assert listed(**{"from": "2024-03-02T12:00:00Z", "until": "2024-03-04T12:00:00Z"}) == sorted(
        ids[1:4]
    )
    assert listed(**{"from": "2024-03-02T12:00:01Z"}) == sorted(ids[2:])
    assert listed(until="2024-03-01T11:59:59Z") is None  # noRecordsMatch
    root = oai_get(client, verb="ListRecords", metadataPrefix="oai_dc", until="2023-12-31")
    assert error(root) == "noRecordsMatch"
    datestamp = oai_get(
        client, verb="GetRecord", identifier=f"oai:shelfmark:{ids[0]}", metadataPrefix="oai_dc"
    ).findtext(".//oai:datestamp", namespaces=NS)
    assert datestamp == "2024-03-01T12:00:00Z"


def test_a_set_selects_the_books_with_that_subject(client, catalog):
    horror = Subject.objects.get(name="Horror")
    root = oai_get(client, verb="ListRecords", metadataPrefix="oai_dc", set=f"subject:{horror.pk}")
    titles = sorted(e.text for e in root.iterfind(".//dc:title", NS))
    assert titles == ["Carmilla", "Dracula"]
    root = oai_get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="subject")
    assert len(identifiers(root)) == 4  # Emma has no subject
    for missing in ("subject:999999", "subject:01", "genre:1", "subject:x"):
        root = oai_get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set=missing)
        assert error(root) == "noRecordsMatch", missing


def test_deleted_records_are_reported(client, catalog):
    dracula = catalog[3]
    services.book_delete(book=dracula)
    identifier = f"oai:shelfmark:{dracula.pk}"
    root = oai_get(client, verb="GetRecord", identifier=identifier, metadataPrefix="marc21")
    header = root.find(".//oai:header", NS)
    assert header.get("status") == "deleted"
    assert root.find(".//oai:metadata", NS) is None
    root = oai_get(client, verb="ListRecords", metadataPrefix="oai_dc")
    statuses = {book_id(h.findtext("oai:identifier", namespaces=NS)): h.get("status")
                for h in root.iterfind(".//oai:header", NS)}  # fmt: skip
    assert statuses[dracula.pk] == "deleted"
    assert len(statuses) == 5
    # In a set's harvest too: its subjects went with it.
    horror = Subject.objects.get(name="Horror")
    in_set = {"metadataPrefix": "oai_dc", "set": f"subject:{horror.pk}"}
    root = oai_get(client, verb="ListIdentifiers", **in_set)
    assert dracula.pk in map(book_id, identifiers(root))


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Harvest"}, "badVerb"),
        ({"verb": ["Identify", "Identify"]}, "badVerb"),
        ({"verb": "Identify", "metadataPrefix": "oai_dc"}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "marc21"]}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "yesterday"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-02-30"}, "badArgument"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-01-01T00:00:00"},
            "badArgument",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-01-02",
             "until": "2026-01-01"},
            "badArgument",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2026-01-01",
             "until": "2026-01-02T00:00:00Z"},
            "badArgument",
        ),
        ({"verb": "ListRecords", "metadataPrefix": "mods"}, "cannotDisseminateFormat"),
        ({"verb": "ListRecords", "resumptionToken": "rubbish"}, "badResumptionToken"),
        ({"verb": "ListSets", "resumptionToken": "rubbish"}, "badResumptionToken"),
        ({"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"},
         "badArgument"),
        ({"verb": "ListMetadataFormats", "identifier": "oai:shelfmark:abc"}, "idDoesNotExist"),
    ],
)  # fmt: skip
def test_bad_requests_get_the_protocols_error_codes(client, catalog, arguments, code):
    root = oai_get(client, **arguments)
    assert error(root) == code
    request = root.find("oai:request", NS)
    if code in ("badVerb", "badArgument"):
        assert dict(request.attrib) == {}  # the standard: no attributes then
    assert root.find("oai:ListRecords", NS) is None


def test_a_token_for_another_verb_or_forged_is_refused(client, catalog, monkeypatch):
    monkeypatch.setattr(oai, "RECORDS_PER_PAGE", 2)
    given = token(oai_get(client, verb="ListRecords", metadataPrefix="oai_dc"))
    assert error(oai_get(client, verb="ListIdentifiers", resumptionToken=given)) == (
        "badResumptionToken"
    )
    forged = given[:-3] + ("aaa" if not given.endswith("aaa") else "bbb")
    assert error(oai_get(client, verb="ListRecords", resumptionToken=forged)) == (
        "badResumptionToken"
    )


def test_post_and_an_empty_catalog(client):
    response = client.post("/oai", {"verb": "ListRecords", "metadataPrefix": "oai_dc"})
    root = valid(response.content)
    assert error(root) == "noRecordsMatch"
    assert error(oai_get(client, verb="ListSets")) is None  # the "subject" set is always there


def test_a_page_takes_a_fixed_number_of_queries(client, catalog, django_assert_max_num_queries):
    for number in range(30):
        CopyFactory(book=BookFactory(subjects=["Horror", f"Topic {number}"]))
    with django_assert_max_num_queries(8):
        root = oai_get(client, verb="ListRecords", metadataPrefix="marc21")
    assert len(identifiers(root)) == 35


def test_a_record_changed_now_is_in_a_list_ending_now(client, catalog):
    # The list's end is the request's moment: what was saved before it is in it.
    services.book_update(book=catalog[2], publisher="Penguin")
    stamp = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    root = oai_get(client, verb="ListIdentifiers", metadataPrefix="oai_dc", until=stamp)
    assert catalog[2].pk in map(book_id, identifiers(root))


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_control_character_is_bad_argument_not_the_sites_400_page(client, catalog, method):
    send = getattr(client, method)
    response = send("/oai", {"verb": "GetRecord", "identifier": "oai:shelfmark:1\x00"})
    assert response.status_code == 200
    root = valid(response.content)
    assert error(root) == "badArgument"
    assert dict(root.find("oai:request", NS).attrib) == {}
    # Elsewhere the site's guard still answers 400.
    assert client.get("/", {"q": "x\x00"}).status_code == 400
