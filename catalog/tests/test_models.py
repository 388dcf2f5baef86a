"""The database itself refuses invalid rows, even when code bypasses the services."""

import pytest
from django.db import DataError, IntegrityError, transaction

from catalog.models import Author, Book, BookAuthor, Copy, Subject
from catalog.tests.factories import BookFactory

pytestmark = pytest.mark.django_db


def refused(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except (IntegrityError, DataError):  # DataError: PostgreSQL enforces max_length too
        return True
    return False


@pytest.mark.parametrize(
    "fields",
    [
        {"isbn": "123"},
        {"isbn": "97803064061570"},
        {"isbn": "1234567890123"},
        {"title": ""},
        {"year": 99999},
        {"language": "EN"},
        {"language": "e"},
    ],
)
def test_invalid_book_rows_are_refused(fields):
    assert refused(lambda: Book.objects.create(**{"title": "T", **fields}))


def test_isbn_is_unique_but_many_books_may_have_none():
    Book.objects.create(title="A", isbn="9780306406157")
    assert refused(lambda: Book.objects.create(title="B", isbn="9780306406157"))
    Book.objects.create(title="C", isbn=None)
    Book.objects.create(title="D", isbn=None)


def test_author_and_subject_names_unique_regardless_of_case():
    Author.objects.create(name="Homer")
    Subject.objects.create(name="Epic")
    assert refused(lambda: Author.objects.create(name="HOMER"))
    assert refused(lambda: Subject.objects.create(name="epic"))
    assert refused(lambda: Author.objects.create(name=""))


def test_author_once_per_book_and_one_author_per_position():
    book = BookFactory(authors=["First Person"])
    first = book.authors.get()
    second = Author.objects.create(name="Second Person")
    assert refused(lambda: BookAuthor.objects.create(book=book, author=first, position=5))
    assert refused(lambda: BookAuthor.objects.create(book=book, author=second, position=0))


def test_copy_constraints():
    book = BookFactory()
    Copy.objects.create(book=book, barcode="X1")
    assert refused(lambda: Copy.objects.create(book=book, barcode="X1"))
    assert refused(lambda: Copy.objects.create(book=book, barcode=""))
    assert refused(lambda: Copy.objects.create(book=book, barcode="X2", status="borrowed"))


def test_deleting_a_book_with_copies_or_an_author_on_a_book_is_refused():
    book = BookFactory(authors=["Kept Author"])
    Copy.objects.create(book=book, barcode="K1")
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        book.delete()
    with pytest.raises(ProtectedError):
        book.authors.get().delete()
