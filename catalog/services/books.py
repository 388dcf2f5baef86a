"""Books: their own fields (rules in catalog.rules), their ordered authors and their subjects."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Unpack

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import Author, Book, BookAuthor, Subject
from catalog.rules import BOOK_RULES, BookFields, clean_fields
from catalog.search import document_words
from catalog.services.names import Ref, resolve_authors, resolve_subjects
from catalog.services.search_text import refresh_search_text, search_words_add
from shelfmark.errors import Conflict
from shelfmark.transactions import delete_or_conflict, lock_row, service_transaction


@service_transaction
def book_create(
    *,
    title: str,
    authors: Sequence[Ref] = (),
    subjects: Sequence[Ref] = (),
    **fields: Unpack[BookFields],
) -> Book:
    """Add a book; ``authors`` and ``subjects`` are ids or names (unknown names are created)."""
    book = Book(**clean_fields(BOOK_RULES, {"title": title, **fields}))
    book_isbn_check(book.isbn)
    _save_book(book)
    _set_authors(book, resolve_authors(authors))
    _set_subjects(book, resolve_subjects(subjects))
    # Read back, not from the authors resolved above: one may have been renamed meanwhile
    # (the link's key-share lock waited for that rename to commit).
    refresh_search_text(Book.objects.filter(pk=book.pk))
    book.refresh_from_db(fields=["search_text"])
    return book


@service_transaction
def book_update(
    *,
    book: Book,
    title: str | None = None,
    authors: Sequence[Ref] | None = None,
    subjects: Sequence[Ref] | None = None,
    **fields: Unpack[BookFields],
) -> Book:
    """Change the given fields only; ``authors``/``subjects`` replace the lists.

    The row is re-read under a lock and only the given columns are written, so two concurrent
    edits of different fields both survive.
    """
    changes = clean_fields(BOOK_RULES, {**fields, **({} if title is None else {"title": title})})
    book = lock_row(Book, book.pk, no_key=True)
    if "isbn" in changes and changes["isbn"] != book.isbn:
        book_isbn_check(changes["isbn"], exclude_pk=book.pk)
    for name, value in changes.items():
        setattr(book, name, value)
    _save_book(book, update_fields=[*changes, "updated_at"])
    if authors is not None:
        _set_authors(book, resolve_authors(authors))
    if subjects is not None:
        _set_subjects(book, resolve_subjects(subjects))
    refresh_search_text(Book.objects.filter(pk=book.pk))
    book.refresh_from_db(fields=["search_text"])
    return book


@service_transaction
def book_delete(*, book: Book) -> None:
    # The lock makes a copy being added at this moment wait (its foreign key check) and then
    # fail cleanly, instead of this count missing it.
    book = lock_row(Book, book.pk)
    count = book.copies.count()
    if count:
        raise Conflict(
            ngettext(
                "'%(title)s' has %(count)d copy; delete or move it first (a book with physical "
                "copies is not deleted by accident).",
                "'%(title)s' has %(count)d copies; delete or move them first (a book with "
                "physical copies is not deleted by accident).",
                count,
            )
            % {"title": book.title, "count": count},
            code="in_use",
        )
    delete_or_conflict(
        book,
        in_use=_("A copy of '%(title)s' was just added; it is in use.") % {"title": book.title},
    )
    # Its words leave the vocabulary's counts (the search indexes drop the row themselves).
    search_words_add(Counter(dict.fromkeys(document_words(book.search_text), -1)))


def book_isbn_check(isbn: str | None, *, exclude_pk: int | None = None) -> None:
    """A Conflict naming the book that already has ``isbn`` (the admin's forms ask too)."""
    if not isbn:
        return
    books = Book.objects.filter(isbn=isbn)
    if exclude_pk is not None:
        books = books.exclude(pk=exclude_pk)
    other = books.values("pk", "title").first()
    if other:
        raise Conflict(
            _("'%(title)s' (book %(id)s) already has ISBN %(isbn)s.")
            % {"title": other["title"], "id": other["pk"], "isbn": isbn},
            code="duplicate_isbn",
            field="isbn",
        )


def _save_book(book: Book, update_fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            book.save(update_fields=update_fields)
    except IntegrityError:
        # The rules and the check above passed, so a concurrent request took the ISBN meanwhile.
        raise Conflict(
            _("ISBN %(isbn)s was just used for another book.") % {"isbn": book.isbn},
            code="duplicate_isbn",
            field="isbn",
        ) from None


def _set_authors(book: Book, authors: list[Author]) -> None:
    BookAuthor.objects.filter(book=book).delete()
    try:
        with transaction.atomic():
            BookAuthor.objects.bulk_create(
                BookAuthor(book=book, author=author, position=position)
                for position, author in enumerate(authors)
            )
    except IntegrityError:  # an author deleted between lookup and insert
        raise Conflict(
            _("One of the authors was deleted meanwhile; send the request again."),
            field="authors",
        ) from None


def _set_subjects(book: Book, subjects: list[Subject]) -> None:
    try:
        with transaction.atomic():
            book.subjects.set(subjects)
    except IntegrityError:  # a subject deleted between lookup and insert
        raise Conflict(
            _("One of the subjects was deleted meanwhile; send the request again."),
            field="subjects",
        ) from None
