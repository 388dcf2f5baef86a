"""Copy cataloguing against a real SRU server nobody on this project wrote: Debian's yaz
package's test server, ``yaz-ztest``, which answers SRU over HTTP (and Z39.50) on one local
listener and sends canned MARC records (LoC's, in MARCXML) for any query in database "Default".

Without yaz these tests skip (``apt-get install yaz``); CI sets SHELFMARK_YAZ_TESTS=required,
which turns the skip into a failure. Nothing here leaves 127.0.0.1.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
from django.test import Client
from django.utils import translation

from catalog.models import Book, Copy
from catalog.tests.factories import BookFactory
from interchange.models import ImportRun, ImportStatus
from protocols.copycat import client
from protocols.copycat.targets import SearchBy, Target
from protocols.tests.test_copycat import URL
from protocols.tests.test_yaz import require

# yaz-ztest's first canned record: what any query finds first.
FIRST_TITLE = "How to program a computer"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def ztest(tmp_path_factory) -> Iterator[str]:
    """yaz-ztest listening on a free local port; its SRU base URL. Stopped after the module."""
    program = require("yaz-ztest")
    port = _free_port()
    log = tmp_path_factory.mktemp("ztest") / "ztest.log"
    server = subprocess.Popen(  # noqa: S603 - yaz's own server, arguments of our own
        [program, "-l", str(log), f"tcp:127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"yaz-ztest did not start: {log.read_text(errors='replace')}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/Default"
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):  # what earlier tests' requests left active, undone
        yield


@pytest.fixture(autouse=True)
def _real_http(monkeypatch):
    # The real transport, for the local server (test_copycat's fixtures refuse the network).
    monkeypatch.setattr(client, "TRANSPORT", None)


@pytest.fixture
def target(ztest, settings) -> Target:
    settings.COPYCAT_TARGETS = [{"key": "ztest", "name": "YAZ test server", "url": ztest}]
    return Target(key="ztest", name="YAZ test server", url=ztest)


@pytest.mark.parametrize(
    ("search_by", "term"),
    [
        (SearchBy.TITLE, "computer"),
        (SearchBy.AUTHOR, "Collins"),
        (SearchBy.ISBN, "9780141439549"),
    ],
)
def test_the_client_searches_yaz_ztest_over_sru(target, search_by, term):
    (result,) = client.search([target], search_by, term)

    assert result.problem == ""
    assert result.total
    assert result.total >= len(result.records) > 1
    first = result.records[0]
    assert (first.title, first.authors, first.year, first.problem) == (
        FIRST_TITLE,
        ("Jack Collins",),
        "1991",
        "",
    )
    # LoC's full records come through with their publishers.
    assert "Society of Nuclear Medicine" in [record.publisher for record in result.records]


def test_a_schema_the_server_lacks_is_a_message_per_record(ztest):
    wrong = Target(key="ztest", name="YAZ test server", url=ztest, schema="no-such-schema")

    (result,) = client.search([wrong], SearchBy.TITLE, "computer")

    assert result.records
    for record in result.records:
        assert record.problem.startswith("The catalog could not send this record: ")
        assert record.marcxml == b""


def test_a_server_that_is_gone_is_a_message(target):
    unreachable = Target(key="gone", name="Gone", url=f"http://127.0.0.1:{_free_port()}/Default")

    gone, there = client.search([unreachable, target], SearchBy.TITLE, "computer")

    assert "could not be reached" in gone.problem
    assert there.records


def z3950_target(ztest: str) -> Target:
    """The same yaz-ztest, asked in Z39.50 on its listener."""
    port = ztest.split(":")[2].split("/")[0]
    return Target(
        key="ztest-z3950",
        name="YAZ Z39.50 test server",
        url=f"z3950://127.0.0.1:{port}/Default",
        protocol="z3950",
    )


@pytest.mark.parametrize(
    ("search_by", "term"),
    [(SearchBy.TITLE, "computer"), (SearchBy.ISBN, "9780141439549")],
)
def test_the_client_searches_yaz_ztest_over_z3950(ztest, search_by, term):
    require("zoomsh")

    (result,) = client.search([z3950_target(ztest)], search_by, term)

    assert result.problem == ""
    assert len(result.records) > 1
    first = result.records[0]
    assert (first.title, first.authors, first.year, first.problem) == (
        FIRST_TITLE,
        ("Jack Collins",),
        "1991",
        "",
    )
    assert first.marcxml


def test_a_z3950_target_that_is_gone_or_silent_is_a_message(ztest):
    require("zoomsh")
    gone = Target(
        key="gone", name="Gone", url=f"z3950://127.0.0.1:{_free_port()}/db", protocol="z3950"
    )
    with socket.socket() as silent_server:  # accepts connections (the kernel does), never answers
        silent_server.bind(("127.0.0.1", 0))
        silent_server.listen()
        port = silent_server.getsockname()[1]
        silent = Target(
            key="silent", name="Silent", url=f"z3950://127.0.0.1:{port}/db", protocol="z3950"
        )

        started = time.monotonic()
        gone_result, silent_result, there = client.search(
            [gone, silent, z3950_target(ztest)], SearchBy.TITLE, "computer", seconds=2
        )

    assert time.monotonic() - started < 4
    assert "could not be reached" in gone_result.problem
    assert "did not answer within 2 seconds" in silent_result.problem
    assert there.records


@pytest.mark.django_db(transaction=True)
def test_use_a_z3950_record_end_to_end(ztest, settings, staff_user):
    require("zoomsh")
    target = z3950_target(ztest)
    settings.COPYCAT_TARGETS = [
        {"key": target.key, "name": target.name, "url": target.url, "protocol": "z3950"}
    ]
    browser = Client()
    browser.force_login(staff_user)
    text = browser.get(
        URL, {"search_by": "title", "term": "computer", "targets": [target.key]}
    ).content.decode()
    token = text.split('name="record" value="')[1].split('"')[0]

    response = browser.post(URL, {"record": token, "barcode": "Z39-1"})

    book = Book.objects.get(title=FIRST_TITLE)
    assert response["Location"] == f"/books/{book.pk}/"
    assert Copy.objects.get(barcode="Z39-1").book == book
    assert ImportRun.objects.get().source_name == "YAZ Z39.50 test server (Z39.50)"


@pytest.mark.django_db(transaction=True)
def test_use_this_record_end_to_end(target, staff_user):
    browser = Client()
    browser.force_login(staff_user)

    page = browser.get(URL, {"search_by": "title", "term": "computer", "targets": ["ztest"]})

    assert page.status_code == 200
    text = page.content.decode()
    assert FIRST_TITLE in text
    assert "Jack Collins" in text
    assert "YAZ test server" in text
    token = text.split('name="record" value="')[1].split('"')[0]

    response = browser.post(URL, {"record": token, "barcode": "ZT-0001"})

    book = Book.objects.get(title=FIRST_TITLE)
    assert response.status_code == 302
    assert response["Location"] == f"/books/{book.pk}/"
    assert [author.name for author in book.authors.all()] == ["Jack Collins"]
    assert book.year == 1991
    assert Copy.objects.get(barcode="ZT-0001").book == book
    run = ImportRun.objects.get()
    assert (run.status, run.created, run.created_by, run.source_name) == (
        ImportStatus.DONE,
        1,
        staff_user,
        "YAZ test server (SRU)",
    )

    # The same record again, with another copy: matched, not added twice.
    browser.post(URL, {"record": token, "barcode": "ZT-0002"})

    assert Book.objects.filter(title=FIRST_TITLE).count() == 1
    assert Copy.objects.get(barcode="ZT-0002").book == book
    assert ImportRun.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_book_we_have_is_matched_not_added_again(target, staff_user):
    # yaz-ztest's record has no ISBN: matching falls to title and author, as for a file.
    ours = BookFactory(
        title=FIRST_TITLE, authors=["Jack Collins"], year=1991, publisher="", isbn=None
    )
    browser = Client()
    browser.force_login(staff_user)
    text = browser.get(
        URL, {"search_by": "isbn", "term": "978-0-14-143954-9", "targets": ["ztest"]}
    ).content.decode()
    token = text.split('name="record" value="')[1].split('"')[0]

    response = browser.post(URL, {"record": token})

    assert response["Location"] == f"/books/{ours.pk}/"
    assert Book.objects.filter(title=FIRST_TITLE).count() == 1
