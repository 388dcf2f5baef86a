"""Two imports of the same books at the same moment (two librarians, two workers, one file
uploaded twice), on PostgreSQL with real threads and connections: nothing is added twice and
neither import fails. The bulk service meets the other's rows as a unique violation (retried
once, when they match), a wait on the same new names (created in one order), or a deadlock
(retried by its service transaction)."""

from __future__ import annotations

import functools

import pytest

from catalog.models import Author, Book, Copy, Subject
from catalog.services.bulk import Result, books_import, importing
from interchange.records import BookRecord, CopyRecord
from shelfmark.testing.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 10
BOOKS = 30


def isbn13(number: int) -> str:
    core = f"979{number:09d}"
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(core))
    return core + str((10 - total % 10) % 10)


def records(round_: int) -> list[BookRecord]:
    return [
        BookRecord(
            n + 2,
            title=f"Round {round_} book {n}",
            isbn=isbn13(round_ * 1000 + n),
            authors=[f"Writer {round_}-{n % 7}", f"Co Writer {round_}-{n % 5}"],
            subjects=[f"Subject {round_}-{n % 3}"],
            copies=[CopyRecord(barcode=f"R{round_}-{n}")],
        )
        for n in range(BOOKS)
    ]


def test_the_same_books_imported_twice_at_once_are_in_the_catalog_once():
    for round_ in range(ROUNDS):
        batch = records(round_)

        outcomes = race(
            functools.partial(books_import, batch),
            functools.partial(books_import, list(reversed(batch))),
        )

        for outcome in outcomes:
            assert not isinstance(outcome, Exception), outcome
            problems = [o.problems for o in outcome if o.problems]
            assert {o.result for o in outcome} <= {Result.CREATED, Result.SKIPPED}, problems
        created = sum(o.result is Result.CREATED for outcome in outcomes for o in outcome)
        assert created == BOOKS, round_
    assert Book.objects.count() == Copy.objects.count() == ROUNDS * BOOKS
    assert Author.objects.count() == ROUNDS * (7 + 5)
    assert Subject.objects.count() == ROUNDS * 3


def test_a_book_committed_between_the_look_ups_is_matched_not_failed(monkeypatch):
    # The window the race above hits now and then, held open: the other import commits the
    # same books, copies and all, while this one is between its look-ups (each statement sees
    # the commits before it). Books were once looked up before barcodes: the copies were then
    # found taken by books this import did not know, and every book failed.
    batch = records(0)[:3]
    look_up_barcodes = importing.barcodes_taken

    def other_import_commits_first(books):
        monkeypatch.setattr(importing, "barcodes_taken", look_up_barcodes)
        [other] = race(functools.partial(books_import, batch))
        assert [o.result for o in other] == [Result.CREATED] * 3
        return look_up_barcodes(books)

    monkeypatch.setattr(importing, "barcodes_taken", other_import_commits_first)
    outcomes = books_import(batch)

    assert [(o.result, o.problems) for o in outcomes] == [(Result.SKIPPED, [])] * 3
    assert Book.objects.count() == Copy.objects.count() == 3
