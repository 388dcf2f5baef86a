"""Copy cataloguing's SRU client against fake catalogs (httpx.MockTransport: no test reaches
the network), its import of a found record through the import path, and the page."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import checks
from django.test import Client
from django.utils import translation

from catalog.models import Book, Copy
from catalog.services.bulk import Result
from catalog.tests.factories import BookFactory, CopyFactory
from interchange.models import ImportRun, ImportStatus
from protocols.copycat import client, z3950
from protocols.copycat.forms import record_token
from protocols.copycat.services import copycat_record_import
from protocols.copycat.targets import PRESETS, SearchBy, Target, configured_targets
from protocols.copycat.z3950 import ZoomError, pqf_query, read_output

URL = "/staff/copy-cataloguing/"

FAKE = Target(key="fake", name="Fake National Library", url="http://sru.example/db")
OTHER = Target(key="other", name="Other Library", url="http://other.example/db")

MARC = "http://www.loc.gov/MARC21/slim"


def marc_record(
    title: str = "Middlemarch",
    *,
    author: str = "Eliot, George,",
    isbn: str = "9780141439549",
    extra: str = "",
) -> str:
    isbn_field = (
        f'<datafield tag="020" ind1=" " ind2=" "><subfield code="a">{isbn}</subfield></datafield>'
        if isbn
        else ""
    )
    return (
        f'<record xmlns="{MARC}"><leader>00000nam a2200000 a 4500</leader>'
        '<controlfield tag="008">910710s1994    enk           000 1 eng d</controlfield>'
        f"{isbn_field}"
        f'<datafield tag="100" ind1="1" ind2=" "><subfield code="a">{author}</subfield></datafield>'
        f'<datafield tag="245" ind1="1" ind2="0"><subfield code="a">{title} /</subfield>'
        "</datafield>"
        '<datafield tag="264" ind1=" " ind2="1"><subfield code="a">London :</subfield>'
        '<subfield code="b">Penguin,</subfield><subfield code="c">1994.</subfield></datafield>'
        f"{extra}</record>"
    )


def sru_answer(*records: str, total: int | None = None, version: str = "1.1") -> bytes:
    items = "".join(
        "<zs:record><zs:recordSchema>marcxml</zs:recordSchema><zs:recordPacking>xml"
        f"</zs:recordPacking><zs:recordData>{record}</zs:recordData>"
        f"<zs:recordPosition>{number}</zs:recordPosition></zs:record>"
        for number, record in enumerate(records, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/">'
        f"<zs:version>{version}</zs:version>"
        f"<zs:numberOfRecords>{len(records) if total is None else total}</zs:numberOfRecords>"
        f"<zs:records>{items}</zs:records></zs:searchRetrieveResponse>"
    ).encode()


class FakeCatalogs:
    """Answers per host; records the requests."""

    def __init__(self, answers: dict[str, object]):
        self.answers = answers
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[request.url.host]
        if callable(answer):
            return answer(request)
        if isinstance(answer, httpx.Response):
            return answer
        assert isinstance(answer, bytes)
        return httpx.Response(200, content=answer, headers={"Content-Type": "text/xml"})


@pytest.fixture(autouse=True)
def _in_english():
    # Messages made outside a request are in the thread's active language, which an earlier
    # test's request may have left in German.
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """A request no test answers fails at once, as a network error."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Tests never reach the network", request=request)

    monkeypatch.setattr(client, "TRANSPORT", httpx.MockTransport(refuse))


def fake(monkeypatch, **answers: object) -> FakeCatalogs:
    catalogs = FakeCatalogs({f"{host.replace('_', '.')}.example": a for host, a in answers.items()})
    monkeypatch.setattr(client, "TRANSPORT", httpx.MockTransport(catalogs))
    return catalogs


# --- The query and the request ----------------------------------------------------------------


