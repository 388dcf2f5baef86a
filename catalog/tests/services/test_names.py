"""catalog.services.names: authors and subjects."""

import pytest

from catalog import services
from catalog.models import Author, Book, Subject
from catalog.tests.factories import BookFactory
from shelfmark.errors import Conflict

pytestmark = pytest.mark.django_db


def test_author_rename_refreshes_search_text_of_their_books():
    book = BookFactory(authors=["Samuel Clemens"])
    author = book.authors.get()
    services.author_update(author=author, name="Mark Twain")
    book.refresh_from_db()
    assert "mark twain" in book.search_text
    assert "clemens" not in book.search_text


def test_author_with_books_cannot_be_deleted():
    book = BookFactory(authors=["Busy Writer"])
    with pytest.raises(Conflict, match="1 book"):
        services.author_delete(author=book.authors.get())
    assert Author.objects.count() == 1


def test_the_refusal_counts_books_in_the_singular_and_the_plural():
    author = BookFactory(authors=["Busy Writer"]).authors.get()
    with pytest.raises(Conflict, match=r"^'Busy Writer' is an author of 1 book; remove them"):
        services.author_delete(author=author)
    BookFactory(authors=["Busy Writer"])
    with pytest.raises(Conflict, match=r"is an author of 2 books; remove them from those books"):
        services.author_delete(author=author)


def test_duplicate_author_and_subject_names_are_conflicts():
    services.author_create(name="Homer")
    services.subject_create(name="Poetry")
    with pytest.raises(Conflict):
        services.author_create(name="homer")
    with pytest.raises(Conflict):
        services.subject_create(name="POETRY")


def test_subject_delete_keeps_books():
    book = BookFactory(subjects=["Gone"])
    services.subject_delete(subject=Subject.objects.get(name="Gone"))
    assert Book.objects.filter(pk=book.pk).exists()
    assert not book.subjects.exists()
