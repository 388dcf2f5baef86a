"""Reads for exports: the whole catalog as ``ExportBook`` rows, streamed in chunks.

A chunk is ``CHUNK_SIZE`` books read by id (keyset, never OFFSET) with their authors, subjects
and copies in three more queries, so memory holds one chunk whatever the catalog's size, and
the first chunk is ready at once. Order is fixed — books by id (the order an import created
them in), authors in title-page order, subjects and copies sorted in Python (the same on SQLite
and PostgreSQL, whose collations differ) — so exporting twice gives the same file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from catalog.models import Book, BookAuthor, Copy
from interchange.records import ExportBook, ExportCopy

CHUNK_SIZE = 1000

BOOK_FIELDS = ("title", "subtitle", "isbn", "publisher", "year", "language", "pages", "description")
COPY_FIELDS = (
    "barcode",
    "call_number",
    "location",
    "status",
    "loan_type",
    "acquired_on",
    "note",
)


def export_books(*, chunk_size: int | None = None) -> Iterator[ExportBook]:
    """Every book of the catalog, with its authors, subjects and copies."""
    chunk_size = chunk_size or CHUNK_SIZE
    after = 0
    while True:
        books = list(
            Book.objects.filter(pk__gt=after).order_by("pk").values("pk", *BOOK_FIELDS)[:chunk_size]
        )
        if not books:
            return
        ids = [book["pk"] for book in books]
        authors: dict[int, list[str]] = defaultdict(list)
        for book_id, name in (
            BookAuthor.objects.filter(book_id__in=ids)
            .order_by("book_id", "position")
            .values_list("book_id", "author__name")
        ):
            authors[book_id].append(name)
        subjects: dict[int, list[str]] = defaultdict(list)
        for book_id, name in Book.subjects.through.objects.filter(book_id__in=ids).values_list(
            "book_id", "subject__name"
        ):
            subjects[book_id].append(name)
        copies: dict[int, list[ExportCopy]] = defaultdict(list)
        for copy in Copy.objects.filter(book_id__in=ids).values("book_id", *COPY_FIELDS):
            book_id = copy.pop("book_id")
            copies[book_id].append(copy)  # type: ignore[arg-type]
        for book in books:
            pk = book.pop("pk")
            yield {
                **book,  # type: ignore[typeddict-item]
                "authors": authors[pk],
                "subjects": sorted(subjects[pk], key=_name_order),
                "copies": sorted(copies[pk], key=lambda copy: copy["barcode"]),
            }
        after = ids[-1]


def _name_order(name: str) -> tuple[str, str]:
    return (name.casefold(), name)
