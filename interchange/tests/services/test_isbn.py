from __future__ import annotations

import httpx
import pytest

from catalog.models import Book, Copy
from catalog.tests.factories import BookFactory, CopyFactory
from interchange.services.isbn import (
    COVER_NOT_STORED,
    Source,
    book_add_with_copy,
    isbn_lookup,
    isbn_normalize,
)
from interchange.tests.fakes import BOOKS_API, COVER, ISBN, recorded
from shelfmark.errors import Conflict, InvalidInput

pytestmark = pytest.mark.django_db


def test_an_isbn_is_normalized_with_the_catalogs_rule():
    assert isbn_normalize("0-14-143951-3") == ISBN
    assert isbn_normalize(" 978-0-14-143951-8 ") == ISBN


@pytest.mark.parametrize("raw", ["", "978-0-14-143951-9", "not an isbn"])
def test_a_malformed_isbn_is_invalid_input_on_the_isbn_field(raw, open_library):
    with pytest.raises(InvalidInput) as raised:
        isbn_lookup(raw)

    assert raised.value.field == "isbn"
    assert open_library.requests == []


def test_a_book_in_the_catalog_is_answered_from_it_with_its_copies(open_library):
    book = BookFactory(title="Pride and Prejudice", isbn=ISBN, authors=["Jane Austen"])
    CopyFactory(book=book, barcode="B-1")

    answer = isbn_lookup("0141439513")  # its ISBN-10

    assert answer.source is Source.CATALOG
    assert answer.book_id == book.pk
    assert answer.metadata.authors == ("Jane Austen",)
    assert [copy["barcode"] for copy in answer.copies] == ["B-1"]
    assert open_library.requests == []  # the catalog answered


def test_a_book_not_in_the_catalog_is_asked_of_open_library(open_library):
    answer = isbn_lookup(ISBN)

    assert answer.source is Source.OPENLIBRARY
    assert answer.book_id is None
    assert answer.metadata.title == "Pride and Prejudice"
    assert answer.reason == ""


def test_an_isbn_nobody_knows_says_so(open_library):
    open_library.routes[BOOKS_API] = [recorded("books_api_empty.json")]

    answer = isbn_lookup(ISBN)

    assert answer.source is Source.NONE
    assert answer.reason == "not_found"
    assert "by hand" in answer.message


def test_open_library_down_is_an_answer_with_a_message_not_an_error(open_library):
    open_library.routes[BOOKS_API] = [httpx.ConnectTimeout]

    answer = isbn_lookup(ISBN)

    assert answer.source is Source.NONE
    assert answer.reason == "unavailable"
    assert "did not answer in time" in answer.message


def test_adding_a_book_with_its_first_copy_and_cover(open_library, media):
    added = book_add_with_copy(
        book={"title": "Pride and Prejudice", "isbn": ISBN, "language": "en", "year": 2003},
        authors=["Jane Austen"],
        subjects=["Courtship"],
        copy={"barcode": "B-100", "call_number": "823.7 AUS", "location": "Fiction"},
        cover_url="https://covers.openlibrary.org/b/id/8739161-L.jpg",
    )

    book = Book.objects.get(isbn=ISBN)
    assert added.book == book
    assert [author.name for author in book.authors.all()] == ["Jane Austen"]
    assert Copy.objects.get(book=book).call_number == "823.7 AUS"
    assert added.cover_problem == ""
    assert book.cover.name.startswith(f"covers/{book.pk}-")
    assert book.cover.name.endswith(".jpg")
    assert (media / book.cover.name).read_bytes() == open_library.routes[COVER][0].content


def test_a_bad_copy_adds_neither_book_nor_copy(open_library):
    CopyFactory(barcode="TAKEN")

    with pytest.raises(Conflict, match="already on a copy"):
        book_add_with_copy(book={"title": "New", "isbn": ISBN}, copy={"barcode": "TAKEN"})

    assert not Book.objects.filter(isbn=ISBN).exists()


def test_a_cover_that_cannot_be_had_leaves_the_book_without_one_and_logs_why(
    open_library, media, caplog
):
    open_library.routes[COVER] = [httpx.Response(200, content=b"<html>not an image</html>")]

    added = book_add_with_copy(
        book={"title": "Pride and Prejudice", "isbn": ISBN},
        cover_url="https://covers.openlibrary.org/b/id/8739161-L.jpg",
    )

    assert not added.book.cover
    # The person is told one message whatever the reason (test_openlibrary_guards.py has them
    # all); the log says which.
    assert added.cover_problem == COVER_NOT_STORED
    assert "not an image" in caplog.text
