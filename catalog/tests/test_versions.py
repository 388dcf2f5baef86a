"""Book.version grows with every change that shows on the book (catalog.versions): the
database's triggers keep it, whatever path writes, on PostgreSQL and on SQLite."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.core.management import call_command
from django.db import connection

from catalog import services
from catalog.models import Book, CopyStatus, DeletedBook
from catalog.services.bulk import books_import
from catalog.tests.factories import BookFactory, CopyFactory
from catalog.tests.services.bulk_items import BookItem, CopyItem

# Each change in its own transaction, as in production: PostgreSQL's triggers leave alone the
# books a transaction wrote already (catalog.versions), which in one test transaction is all.
pytestmark = pytest.mark.django_db(transaction=True)


def version(book: Book) -> int:
    return Book.objects.values_list("version", flat=True).get(pk=book.pk)


@pytest.fixture
def book() -> Book:
    return BookFactory(title="Dracula", authors=["Bram Stoker"], subjects=["Horror"])


def grows(book: Book, change: Callable[[], object]) -> bool:
    before = version(book)
    change()
    return version(book) > before


def test_reading_a_book_leaves_its_version_alone(book):
    assert not grows(book, lambda: list(Book.objects.filter(pk=book.pk).values()))


def test_the_books_own_fields_and_its_authors_and_subjects(book):
    assert grows(book, lambda: services.book_update(book=book, publisher="Constable"))
    assert grows(book, lambda: services.book_update(book=book, authors=["Someone Else"]))
    assert grows(book, lambda: services.book_update(book=book, subjects=["Gothic", "Horror"]))
    # A model instance saved with the version it read is still one more than the database's.
    stale = Book.objects.get(pk=book.pk)
    services.book_update(book=book, year=1897)

    def save_stale() -> None:
        stale.pages = 400
        stale.save()

    assert grows(book, save_stale)


def test_renaming_an_author_or_a_subject_it_shows(book):
    author = book.authors.get()
    subject = book.subjects.get()
    assert grows(book, lambda: services.author_update(author=author, name="Abraham Stoker"))
    assert grows(book, lambda: services.subject_update(subject=subject, name="Horror fiction"))


def test_its_copies_added_changed_moved_and_removed(book):
    other = BookFactory(title="Carmilla")
    copy = CopyFactory(book=book, barcode="D-1")
    assert version(book) > 1
    assert grows(book, lambda: services.copy_update(copy=copy, location="Stacks"))
    assert grows(book, lambda: services.copy_update(copy=copy, status=CopyStatus.MISSING))
    before = version(other)
    assert grows(book, lambda: services.copy_update(copy=copy, book=other))
    assert version(other) > before
    assert grows(other, lambda: services.copy_delete(copy=copy))


def test_an_import_adding_copies_to_a_book_it_has(book):
    item = BookItem(
        title="Dracula",
        authors=["Bram Stoker"],
        isbn=book.isbn,
        copies=[CopyItem(barcode="IMP-1"), CopyItem(barcode="IMP-2")],
    )
    assert grows(book, lambda: books_import([item]))


def test_migrating_puts_back_sqlite_triggers_and_bumps_every_book(book):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps its triggers through migrations")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER catalog_copy_touch_insert")
    before = version(book)
    call_command("migrate", verbosity=0)
    assert version(book) > before  # what was written meanwhile went unseen: every book moves
    assert grows(book, lambda: CopyFactory(book=book, barcode="D-9"))


def test_an_import_writes_its_new_books_once():
    """Books added with their copies in one transaction are not written a second time for the
    copies (PostgreSQL's statement triggers skip the rows the transaction wrote already);
    a book the catalog had still moves when an import adds a copy to it."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's row triggers bump; PostgreSQL's skip the transaction's own rows")
    old = BookFactory(title="Dracula", authors=["Bram Stoker"])
    before = version(old)
    books_import(
        [
            BookItem(title="Carmilla", authors=["Sheridan Le Fanu"], copies=[CopyItem("C-1")]),
            BookItem(title="Dracula", authors=["Bram Stoker"], isbn=old.isbn or "",
                     copies=[CopyItem("D-1")]),
        ]
    )  # fmt: skip
    assert Book.objects.get(title="Carmilla").version == 1
    assert version(old) > before


def changed_at(book: Book):
    return Book.objects.values_list("updated_at", flat=True).get(pk=book.pk)


def test_what_bumps_the_version_moves_the_change_time_too(book):
    """updated_at is the record's change time (OAI-PMH harvests by it): a change to its copies,
    links or names moves it too, though no one saved the book."""
    copy = CopyFactory(book=book, barcode="D-1")
    author = book.authors.get()
    for change in (
        lambda: services.copy_update(copy=copy, location="Stacks"),
        lambda: services.author_update(author=author, name="Abraham Stoker"),
        lambda: CopyFactory(book=book, barcode="D-2"),
    ):
        before = changed_at(book)
        time.sleep(0.002)  # SQLite's clock counts milliseconds
        change()
        assert changed_at(book) > before


def test_a_deleted_book_is_remembered_whichever_way_it_went(book):
    other = BookFactory(title="Carmilla")
    services.book_delete(book=book)
    Book.objects.filter(pk=other.pk).delete()
    # (Only these: on SQLite, the flush between tests deletes books, and they are remembered.)
    remembered = DeletedBook.objects.filter(book_id__in=[book.pk, other.pk])
    assert sorted(remembered.values_list("book_id", flat=True)) == sorted([book.pk, other.pk])