def test_each_target_is_asked_in_its_own_indexes():
    assert client.cql_query(PRESETS["loc"], SearchBy.TITLE, "Middlemarch") == (
        'dc.title="Middlemarch"'
    )
    assert client.cql_query(PRESETS["dnb"], SearchBy.AUTHOR, "Goethe") == 'per="Goethe"'
    assert client.cql_query(PRESETS["k10plus"], SearchBy.ISBN, "9783150000014") == (
        'pica.isb="9783150000014" or pica.isb="3150000017"'
    )
    # A 979 ISBN has no ISBN-10 form.
    assert client.cql_query(FAKE, SearchBy.ISBN, "9791032305690") == 'bath.isbn="9791032305690"'


def test_z3950_targets_are_asked_in_pqf_with_bib1_attributes():
    z3950 = PRESETS["loc-z3950"]

    assert pqf_query(z3950, SearchBy.TITLE, 'Say "hi"\n\\ now') == (
        '@attr 1=4 "Say \\"hi\\" \\\\ now"'
    )
    assert pqf_query(z3950, SearchBy.AUTHOR, "Eliot") == '@attr 1=1003 "Eliot"'
    assert pqf_query(z3950, SearchBy.ISBN, "9780141439549") == (
        '@or @attr 1=7 "9780141439549" @attr 1=7 "0141439548"'
    )


def test_zoomshs_output_is_read():
    output = (
        b"tcp:z.example:210/db: 12 hits\n"
        b"0 database=db syntax=USmarc schema=unknown\n" + marc_record().encode() + b"\n\n"
        b"1 database=db syntax=USmarc schema=unknown\n" + marc_record("Emma").encode() + b"\n"
    )

    total, records = read_output(output)

    assert total == 12
    assert [record.count(b"<record") for record in records] == [1, 1]
    assert b"Emma" in records[1]
    with pytest.raises(ZoomError, match="Unsupported Use attribute"):
        read_output(b"tcp:z.example:210/db error: Unsupported Use attribute (Bib-1:114) 9999\n")


def test_without_zoomsh_a_z3950_target_says_what_the_server_needs(monkeypatch):
    monkeypatch.setattr(z3950.shutil, "which", lambda name: None)

    (result,) = client.search([PRESETS["loc-z3950"]], SearchBy.TITLE, "x")

    assert "Z39.50 needs the ZOOM shell of the yaz package" in result.problem


def test_quotes_are_escaped_and_masking_characters_dropped():
    assert client.cql_query(FAKE, SearchBy.TITLE, 'Why "not" me? *now* \\o/') == (
        'dc.title="Why \\"not\\" me now \\\\o/"'
    )


def test_the_request_asks_for_marcxml_records_in_xml(monkeypatch):
    catalogs = fake(monkeypatch, sru=sru_answer())

    client.search([FAKE], SearchBy.TITLE, "Middlemarch")

    (request,) = catalogs.requests
    assert request.url.path == "/db"
    assert dict(request.url.params) == {
        "operation": "searchRetrieve",
        "version": "1.1",
        "query": 'dc.title="Middlemarch"',
        "maximumRecords": str(client.MAX_RECORDS),
        "recordSchema": "marcxml",
        "recordPacking": "xml",
    }
    assert request.headers["User-Agent"].startswith("Shelfmark/")


# --- Answers ------------------------------------------------------------------------------------


def test_records_show_title_author_year_publisher_and_where_they_come_from(monkeypatch):
    fake(monkeypatch, sru=sru_answer(marc_record(), total=42))

    (result,) = client.search([FAKE], SearchBy.TITLE, "Middlemarch")

    assert result.problem == ""
    assert result.total == 42
    assert result.target is FAKE
    (record,) = result.records
    assert (record.title, record.authors, record.year, record.publisher, record.isbn) == (
        "Middlemarch",
        ("George Eliot",),
        "1994",
        "Penguin",
        "9780141439549",
    )
    assert record.problem == ""
    assert b"Middlemarch" in record.marcxml


