"""catalog.services.books: creating, changing and deleting books."""

import pytest

from catalog import services
from catalog.models import Author, Book, BookAuthor
from catalog.tests.factories import BookFactory, CopyFactory
from shelfmark.errors import Conflict, InvalidInput

pytestmark = pytest.mark.django_db


def test_book_create_normalizes_isbn_and_orders_authors():
    book = services.book_create(
        title="  Good   Omens ",
        authors=["Terry Pratchett", "Neil Gaiman"],
        isbn="0-575-04800-X",
        subjects=["Fantasy", "fantasy"],
        language="EN",
    )
    assert book.title == "Good Omens"
    assert book.isbn == "9780575048003"
    assert book.language == "en"
    names = [link.author.name for link in BookAuthor.objects.filter(book=book).order_by("position")]
    assert names == ["Terry Pratchett", "Neil Gaiman"]
    assert list(book.subjects.values_list("name", flat=True)) == ["Fantasy"]
    assert Author.objects.get(name="Neil Gaiman").sort_name == "Gaiman, Neil"


def test_book_create_reuses_authors_by_name_case_insensitively_and_by_id():
    first = services.book_create(title="Emma", authors=["Jane Austen"])
    austen = first.authors.get()
    second = services.book_create(title="Persuasion", authors=["JANE AUSTEN"])
    third = services.book_create(title="Sanditon", authors=[austen.pk])
    assert Author.objects.count() == 1
    assert second.authors.get() == austen == third.authors.get()


def test_book_create_rejects_unknown_author_id_without_writing_anything():
    with pytest.raises(InvalidInput) as error:
        services.book_create(title="Orphan", authors=["New Person", 987654])
    assert error.value.field == "authors"
    assert "987654" in error.value.message
    assert not Book.objects.exists()
    assert not Author.objects.exists()


@pytest.mark.parametrize(
    ("isbn", "message"),
    [
        ("123", "10 or 13 digits"),
        ("0-306-40615-3", "wrong check digit"),
        ("ISBN-X", "not a number"),
    ],
)
def test_book_create_bad_isbn_names_the_field(isbn, message):
    with pytest.raises(InvalidInput, match=message) as error:
        services.book_create(title="Bad", isbn=isbn)
    assert error.value.field == "isbn"


def test_duplicate_isbn_in_any_spelling_is_a_conflict():
    services.book_create(title="Original", isbn="9780306406157")
    with pytest.raises(Conflict) as error:
        services.book_create(title="Copycat", isbn="0-306-40615-2")
    assert error.value.code == "duplicate_isbn"
    assert error.value.field == "isbn"
    assert Book.objects.count() == 1


def test_books_without_isbn_may_coexist():
    services.book_create(title="One", isbn="")
    services.book_create(title="Two", isbn=None)
    assert Book.objects.filter(isbn__isnull=True).count() == 2


def test_blank_title_is_rejected():
    with pytest.raises(InvalidInput, match="title"):
        services.book_create(title="   ")


def test_bad_language_is_rejected():
    with pytest.raises(InvalidInput) as error:
        services.book_create(title="Babel", language="e1")
    assert error.value.field == "language"


def test_book_update_changes_only_given_fields_and_refreshes_search_text():
    book = BookFactory(title="Old Title", subtitle="Keep me", authors=["Ann Author"])
    services.book_update(book=book, title="New Title", authors=["Bea Writer"])
    book.refresh_from_db()
    assert (book.title, book.subtitle) == ("New Title", "Keep me")
    assert "bea writer" in book.search_text
    assert "ann author" not in book.search_text
    assert "new title" in book.search_text


def test_book_update_to_another_books_isbn_is_a_conflict():
    BookFactory(isbn="9780306406157")
    other = BookFactory()
    with pytest.raises(Conflict):
        services.book_update(book=other, isbn="0306406152")


def test_book_with_copies_cannot_be_deleted_but_without_can():
    copy = CopyFactory()
    with pytest.raises(Conflict, match="1 copy"):
        services.book_delete(book=copy.book)
    services.copy_delete(copy=copy)
    services.book_delete(book=copy.book)
    assert not Book.objects.exists()


def test_the_refusal_counts_copies_in_the_singular_and_the_plural():
    copy = CopyFactory(book=BookFactory(title="Emma"))
    with pytest.raises(Conflict, match=r"^'Emma' has 1 copy; delete or move it first"):
        services.book_delete(book=copy.book)
    CopyFactory(book=copy.book)
    with pytest.raises(Conflict, match=r"^'Emma' has 2 copies; delete or move them first"):
        services.book_delete(book=copy.book)
