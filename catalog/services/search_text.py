"""Keeps ``Book.search_text`` (the folded words search matches) current after writes."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from catalog.models import Author, Book
from catalog.search import search_document


def search_text_for(book: Book, authors: Iterable[Author]) -> str:
    return search_document(
        title=book.title,
        subtitle=book.subtitle,
        isbn=book.isbn,
        author_names=[author.name for author in authors],
    )


def refresh_search_text(books: QuerySet[Book]) -> None:
    """Recompute the search text of ``books`` and write the ones that changed.

    The books are locked (in id order) and so read as they are now: an author's rename racing
    an edit of one of their books would otherwise write text built from the book's old title.
    """
    changed = []
    locked = books.select_for_update(of=("self",)).order_by("pk")
    for book in locked.prefetch_related("book_authors__author"):
        text = search_text_for(book, [link.author for link in book.book_authors.all()])
        if text != book.search_text:
            book.search_text = text
            changed.append(book)
    Book.objects.bulk_update(changed, ["search_text"], batch_size=500)