def test_the_other_librarys_holdings_are_left_out(monkeypatch):
    holding = (
        '<datafield tag="852" ind1=" " ind2=" "><subfield code="p">THEIRS-1</subfield>'
        '<subfield code="h">823 ELI</subfield></datafield>'
        '<datafield tag="952" ind1=" " ind2=" "><subfield code="p">THEIRS-2</subfield></datafield>'
    )
    fake(monkeypatch, sru=sru_answer(marc_record(extra=holding)))

    (result,) = client.search([FAKE], SearchBy.TITLE, "Middlemarch")

    assert b"THEIRS" not in result.records[0].marcxml


def test_targets_are_asked_at_once_and_each_fails_on_its_own(monkeypatch):
    def slow(request):
        time.sleep(5)
        return httpx.Response(200, content=sru_answer(marc_record()))

    fake(monkeypatch, sru=slow, other=sru_answer(marc_record("Emma")))

    started = time.monotonic()
    slow_result, other_result = client.search([FAKE, OTHER], SearchBy.TITLE, "x", seconds=0.5)

    assert time.monotonic() - started < 2
    assert slow_result.records == []
    assert "did not answer within 0.5 seconds" in slow_result.problem
    assert [record.title for record in other_result.records] == ["Emma"]
    assert other_result.problem == ""


def test_a_server_dripping_bytes_is_given_up_on_at_the_deadline(monkeypatch):
    stopped = threading.Event()

    class Drip(httpx.SyncByteStream):
        def __iter__(self):
            for _ in range(100):
                if stopped.is_set():
                    return
                time.sleep(0.05)
                yield b" "

    fake(monkeypatch, sru=lambda request: httpx.Response(200, stream=Drip()))

    started = time.monotonic()
    (result,) = client.search([FAKE], SearchBy.TITLE, "x", seconds=0.4)
    stopped.set()

    assert time.monotonic() - started < 1.5
    assert "did not answer within" in result.problem


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (httpx.ConnectError("refused"), "could not be reached; check its address"),
        (httpx.ConnectTimeout("slow"), "did not answer within"),
        (httpx.Response(500, content=b"oops"), "HTTP status 500"),
        (httpx.Response(404, content=b"no"), "HTTP status 404"),
        (
            httpx.Response(301, headers={"Location": "https://new.example/sru"}),
            "redirect to https://new.example/sru",
        ),
        (httpx.Response(200, content=b"<html><body>Maintenance</body>"), "is not XML"),
        (httpx.Response(200, content=b"Service unavailable"), "is not XML"),
        (httpx.Response(200, content=b"<feed><entry/></feed>"), "not an SRU search response"),
        (
            httpx.Response(
                200,
                content=b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]>'
                b"<searchRetrieveResponse/>",
            ),
            "not an SRU search response",
        ),
        (
            httpx.Response(200, headers={"Content-Length": str(client.MAX_BYTES + 1)}),
            "too large",
        ),
    ],
)
def test_each_kind_of_trouble_gets_its_message(monkeypatch, answer, message):
    def respond(request):
        if isinstance(answer, Exception):
            raise answer
        return answer

    fake(monkeypatch, sru=respond, other=sru_answer(marc_record("Emma")))

    broken, working = client.search([FAKE, OTHER], SearchBy.TITLE, "x")

    assert message in broken.problem
    assert broken.records == []
    assert working.problem == ""


def test_an_sru_diagnostic_is_the_targets_message(monkeypatch):
    answer = (
        b'<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/">'
        b"<zs:version>1.1</zs:version><zs:numberOfRecords>0</zs:numberOfRecords>"
        b'<zs:diagnostics><diagnostic xmlns="http://www.loc.gov/zing/srw/diagnostic/">'
        b"<uri>info:srw/diagnostic/1/16</uri><details>pica.xyz</details>"
        b"<message>Unsupported index</message></diagnostic></zs:diagnostics>"
        b"</zs:searchRetrieveResponse>"
    )
    fake(monkeypatch, sru=answer)

    (result,) = client.search([FAKE], SearchBy.TITLE, "x")

    assert result.problem == "It refused the search: Unsupported index: pica.xyz (16)"


