"""Keeps ``Book.search_text`` (the document search indexes) and the spelling vocabulary
(``SearchWord``) current after writes.

Every write that changes what a book is found by ends here: book create and update, author and
subject renames, subject deletion, book deletion and the bulk import (``words_counted``). The
databases index ``search_text`` themselves (triggers, catalog.search); the vocabulary's counts
change in the same transaction, by the difference between the old and new documents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import QuerySet

from catalog.models import Author, Book, SearchWord, Subject
from catalog.search import document_words, search_document

UPSERT_BATCH = 500


def search_text_for(
    book: Book, authors: Iterable[Author], subjects: Iterable[Subject] | None = None
) -> str:
    """The search document of ``book`` with these authors (in order) and subjects (by default
    the book's own, read through a prefetch when there is one)."""
    return search_document(
        title=book.title,
        subtitle=book.subtitle,
        isbn=book.isbn,
        author_names=[author.name for author in authors],
        subject_names=[s.name for s in (book.subjects.all() if subjects is None else subjects)],
        description=book.description,
    )


def refresh_search_text(books: QuerySet[Book]) -> None:
    """Recompute the search text of ``books``, write the ones that changed, and move the
    vocabulary's counts with them.

    The books are locked (in id order) and so read as they are now: an author's rename racing
    an edit of one of their books would otherwise write text built from the book's old title.
    """
    changed = []
    delta: Counter[str] = Counter()
    locked = books.select_for_update(of=("self",)).order_by("pk")
    for book in locked.prefetch_related("book_authors__author", "subjects"):
        text = search_text_for(book, [link.author for link in book.book_authors.all()])
        if text != book.search_text:
            delta.update(document_words(text))
            delta.subtract(document_words(book.search_text))
            book.search_text = text
            changed.append(book)
    Book.objects.bulk_update(changed, ["search_text"], batch_size=500)
    search_words_add(delta)


def words_counted(documents: Iterable[str]) -> Counter[str]:
    """How many of ``documents`` hold each vocabulary word."""
    counts: Counter[str] = Counter()
    for document in documents:
        counts.update(document_words(document))
    return counts


def search_words_add(delta: Counter[str]) -> None:
    """Add ``delta`` (negative counts subtract) to the vocabulary's counts: one upsert per
    UPSERT_BATCH words, in word order, so that concurrent writers lock the rows they share in
    the same order and never deadlock over them."""
    rows = sorted((word, n) for word, n in delta.items() if n)
    table = SearchWord._meta.db_table
    for start in range(0, len(rows), UPSERT_BATCH):
        batch = rows[start : start + UPSERT_BATCH]
        values = ", ".join(["(%s, %s)"] * len(batch))
        # An existing count never goes below 0; words at 0 (or below, for a word the vocabulary
        # had lost) are unused by search until ``search_words --rebuild`` recounts.
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (word, books) VALUES {values} ON CONFLICT (word) DO UPDATE"  # noqa: S608
                f" SET books = CASE WHEN {table}.books + excluded.books > 0"
                f" THEN {table}.books + excluded.books ELSE 0 END",
                [value for row in batch for value in row],
            )


def search_words_recount() -> Counter[str]:
    """The vocabulary as the books' documents hold it now (what ``--rebuild`` writes)."""
    documents = Book.objects.values_list("search_text", flat=True).iterator(chunk_size=2000)
    return words_counted(documents)


@transaction.atomic
def search_words_rebuild() -> int:
    """Replace the vocabulary with a fresh count from every book; how many words it holds."""
    counts = search_words_recount()
    SearchWord.objects.all().delete()
    SearchWord.objects.bulk_create(
        (SearchWord(word=word, books=n) for word, n in sorted(counts.items())), batch_size=2000
    )
    return len(counts)


def search_words_differences() -> dict[str, tuple[int, int]]:
    """Words whose stored count differs from a fresh count: word -> (stored, counted)."""
    counts = search_words_recount()
    stored = dict(SearchWord.objects.filter(books__gt=0).values_list("word", "books"))
    return {
        word: (stored.get(word, 0), counts.get(word, 0))
        for word in stored.keys() | counts.keys()
        if stored.get(word, 0) != counts.get(word, 0)
    }
