"""catalog.services.bulk, matching: which incoming books the catalog has, which it may have, and
that two different books are never merged on a guess (issue 14, point 2)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Book
from catalog.services.bulk import (
    POSSIBLE_DUPLICATE,
    MatchKey,
    Result,
    books_import,
    match_text,
    same_book,
)
from catalog.tests.services.bulk_items import BookItem, CopyItem

pytestmark = pytest.mark.django_db

PERL_ISBN = "9780072126532"


def complete_reference(**more) -> BookItem:
    values = {
        "title": "Perl",
        "subtitle": "the complete reference",
        "authors": ["Martin C. Brown"],
        "isbn": PERL_ISBN,
        "pages": "1179",
        **more,
    }
    return BookItem(**values)


def programmers_reference(**more) -> BookItem:
    values = {
        "title": "Perl",
        "subtitle": "programmer's reference",
        "authors": ["Martin C. Brown"],
        **more,
    }
    return BookItem(**values)


def results(outcomes) -> list[Result]:
    return [outcome.result for outcome in outcomes]


def warnings(outcome) -> list[tuple[str, str]]:
    return [(warning.reason, warning.value) for warning in outcome.warnings]


def test_a_book_with_an_isbn_and_another_without_the_same_title_and_author_stay_two():
    [first] = books_import([complete_reference()])
    existing = Book.objects.get()

    [outcome] = books_import([programmers_reference()])

    assert first.result is Result.CREATED
    assert outcome.result is Result.CREATED
    assert warnings(outcome) == [
        (POSSIBLE_DUPLICATE, f"book {existing.pk}: Perl : the complete reference")
    ]
    assert sorted(Book.objects.values_list("subtitle", "isbn")) == [
        ("programmer's reference", None),
        ("the complete reference", PERL_ISBN),
    ]


def test_update_never_overwrites_the_other_books_subtitle_or_isbn():
    books_import([complete_reference()])

    [outcome] = books_import([programmers_reference()], on_duplicate="update")

    assert outcome.result is Result.CREATED
    assert Book.objects.get(isbn=PERL_ISBN).subtitle == "the complete reference"
    assert Book.objects.get(isbn=None).subtitle == "programmer's reference"


def test_a_file_with_an_isbn_never_gives_it_to_a_book_without_one():
    books_import([programmers_reference()])

    [outcome] = books_import(
        [programmers_reference(isbn=PERL_ISBN, publisher="Osborne")], on_duplicate="update"
    )

    # The same title, subtitle and author, but only one of them has an ISBN: not merged.
    assert outcome.result is Result.CREATED
    assert [reason for reason, _ in warnings(outcome)] == [POSSIBLE_DUPLICATE]
    without = Book.objects.get(isbn=None)
    assert (without.subtitle, without.publisher) == ("programmer's reference", "")


def test_without_isbns_the_same_book_is_matched_whatever_its_spelling():
    books_import(
        [BookItem(title="Les Misérables", subtitle="roman", authors=["Victor Hugo", "A. Editor"])]
    )

    outcomes = books_import(
        [
            BookItem(
                # The title is looked up in any capitals (an index serves it), the rest
                # compared folded: accents, spaces and ISBD's punctuation make no difference.
                title="  LES  MISÉRABLES /",
                subtitle="Román.",
                authors=["a. éditor", "VICTOR HUGO"],  # in another order
                year="1862",  # one side has no year
                publisher="Lacroix",  # nor a publisher
            )
        ]
    )

    assert results(outcomes) == [Result.SKIPPED]
    assert outcomes[0].warnings == []
    assert Book.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subtitle", "a novel"),
        ("authors", ["Victor Hugo", "Someone Else"]),
        ("year", "1863"),
        ("publisher", "Pagnerre"),
    ],
)
def test_a_near_match_is_added_with_a_warning_never_merged(field, value):
    base: dict[str, Any] = {
        "title": "Les Misérables",
        "authors": ["Victor Hugo"],
        "year": "1862",
        "publisher": "Lacroix",
    }
    books_import([BookItem(**base)])
    existing = Book.objects.get()

    [outcome] = books_import([BookItem(**{**base, field: value})], on_duplicate="update")

    assert outcome.result is Result.CREATED
    assert warnings(outcome) == [(POSSIBLE_DUPLICATE, f"book {existing.pk}: Les Misérables")]
    assert Book.objects.count() == 2
    assert Book.objects.get(pk=existing.pk).year == 1862  # untouched by update


def test_two_isbns_are_two_editions_without_a_warning():
    books_import([complete_reference()])

    [outcome] = books_import([complete_reference(isbn="9780072224542")])

    assert outcome.result is Result.CREATED
    assert outcome.warnings == []


def test_the_isbn_decides_whatever_the_title():
    books_import([complete_reference()])

    [outcome] = books_import([complete_reference(title="Perl 5", subtitle="")])

    assert outcome.result is Result.SKIPPED
    assert Book.objects.count() == 1


def test_a_different_author_with_the_same_title_is_another_book_without_a_warning():
    books_import([BookItem(title="Collected Poems", authors=["Philip Larkin"])])

    [outcome] = books_import([BookItem(title="Collected Poems", authors=["Sylvia Plath"])])

    assert outcome.result is Result.CREATED
    assert outcome.warnings == []


def test_within_one_batch_a_near_match_names_the_book_made_before_it():
    outcomes = books_import([complete_reference(), programmers_reference()])

    assert results(outcomes) == [Result.CREATED, Result.CREATED]
    first = Book.objects.get(isbn=PERL_ISBN)
    assert warnings(outcomes[1]) == [
        (POSSIBLE_DUPLICATE, f"book {first.pk}: Perl : the complete reference")
    ]


def test_the_same_book_twice_in_a_batch_is_one_book():
    outcomes = books_import(
        [
            BookItem(title="Dune", authors=["Frank Herbert"], copies=[CopyItem("D-1")]),
            BookItem(title="DUNE.", authors=["frank herbert"], copies=[CopyItem("D-2")]),
            BookItem(title="Dune", authors=["Frank Herbert"]),
        ]
    )

    assert results(outcomes) == [Result.CREATED, Result.UPDATED, Result.SKIPPED]
    assert Book.objects.get().copies.count() == 2


def test_match_text_ignores_case_accents_spaces_and_trailing_punctuation():
    assert match_text("  Brontë,   Charlotte. ") == "bronte, charlotte"
    assert match_text("Perl :") == "perl"
    assert match_text("Help!") == "help!"  # punctuation that is part of the title stays
    key = MatchKey.of(isbn=None, title="A", subtitle="", authors=["X", "Y"], year=1, publisher="")
    other = key._replace(authors=("x",))
    assert same_book(key, key)
    assert not same_book(key, other)
    assert not same_book(key, key._replace(isbn="9780072126532"))


def test_a_batch_costs_the_same_number_of_queries_whatever_its_size():
    def queries(items: list[BookItem]) -> int:
        with CaptureQueriesContext(connection) as captured:
            books_import(items)
        return len(captured)

    def batch(start: int, size: int) -> list[BookItem]:
        return [
            BookItem(title=f"Book {n}", authors=[f"Author {n}", "Co Author"], year="2001")
            for n in range(start, start + size)
        ]

    books_import(batch(0, 40))  # in the catalog: each of the next batches matches them

    assert queries(batch(0, 2)) == queries(batch(0, 40))
    assert queries(batch(100, 2)) == queries(batch(200, 40))