def test_sru_2_answers_are_read_too(monkeypatch):
    answer = sru_answer(marc_record()).replace(
        b"http://www.loc.gov/zing/srw/", b"http://docs.oasis-open.org/ns/search-ws/sruResponse"
    )
    fake(monkeypatch, sru=answer)

    (result,) = client.search([FAKE], SearchBy.TITLE, "x")

    assert [record.title for record in result.records] == ["Middlemarch"]


def test_a_record_sent_as_an_escaped_string_is_read(monkeypatch):
    escaped = marc_record().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    fake(monkeypatch, sru=sru_answer(escaped))

    (result,) = client.search([FAKE], SearchBy.TITLE, "x")

    assert [record.title for record in result.records] == ["Middlemarch"]


def test_records_that_cannot_be_used_say_why_and_the_others_show(monkeypatch):
    surrogate = (
        '<diagnostic xmlns="http://www.loc.gov/zing/srw/diagnostic/">'
        "<uri>info:srw/diagnostic/1/64</uri><message>Record temporarily unavailable</message>"
        "</diagnostic>"
    )
    dublin_core = '<dc xmlns="http://purl.org/dc/elements/1.1/"><title>Emma</title></dc>'
    no_title = marc_record("", isbn="").replace(
        '<datafield tag="245" ind1="1" ind2="0"><subfield code="a"> /</subfield></datafield>',
        "",
    )
    broken_indicator = marc_record("Persuasion").replace('ind1="1" ind2="0"', 'ind1="xx" ind2="0"')
    fake(
        monkeypatch,
        sru=sru_answer(marc_record(), surrogate, dublin_core, no_title, broken_indicator),
    )

    (result,) = client.search([FAKE], SearchBy.TITLE, "x")

    good, unavailable, not_marc, untitled, damaged = result.records
    assert good.problem == ""
    assert good.marcxml
    assert unavailable.problem == (
        "The catalog could not send this record: Record temporarily unavailable (64)"
    )
    assert "not a MARC 21 record (it is <dc>)" in not_marc.problem
    assert untitled.problem.startswith("title: ")
    assert "indicators" in damaged.problem
    for record in (unavailable, not_marc, untitled, damaged):
        assert record.marcxml == b""


# --- Targets ------------------------------------------------------------------------------------


def test_by_default_the_sru_presets_are_offered():
    assert [target.key for target in configured_targets()] == ["loc", "dnb", "k10plus"]


def test_a_library_adds_its_own_target_beside_presets(settings):
    settings.COPYCAT_TARGETS = [
        "loc",
        {
            "key": "county",
            "name": "County Library",
            "url": "https://county.example/sru/books",
            "indexes": {"isbn": "local.isbn"},
        },
    ]

    loc, county = configured_targets()

    assert loc is PRESETS["loc"]
    assert county.index_for(SearchBy.ISBN) == "local.isbn"
    assert county.index_for(SearchBy.TITLE) == "dc.title"
    assert county.schema == "marcxml"


def test_a_z3950_target_has_bib1_attributes_by_default(settings):
    settings.COPYCAT_TARGETS = [
        "loc-z3950",
        {"key": "z", "name": "Z", "url": "z3950://z.example/books", "protocol": "z3950"},
    ]

    loc, own = configured_targets()

    assert loc.protocol == own.protocol == "z3950"
    assert own.index_for(SearchBy.AUTHOR) == "@attr 1=1003"


@pytest.mark.parametrize(
    "entry",
    [
        "nowhere",
        {"key": "x", "name": "X"},
        {"key": "x", "name": "X", "url": "ftp://x.example/"},
        {"key": "x", "name": "X", "url": "https://x.example/db?query=1"},
        {"key": "x", "name": "X", "url": "https://x.example/db", "version": "3"},
        {"key": "x", "name": "X", "url": "https://x.example/db", "colour": "red"},
        {"key": "x", "name": "X", "url": "https://x.example/db", "protocol": "ftp"},
        {"key": "x", "name": "X", "url": "https://x.example/db", "protocol": "z3950"},
        {"key": "x", "name": "X", "url": "z3950://x.example:210/", "protocol": "z3950"},
    ],
)
def test_a_wrong_target_setting_says_what_is_wrong(settings, entry):
    from django.core.exceptions import ImproperlyConfigured

    settings.COPYCAT_TARGETS = [entry]

    with pytest.raises(ImproperlyConfigured, match="COPYCAT_TARGETS"):
        configured_targets()


