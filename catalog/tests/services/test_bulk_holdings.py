"""catalog.services.bulk, holdings without barcodes: no copy and a warning by default, copies
with generated barcodes when asked, never twice (issue 14, point 1)."""

from __future__ import annotations

import functools

import pytest
from django.db import transaction

from catalog.models import Book, Copy
from catalog.services.bulk import (
    BARCODE_GENERATED,
    COPY_ALREADY_THERE,
    NO_COPY_MADE,
    BarcodeMaker,
    Result,
    barcodes_option,
    books_check,
    books_import,
)
from catalog.tests.factories import BookFactory, CopyFactory
from catalog.tests.services.bulk_items import BookItem, CopyItem
from shelfmark.testing.races import race

pytestmark = pytest.mark.django_db


def emma(*copies: CopyItem, **more) -> BookItem:
    return BookItem(title="Emma", authors=["Jane Austen"], copies=list(copies), **more)


def shelf(call_number: str = "823.7 AUS", location: str = "Stacks") -> CopyItem:
    return CopyItem(call_number=call_number, location=location)


def warnings(outcome) -> list[tuple[str, str]]:
    return [(warning.reason, warning.value) for warning in outcome.warnings]


def generate(prefix: str = "SM-") -> BarcodeMaker:
    return BarcodeMaker(prefix)


def test_a_holding_without_a_barcode_is_no_problem_of_the_record():
    [verdict] = books_check([emma(shelf(), CopyItem(barcode="  "), CopyItem(barcode="E-1"))])

    assert not isinstance(verdict, list), verdict
    assert [copy["barcode"] for copy in verdict.copies] == ["", "", "E-1"]


def test_by_default_the_book_goes_in_without_a_copy_and_the_holding_is_reported():
    [outcome] = books_import([emma(shelf(), CopyItem(barcode="E-1"), CopyItem())])

    assert outcome.result is Result.CREATED
    assert outcome.problems == []
    assert warnings(outcome) == [
        (NO_COPY_MADE, "call number 823.7 AUS, location Stacks"),
        (NO_COPY_MADE, "no call number or location"),
    ]
    assert list(Copy.objects.values_list("barcode", flat=True)) == ["E-1"]


def test_generating_gives_each_holding_a_copy_with_a_printable_barcode():
    outcomes = books_import(
        [emma(shelf(), shelf()), BookItem(title="Dune", copies=[shelf("SF HER", "")])],
        barcodes=generate(),
    )

    assert [o.result for o in outcomes] == [Result.CREATED, Result.CREATED]
    assert warnings(outcomes[0]) == [
        (BARCODE_GENERATED, "SM-000001: call number 823.7 AUS, location Stacks"),
        (BARCODE_GENERATED, "SM-000002: call number 823.7 AUS, location Stacks"),
    ]
    assert warnings(outcomes[1]) == [(BARCODE_GENERATED, "SM-000003: call number SF HER")]
    copies = Copy.objects.values_list("barcode", "book__title", "call_number", "location")
    assert sorted(copies) == [
        ("SM-000001", "Emma", "823.7 AUS", "Stacks"),
        ("SM-000002", "Emma", "823.7 AUS", "Stacks"),
        ("SM-000003", "Dune", "SF HER", ""),
    ]


def test_generated_numbers_go_on_after_the_highest_the_catalog_has():
    CopyFactory(barcode="LIB-000041")
    CopyFactory(barcode="LIB-7")
    CopyFactory(barcode="LIB-X9")  # not a number after the prefix
    CopyFactory(barcode="LIBRARY-000900")  # another prefix

    [outcome] = books_import([emma(shelf())], barcodes=generate("LIB-"))

    assert warnings(outcome)[0][1].startswith("LIB-000042:")


def test_a_generated_barcode_skips_one_the_batch_gives_itself():
    outcomes = books_import(
        [emma(shelf()), BookItem(title="Dune", copies=[CopyItem(barcode="SM-000001")])],
        barcodes=generate(),
    )

    assert [o.result for o in outcomes] == [Result.CREATED, Result.CREATED]
    assert Copy.objects.get(book__title="Emma").barcode == "SM-000002"


