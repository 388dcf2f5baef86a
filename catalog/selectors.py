"""Every catalog read the views need. Hot paths return plain dicts built from ``.values()``.

Each resource's rows are declared once, as a ``RowShape`` (shelfmark.rows): the API's lists and
details, and the website, read through it. A book list page costs four queries whatever its
size: the page itself (an index scan of the book rows, no per-row subquery), then one grouped
query each over the page's ids for the copy counts, the authors and the subjects.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

from django.db.models import (
    BigIntegerField,
    Exists,
    F,
    OuterRef,
    QuerySet,
    Value,
)
from django.urls import reverse

from catalog.extensions import extend_book_rows
from catalog.isbn import format_isbn
from catalog.models import YEAR_SORT_KEY, Author, Book, BookAuthor, Copy, CopyStatus, Subject
from catalog.search import BookSearch, every_book_matching, search_books
from shelfmark.rows import Row, RowShape, Viewer, add_counts, renamed, select_for_ids

# --- Books -------------------------------------------------------------------------------------

# What a client sees of a book, in this order (the API puts "url" after "id"). "author",
# "authors" and "subjects" come from related rows; registered extensions add their own keys.
BOOK_FIELDS = (
    "id",
    "title",
    "subtitle",
    "author",
    "authors",
    "isbn",
    "publisher",
    "year",
    "language",
    "pages",
    "description",
    "subjects",
    "cover",
    "copies_total",
    "copies_available",
    "created_at",
    "updated_at",
)
_BOOK_RELATED = frozenset({"author", "authors", "subjects"})
# Counted over the page's ids (book_representations), not in the page's query.
_BOOK_COUNTS = frozenset({"copies_total", "copies_available"})


def _book_annotations() -> dict[str, Any]:
    return {
        # Books without a year sort last, and cursors need a non-null position.
        "sort_year": YEAR_SORT_KEY,
        # A search's rank (catalog.search); 0 when the rows are not a search's.
        "relevance": Value(0, BigIntegerField()),
    }


# The page's related rows, as fixed SQL over the page's ids (shelfmark.rows.select_for_ids);
# the names are the models' own tables.
_AUTHORS_OF_BOOKS = (
    f"SELECT link.book_id, link.author_id, author.name FROM {BookAuthor._meta.db_table} link "  # noqa: S608
    f"JOIN {Author._meta.db_table} author ON author.id = link.author_id "
    "WHERE link.book_id {ids} ORDER BY link.book_id, link.position"
)
_SUBJECT_LINKS = Book.subjects.through._meta.db_table
_SUBJECTS_OF_BOOKS = (
    f"SELECT link.book_id, link.subject_id, subject.name FROM {_SUBJECT_LINKS} link "  # noqa: S608
    f"JOIN {Subject._meta.db_table} subject ON subject.id = link.subject_id "
    "WHERE link.book_id {ids} ORDER BY subject.name, subject.id"
)


def book_representations(rows: list[Row], *, viewer: Viewer = None) -> list[Row]:
    """Complete page rows with copy counts, authors and subjects: three queries for the whole
    page, then whatever registered extensions add (catalog.extensions)."""
    add_counts(
        rows,
        table=Copy._meta.db_table,
        per="book_id",
        counts={
            "copies_total": "count(*)",
            "copies_available": "count(*) FILTER (WHERE status = %s)",
        },
        params=[CopyStatus.AVAILABLE.value],
    )
    ids = [row["id"] for row in rows]
    authors: dict[int, list[Row]] = defaultdict(list)
    for book_id, author_id, name in select_for_ids(_AUTHORS_OF_BOOKS, ids):
        authors[book_id].append({"id": author_id, "name": name})
    subjects: dict[int, list[Row]] = defaultdict(list)
    for book_id, subject_id, name in select_for_ids(_SUBJECTS_OF_BOOKS, ids):
        subjects[book_id].append({"id": subject_id, "name": name})
    books = []
    for row in rows:
        its_authors = authors[row["id"]]
        related = {
            "author": ", ".join(author["name"] for author in its_authors),
            "authors": its_authors,
            "subjects": subjects[row["id"]],
        }
        book = {name: related[name] if name in _BOOK_RELATED else row[name] for name in BOOK_FIELDS}
        # The column holds the file's name; clients get the site's URL for it (the API makes it
        # absolute), or None.
        book["cover"] = cover_url(row["id"], row["cover"])
        books.append(book)
    extend_book_rows(books, viewer=viewer)
    return books


BOOK_ROWS = RowShape(
    columns=(
        *(name for name in BOOK_FIELDS if name not in _BOOK_RELATED | _BOOK_COUNTS),
        "sort_year",
        "relevance",
        "version",
    ),
    annotations=_book_annotations,
    represent=book_representations,
    version="version",
)


def cover_version(name: str) -> str:
    """A short token that changes whenever the cover's file does (covers are named after their
    content): the ``?v=`` that lets browsers keep a cover for a year."""
    return hashlib.blake2s(name.encode(), digest_size=6).hexdigest()


def cover_url(book_id: int, name: Any) -> str | None:
    """The site-relative URL of a book's cover (``/books/<id>/cover?v=…``), or None. ``name`` is
    the column's value: a file name from ``.values()``, a FieldFile from a model instance."""
    name = str(name or "")
    if not name:
        return None
    return f"{reverse('book-cover', kwargs={'pk': book_id})}?v={cover_version(name)}"


