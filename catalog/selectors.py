"""Every catalog read the views need. Hot paths return plain dicts built from ``.values()``.

A book list page costs three queries whatever its size: the page itself (copy counts come in
as subqueries), the authors of the books on it, and their subjects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from catalog.isbn import format_isbn
from catalog.models import YEAR_SORT_KEY, Author, Book, BookAuthor, Copy, CopyStatus, Subject
from catalog.search import filter_by_query

Row = dict[str, Any]

BOOK_COLUMNS = (
    "id",
    "title",
    "subtitle",
    "isbn",
    "publisher",
    "year",
    "language",
    "pages",
    "description",
    "created_at",
    "updated_at",
)


def _count_of(rows: QuerySet, *, per: str) -> Coalesce:
    """Correlated COUNT of ``rows`` (already filtered on OuterRef) grouped by ``per``: one
    subquery per result row, no join that would multiply the outer rows."""
    counted = rows.order_by().values(per).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def book_rows() -> QuerySet:
    """All books as dict rows with copy counts; filter, order and slice before evaluating."""
    copies = Copy.objects.filter(book=OuterRef("pk"))
    return (
        Book.objects.annotate(
            copies_total=_count_of(copies, per="book"),
            copies_available=_count_of(copies.filter(status=CopyStatus.AVAILABLE), per="book"),
            # Books without a year sort last, and cursors need a non-null position.
            sort_year=YEAR_SORT_KEY,
        )
        .values(*BOOK_COLUMNS, "copies_total", "copies_available", "sort_year")
        .order_by("title", "id")
    )


def book_search(books: QuerySet, query: str) -> QuerySet:
    return filter_by_query(books, query)


def book_filter_available(books: QuerySet, *, available: bool = True) -> QuerySet:
    """Books with a copy on the shelf now (or, with available=False, with none)."""
    on_shelf = Exists(Copy.objects.filter(book=OuterRef("pk"), status=CopyStatus.AVAILABLE))
    return books.filter(on_shelf if available else ~on_shelf)


def book_representations(rows: Iterable[Row]) -> list[Row]:
    """Complete page rows with authors and subjects: two queries for the whole page."""
    rows = list(rows)
    ids = [row["id"] for row in rows]
    authors: dict[int, list[Row]] = defaultdict(list)
    for link in (
        BookAuthor.objects.filter(book_id__in=ids)
        .order_by("book_id", "position")
        .values("book_id", "author_id", "author__name")
    ):
        authors[link["book_id"]].append({"id": link["author_id"], "name": link["author__name"]})
    subjects: dict[int, list[Row]] = defaultdict(list)
    for link in (
        Book.subjects.through.objects.filter(book_id__in=ids)
        .order_by("subject__name")
        .values("book_id", "subject_id", "subject__name")
    ):
        subjects[link["book_id"]].append({"id": link["subject_id"], "name": link["subject__name"]})
    return [_book_representation(row, authors[row["id"]], subjects[row["id"]]) for row in rows]


def _book_representation(row: Row, authors: list[Row], subjects: list[Row]) -> Row:
    return {
        "id": row["id"],
        "title": row["title"],
        "subtitle": row["subtitle"],
        "author": ", ".join(author["name"] for author in authors),
        "authors": authors,
        "isbn": row["isbn"],
        "publisher": row["publisher"],
        "year": row["year"],
        "language": row["language"],
        "pages": row["pages"],
        "description": row["description"],
        "subjects": subjects,
        "copies_total": row["copies_total"],
        "copies_available": row["copies_available"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def book_detail(book_id: int) -> Row | None:
    rows = book_representations(book_rows().filter(pk=book_id))
    return rows[0] if rows else None


def book_get(book_id: int) -> Book | None:
    return Book.objects.filter(pk=book_id).first()


def book_copies(book_id: int) -> list[Row]:
    return list(copy_rows().filter(book_id=book_id).order_by("barcode"))


def isbn_display(isbn: str | None) -> str:
    return format_isbn(isbn) if isbn else ""


# --- Authors, subjects, copies -----------------------------------------------------------------

AUTHOR_COLUMNS = ("id", "name", "sort_name", "created_at", "updated_at")
SUBJECT_COLUMNS = ("id", "name", "created_at")
COPY_COLUMNS = (
    "id",
    "barcode",
    "book_id",
    "call_number",
    "location",
    "status",
    "acquired_on",
    "note",
    "created_at",
    "updated_at",
)


def author_rows() -> QuerySet:
    book_count = _count_of(BookAuthor.objects.filter(author=OuterRef("pk")), per="author")
    return (
        Author.objects.annotate(book_count=book_count)
        .values(*AUTHOR_COLUMNS, "book_count")
        .order_by("sort_name", "id")
    )


def subject_rows() -> QuerySet:
    links = Book.subjects.through.objects.filter(subject=OuterRef("pk"))
    book_count = _count_of(links, per="subject")
    return (
        Subject.objects.annotate(book_count=book_count)
        .values(*SUBJECT_COLUMNS, "book_count")
        .order_by("name", "id")
    )


def copy_rows() -> QuerySet:
    return Copy.objects.values(*COPY_COLUMNS, "book__title").order_by("barcode")


def copy_representation(row: Row) -> Row:
    row = dict(row)
    row["book"] = row.pop("book_id")
    row["book_title"] = row.pop("book__title")
    return row