# --- Using a record -----------------------------------------------------------------------------


def found_marcxml(monkeypatch, record: str) -> bytes:
    fake(monkeypatch, sru=sru_answer(record))
    (result,) = client.search([FAKE], SearchBy.TITLE, "x")
    return result.records[0].marcxml


@pytest.mark.django_db(transaction=True)
def test_a_record_is_imported_with_a_copy_and_the_run_is_kept(monkeypatch, staff_user):
    marcxml = found_marcxml(monkeypatch, marc_record())

    imported = copycat_record_import(
        marcxml=marcxml, source_name="Fake National Library (SRU)", barcode=" C-1 ", user=staff_user
    )

    assert imported.book_id is not None
    book = Book.objects.get(pk=imported.book_id)
    assert book.title == "Middlemarch"
    assert book.isbn == "9780141439549"
    assert [copy.barcode for copy in Copy.objects.filter(book=book)] == ["C-1"]
    assert imported.result is Result.CREATED
    run = ImportRun.objects.get()
    assert run == imported.run
    assert (run.status, run.created, run.records, run.created_by) == (
        ImportStatus.DONE,
        1,
        1,
        staff_user,
    )
    assert run.source_name == "Fake National Library (SRU)"
    assert run.format == "marcxml"


@pytest.mark.django_db(transaction=True)
def test_a_book_we_have_is_matched_and_gets_the_copy(monkeypatch):
    ours = BookFactory(title="Middlemarch", isbn="9780141439549")
    marcxml = found_marcxml(monkeypatch, marc_record())

    imported = copycat_record_import(marcxml=marcxml, source_name=FAKE.name, barcode="C-2")

    assert imported.book_id == ours.pk
    assert imported.result is Result.UPDATED
    assert Book.objects.count() == 1
    assert Copy.objects.get(barcode="C-2").book_id == ours.pk

    again = copycat_record_import(marcxml=marcxml, source_name=FAKE.name)

    assert (again.result, again.book_id) == (Result.SKIPPED, ours.pk)
    assert ImportRun.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_taken_barcode_fails_the_record_with_the_imports_message(monkeypatch):
    CopyFactory(barcode="TAKEN")
    marcxml = found_marcxml(monkeypatch, marc_record())

    imported = copycat_record_import(marcxml=marcxml, source_name=FAKE.name, barcode="TAKEN")

    assert imported.result is Result.FAILED
    assert imported.book_id is None
    assert any("TAKEN" in problem or "barcode" in problem for problem in imported.problems)
    assert not Book.objects.filter(title="Middlemarch").exists()
    assert imported.run.failed == 1
    assert imported.run.problems.exists()


# --- The page ------------------------------------------------------------------------------------


@pytest.fixture
def staff(staff_user) -> Client:
    browser = Client()
    browser.force_login(staff_user)
    return browser


@pytest.fixture
def one_target(settings):
    settings.COPYCAT_TARGETS = [
        {"key": FAKE.key, "name": FAKE.name, "url": FAKE.url},
        {"key": OTHER.key, "name": OTHER.name, "url": OTHER.url},
    ]


@pytest.mark.django_db
def test_the_page_is_for_staff_who_may_add_books(client, one_target):
    assert client.get(URL).status_code == 302  # to sign in
    user = get_user_model().objects.create_user(username="clerk", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="add_book"))
    client.force_login(user)

    assert client.get(URL).status_code == 403


@pytest.mark.django_db
def test_the_page_offers_the_targets_ticked(staff, one_target):
    page = staff.get(URL).content.decode()

    assert 'value="fake"' in page
    assert "Fake National Library" in page
    assert page.count("checked") == 3  # search by ISBN, and both catalogs