def book_cover_file(book_id: int) -> str | None:
    """The storage name of a book's cover; None when the book or its cover does not exist."""
    return Book.objects.filter(pk=book_id).values_list("cover", flat=True).first() or None


def book_rows(books: QuerySet[Book] | None = None) -> QuerySet[Any]:
    """Books (all, or ``books``) as dict rows, by title; filter, order and slice before
    evaluating, then ``BOOK_ROWS.present`` the page."""
    return BOOK_ROWS.rows(Book.objects.all() if books is None else books).order_by("title", "id")


# The orderings of a book list: by relevance is a search's default (catalog.search ranks), with
# ties by title; without a search every book's relevance is 0, so it is the title order.
BOOK_ORDERINGS: dict[str, tuple[str, ...]] = {
    "relevance": ("-relevance", "title", "id"),
    "title": ("title", "id"),
    "year": ("sort_year", "id"),
    "created": ("created_at", "id"),
    "updated": ("updated_at", "id"),
}


def book_search(books: QuerySet[Book], query: str, *, literal: bool = False) -> QuerySet[Book]:
    """The books of ``books`` that ``query`` finds (catalog.search), annotated with their
    ``relevance``; spelling corrections are applied unless ``literal``."""
    return search_books(books, query, literal=literal).books


def book_matches(books: QuerySet[Book], query: str) -> QuerySet[Book]:
    """Every book of ``books`` that ``query`` finds as written, unranked and unbounded (not
    just the ranked window of ``book_search`` on PostgreSQL): for counting and paging them
    all."""
    return every_book_matching(books, query)


def book_search_explained(
    books: QuerySet[Book], query: str, *, literal: bool = False
) -> BookSearch:
    """``book_search`` with what the answer says about it: the corrected query, if any."""
    return search_books(books, query, literal=literal)


def book_on_shelf() -> Exists:
    """Whether a book (the outer query's row) has a copy on the shelf now: the one test behind
    ``?available=`` and the availability facet (catalog.facets)."""
    return Exists(Copy.objects.filter(book=OuterRef("pk"), status=CopyStatus.AVAILABLE))


def book_filter_available(books: QuerySet[Book], *, available: bool = True) -> QuerySet[Book]:
    """Books with a copy on the shelf now (or, with available=False, with none)."""
    on_shelf = book_on_shelf()
    return books.filter(on_shelf if available else ~on_shelf)


def book_row(book_id: int) -> Row | None:
    """A book's row as the database has it (with its ``version``), before ``BOOK_ROWS.present``:
    one query."""
    return book_rows().filter(pk=book_id).first()


def book_detail(book_id: int, *, viewer: Viewer = None) -> Row | None:
    row = book_row(book_id)
    return None if row is None else BOOK_ROWS.present([row], viewer=viewer)[0]


def book_get(book_id: int) -> Book | None:
    return Book.objects.filter(pk=book_id).first()


def book_copies(book_id: int) -> list[Row]:
    return COPY_ROWS.present(
        COPY_ROWS.rows(Copy.objects.filter(book_id=book_id).order_by("barcode"))
    )


def isbn_display(isbn: str | None) -> str:
    return format_isbn(isbn) if isbn else ""


# --- Authors, subjects, copies -----------------------------------------------------------------


def _with_book_count(links: str, *, per: str, fields: tuple[str, ...]) -> Any:
    """A ``represent`` step adding ``book_count`` (the rows of the link table ``links`` naming
    each row through ``per``: one grouped query a page), the keys in the order of ``fields``."""

    def represent(rows: list[Row], *, viewer: Viewer = None) -> list[Row]:
        add_counts(rows, table=links, per=per, counts={"book_count": "count(*)"})
        return [{name: row[name] for name in fields} for row in rows]

    return represent


_AUTHOR_FIELDS = ("id", "name", "sort_name", "book_count", "created_at", "updated_at")
AUTHOR_ROWS = RowShape(
    columns=tuple(name for name in _AUTHOR_FIELDS if name != "book_count"),
    represent=_with_book_count(BookAuthor._meta.db_table, per="author_id", fields=_AUTHOR_FIELDS),
)

_SUBJECT_FIELDS = ("id", "name", "book_count", "created_at")
SUBJECT_ROWS = RowShape(
    columns=tuple(name for name in _SUBJECT_FIELDS if name != "book_count"),
    represent=_with_book_count(_SUBJECT_LINKS, per="subject_id", fields=_SUBJECT_FIELDS),
)


COPY_ROWS = RowShape(
    columns=(
        "id",
        "barcode",
        "book_id",
        "book_title",
        "call_number",
        "location",
        "status",
        "loan_type",
        "acquired_on",
        "note",
        "last_seen",
        "created_at",
        "updated_at",
    ),
    annotations=lambda: {"book_title": F("book__title")},
    represent=renamed(book_id="book"),
)