def test_importing_the_same_items_again_adds_no_copy():
    items = [emma(shelf(), shelf(), CopyItem(barcode="E-1", call_number="823.7 AUS"))]
    books_import(items, barcodes=generate())
    before = sorted(Copy.objects.values_list("barcode", "call_number"))

    [again] = books_import(items, barcodes=generate())

    assert before == [
        ("E-1", "823.7 AUS"),
        ("SM-000001", "823.7 AUS"),
        ("SM-000002", "823.7 AUS"),
    ]
    assert again.result is Result.SKIPPED
    assert sorted(Copy.objects.values_list("barcode", "call_number")) == before
    # Each holding is taken to be one of the copies the record does not name itself.
    assert warnings(again) == [
        (COPY_ALREADY_THERE, "SM-000001: call number 823.7 AUS"),
        (COPY_ALREADY_THERE, "SM-000002: call number 823.7 AUS"),
    ]


def test_only_the_holdings_beyond_the_books_copies_with_that_call_number_become_copies():
    book = BookFactory(title="Emma", isbn="9780141439587", authors=["Jane Austen"])
    CopyFactory(book=book, barcode="OLD-1", call_number="823.7 AUS")
    CopyFactory(book=book, barcode="OLD-2", call_number="REF 823")

    [outcome] = books_import([emma(shelf(), shelf(), isbn="9780141439587")], barcodes=generate())

    assert outcome.result is Result.UPDATED
    assert [reason for reason, _ in warnings(outcome)] == [BARCODE_GENERATED, COPY_ALREADY_THERE]
    assert sorted(book.copies.values_list("barcode", flat=True)) == ["OLD-1", "OLD-2", "SM-000001"]


def test_a_book_listed_twice_gets_its_holdings_once():
    outcomes = books_import([emma(shelf()), emma(shelf())], barcodes=generate())

    assert [o.result for o in outcomes] == [Result.CREATED, Result.SKIPPED]
    assert Copy.objects.count() == 1
    assert Book.objects.count() == 1


def test_a_rolled_back_batch_does_not_reuse_its_numbers_in_the_next():
    # A dry run: each batch is rolled back; the preview numbers as the real run would.
    maker = generate()
    for title in ("Emma", "Dune"):
        with transaction.atomic():
            [outcome] = books_import([BookItem(title=title, copies=[shelf()])], barcodes=maker)
            transaction.set_rollback(True)
        last = outcome.warnings[0].value

    assert last.startswith("SM-000002:")
    assert Copy.objects.count() == 0


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("", ""),
        ("generate", "generate:SM-"),
        (" Generate ", "generate:SM-"),
        ("generate:main-", "generate:MAIN-"),
        ("generate:B2", "generate:B2"),
    ],
)
def test_the_barcodes_option_is_kept_in_one_form(given, stored):
    assert barcodes_option(given) == stored


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("gen", "use 'generate' or 'generate:PREFIX'"),
        ("generate:", "Give the prefix after 'generate:'"),
        ("generate:SM 1", "letters A to Z, digits and hyphens only"),
        ("generate:ÄB-", "letters A to Z, digits and hyphens only"),
        ("generate:" + "A" * 21, "up to 20"),
    ],
)
def test_a_bad_barcodes_option_says_what_to_write(given, message):
    with pytest.raises(ValueError, match=message):
        barcodes_option(given)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_imports_generating_at_the_same_time_never_make_one_barcode_twice():
    # Three: the bulk service retries a batch once after a unique violation, which would hide
    # a collision between two.
    for round_ in range(3):
        batches = [
            [BookItem(title=f"Round {round_} import {n} book {b}", copies=[shelf(), shelf()])
             for b in range(20)]
            for n in range(3)
        ]  # fmt: skip

        outcomes = race(
            *(functools.partial(books_import, batch, barcodes=generate()) for batch in batches)
        )

        for outcome in outcomes:
            assert not isinstance(outcome, Exception), outcome
            assert {o.result for o in outcome} == {Result.CREATED}
    barcodes = sorted(Copy.objects.values_list("barcode", flat=True))
    assert barcodes == [f"SM-{n:06d}" for n in range(1, 3 * 3 * 20 * 2 + 1)]
