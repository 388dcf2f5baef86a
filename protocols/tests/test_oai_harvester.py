"""The OAI-PMH provider harvested by a real harvester nobody on this project wrote: Sickle
(PyPI), over HTTP against the live server. It harvests the whole catalog through resumption
tokens, then incrementally ``from`` the first harvest's responseDate after edits and a deletion;
every response it receives is validated against the OAI-PMH 2.0 schema."""

from __future__ import annotations

import datetime

import pytest
from sickle import Sickle

from catalog import services
from catalog.models import Book, DeletedBook
from catalog.tests.factories import BookFactory, CopyFactory
from protocols import oai
from protocols.tests.test_oai import valid

# Committed rows, for the live server's thread.
pytestmark = pytest.mark.django_db(transaction=True)

BOOKS = 23
PAGE = 5


@pytest.fixture
def harvester(live_server, monkeypatch):
    monkeypatch.setattr(oai, "RECORDS_PER_PAGE", PAGE)
    monkeypatch.setattr(oai, "IDENTIFIERS_PER_PAGE", PAGE)
    responses: list[bytes] = []

    def keep(response, *args, **kwargs):
        responses.append(response.content)

    sickle = Sickle(f"{live_server.url}/oai", timeout=30, hooks={"response": keep})
    yield sickle, responses
    for content in responses:
        valid(content)  # raises with the schema's complaint


@pytest.fixture
def catalog():
    DeletedBook.objects.all().delete()  # what the flush of earlier tests deleted
    books = [
        BookFactory(title=f"Volume {n:02d}", authors=[f"Author {n % 4}"], subjects=["History"])
        for n in range(BOOKS)
    ]
    for book in books[:5]:
        CopyFactory(book=book)
    long_ago = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    for n, book in enumerate(books, start=1):
        Book.objects.filter(pk=book.pk).update(updated_at=long_ago + datetime.timedelta(hours=n))
    return books


def test_sickle_harvests_everything_then_what_changed(harvester, catalog):
    sickle, responses = harvester
    first = list(sickle.ListRecords(metadataPrefix="oai_dc"))
    assert len(responses) == -(-BOOKS // PAGE)  # one request a page
    titles = sorted(record.metadata["title"][0] for record in first)
    assert titles == [f"Volume {n:02d}" for n in range(BOOKS)]
    assert len({record.header.identifier for record in first}) == BOOKS
    started = _response_date(responses[0])

    edited, gone = catalog[3], catalog[17]
    services.book_update(book=edited, title="Volume 03, revised")
    services.book_delete(book=gone)

    changes = list(sickle.ListRecords(**{"metadataPrefix": "oai_dc", "from": started}))
    assert {(r.header.identifier, r.header.deleted) for r in changes} == {
        (oai.identifier(edited.pk), False),
        (oai.identifier(gone.pk), True),
    }
    revised = next(record for record in changes if not record.header.deleted)
    assert revised.metadata["title"] == ["Volume 03, revised"]

    # MARCXML too, and the identifiers alone, through their tokens.
    marc = list(sickle.ListRecords(metadataPrefix="marc21"))
    assert len(marc) == BOOKS  # 22 books and the deleted one
    assert sum(record.header.deleted for record in marc) == 1
    headers = list(sickle.ListIdentifiers(metadataPrefix="marc21", ignore_deleted=True))
    assert len(headers) == BOOKS - 1
    sets = list(sickle.ListSets())
    assert sets[0].setSpec == "subject"
    assert sickle.Identify().deletedRecord == "persistent"
    one = sickle.GetRecord(identifier=oai.identifier(catalog[0].pk), metadataPrefix="oai_dc")
    assert one.metadata["title"] == ["Volume 00"]


def _response_date(content: bytes) -> str:
    return valid(content).findtext("{http://www.openarchives.org/OAI/2.0/}responseDate")