@pytest.mark.django_db
def test_add_by_isbn_links_to_a_search_of_every_catalog(staff, one_target, monkeypatch):
    catalogs = fake(monkeypatch, sru=sru_answer(), other=sru_answer())
    page = staff.get("/catalog/add/", {"isbn": "abc"}).content.decode()
    link = f'{URL}?search_by=isbn&amp;term=abc"'
    assert link in page

    staff.get(URL, {"search_by": "isbn", "term": "9780141439549"})

    assert {request.url.host for request in catalogs.requests} == {"sru.example", "other.example"}


@pytest.mark.django_db
def test_the_admins_book_list_links_to_the_page(staff):
    page = staff.get("/admin/catalog/book/").content.decode()

    assert f'<a href="{URL}">Copy cataloguing</a>' in page


@pytest.mark.django_db
def test_unticking_every_catalog_is_an_error(staff, one_target):
    response = staff.get(URL, {"search_by": "title", "term": "Emma", "ticked": "1"})

    assert response.status_code == 400
    assert "Tick at least one catalog to search." in response.content.decode()


@pytest.mark.django_db
def test_a_malformed_isbn_is_refused_before_any_search(staff, one_target, monkeypatch):
    catalogs = fake(monkeypatch, sru=sru_answer(), other=sru_answer())

    response = staff.get(URL, {"search_by": "isbn", "term": "12345", "targets": ["fake"]})

    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert catalogs.requests == []


@pytest.mark.django_db(transaction=True)
def test_search_then_use_this_record(staff, one_target, monkeypatch):
    fake(monkeypatch, sru=sru_answer(marc_record()), other=httpx.Response(503))

    query = {"search_by": "title", "term": "Middlemarch", "targets": ["fake", "other"]}
    page = staff.get(URL, query).content.decode()

    assert "Middlemarch" in page
    assert "George Eliot" in page
    assert "Penguin" in page
    assert "Other Library gave no results: It answered with HTTP status 503" in page
    token = page.split('name="record" value="')[1].split('"')[0]

    response = staff.post(URL, {"record": token, "barcode": "B-77", "back": "term=Middlemarch"})

    book = Book.objects.get(title="Middlemarch")
    assert response.status_code == 302
    assert response["Location"] == f"/books/{book.pk}/"
    assert Copy.objects.get(barcode="B-77").book == book
    shown = staff.get(response["Location"]).content.decode()
    assert "Added “Middlemarch” with copy B-77." in shown


@pytest.mark.django_db
def test_an_edited_record_is_refused(staff, one_target):
    token = record_token(FAKE, marc_record().encode())

    response = staff.post(
        URL,
        {"record": token[:-3] + "abc", "back": "search_by=title&term=x&next=https://evil.example"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{URL}?search_by=title&term=x"
    assert not Book.objects.exists()
    page = staff.get(response["Location"]).content.decode()
    assert "This search result could not be read; search again." in page


@pytest.mark.django_db(transaction=True)
def test_a_record_the_import_refuses_is_reported_not_a_500(staff, one_target):
    CopyFactory(barcode="TAKEN")
    token = record_token(FAKE, marc_record().encode())

    response = staff.post(URL, {"record": token, "barcode": "TAKEN"}, follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert "The record was not imported:" in page
    assert not Book.objects.filter(title="Middlemarch").exists()


def test_a_bad_target_stops_the_start_with_its_reason(settings):
    """manage.py check (run by migrate and the image's start-up step) reports it."""
    settings.COPYCAT_TARGETS = ["loc", "nowhere"]
    errors = [e for e in checks.run_checks() if e.id == "protocols.E001"]
    assert len(errors) == 1
    assert "no preset 'nowhere'" in errors[0].msg
    settings.COPYCAT_TARGETS = {"loc": 1}
    assert [e.id for e in checks.run_checks() if e.id.startswith("protocols.")] == [
        "protocols.E001"
    ]
    settings.COPYCAT_TARGETS = ["loc"]
    assert not [e for e in checks.run_checks() if e.id.startswith("protocols.")]
