"""The search indexes and the spelling vocabulary follow every write (services, import,
renames, deletes), and can be checked and repaired."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from catalog import selectors, services
from catalog.models import Book, SearchWord
from catalog.search import sqlite
from catalog.services.bulk import books_import
from catalog.services.search_text import search_words_differences
from catalog.tests.factories import BookFactory
from catalog.tests.services.bulk_items import BookItem

pytestmark = pytest.mark.django_db


def found(query: str) -> list[str]:
    return [book.title for book in selectors.book_search(Book.objects.all(), query)]


def counts(*words: str) -> dict[str, int]:
    return dict(SearchWord.objects.filter(word__in=words).values_list("word", "books"))


def test_every_write_keeps_the_index_and_the_vocabulary_current():
    book = BookFactory(
        title="Moby Dick", authors=["Herman Melville"], subjects=["Whaling"], description="Sea"
    )
    other = BookFactory(title="Billy Budd", authors=["Herman Melville"])
    assert found("whaling") == ["Moby Dick"]  # subjects are searched
    assert counts("moby", "melville", "whaling") == {"moby": 1, "melville": 2, "whaling": 1}

    services.book_update(book=book, title="The Whale", description="Ocean voyage")
    assert found("moby") == []
    assert found("whale voyage") == ["The Whale"]

    services.author_update(author=other.authors.get(), name="H. Melville")
    services.subject_update(subject=book.subjects.get(), name="Seafaring")
    assert found("seafaring") == ["The Whale"]
    assert found("whaling") == []
    assert found("herman") == []

    services.subject_delete(subject=book.subjects.get())
    assert found("seafaring") == []
    services.book_delete(book=other)
    assert found("budd") == []

    assert search_words_differences() == {}
    assert counts("moby", "whaling", "seafaring", "budd", "melville") == {
        "moby": 0,
        "whaling": 0,
        "seafaring": 0,
        "budd": 0,
        "melville": 1,
    }


def test_an_import_counts_its_books_words():
    BookFactory(title="Garden Notes", authors=["Ann Grower"])
    books_import(
        [
            BookItem(title="Garden Design", authors=["Ann Grower"]),
            BookItem(title="Secret Garden", authors=["Frances Hodgson Burnett"]),
        ]
    )
    assert counts("garden", "grower", "burnett") == {"garden": 3, "grower": 2, "burnett": 1}
    assert set(found("gardn")) == {"Garden Notes", "Garden Design", "Secret Garden"}
    assert search_words_differences() == {}


def test_the_command_checks_and_rebuilds_the_vocabulary():
    BookFactory(title="Walden", authors=["Henry David Thoreau"])
    call_command("search_words", "--check")
    SearchWord.objects.filter(word="walden").update(books=7)
    SearchWord.objects.filter(word="thoreau").delete()
    with pytest.raises(CommandError, match="2 words"):
        call_command("search_words", "--check")
    call_command("search_words", "--rebuild")
    call_command("search_words", "--check")
    assert counts("walden", "thoreau") == {"walden": 1, "thoreau": 1}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's triggers")
def test_sqlite_triggers_lost_to_a_table_rebuild_are_restored_with_the_index():
    BookFactory(title="Walden", authors=["Henry David Thoreau"])
    with connection.cursor() as cursor:
        for name in sqlite._TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    BookFactory(title="Leaves of Grass", authors=["Walt Whitman"])  # written while they were gone
    assert found("leaves") == []
    assert sqlite.ensure_schema() is True
    assert found("leaves") == ["Leaves of Grass"]
    assert found("walden") == ["Walden"]
    assert found("whitmn") == ["Leaves of Grass"]  # the trigram vocabulary index too
    assert sqlite.ensure_schema() is False  # nothing left to repair
