"""ISBN lookup for adding books: the catalog first, then Open Library; and adding the book found.

``isbn_lookup`` never raises for trouble at Open Library (its answer says "none", with a message
for a person); a malformed ISBN is InvalidInput (400), with the catalog's own ISBN message.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import selectors, services
from catalog.models import Book, Copy
from catalog.rules import clean_isbn
from interchange import openlibrary
from interchange.openlibrary.metadata import BookMetadata, Outcome
from shelfmark.errors import DomainError, InvalidInput, RuleError
from shelfmark.rows import Row
from shelfmark.transactions import service_transaction

logger = logging.getLogger(__name__)


class Source(enum.StrEnum):
    CATALOG = "catalog"
    OPENLIBRARY = "openlibrary"
    NONE = "none"


@dataclass(frozen=True)
class IsbnAnswer:
    isbn: str  # ISBN-13 digits
    source: Source
    metadata: BookMetadata | None = None
    book_id: int | None = None  # the catalog's book, when source is "catalog"
    copies: list[Row] = field(default_factory=list)  # its copies (selectors.COPY_ROWS)
    # "" when found; "not_found" or "unavailable" (Open Library could not be asked) otherwise.
    reason: str = ""
    message: str = ""  # for a person: what happened, and what to do next


def isbn_normalize(raw: str | None) -> str:
    """The ISBN-13 digits of an ISBN typed or scanned any way; InvalidInput (field "isbn") for
    anything else, with the catalog's message."""
    try:
        isbn = clean_isbn(raw)
    except RuleError as error:
        raise InvalidInput(str(error), field="isbn") from None
    if isbn is None:
        raise InvalidInput(_("Type or scan an ISBN (10 or 13 digits)."), field="isbn")
    return isbn


def isbn_lookup(isbn: str, *, within: float | None = None) -> IsbnAnswer:
    """The book with ``isbn`` in the catalog (with its copies), else what Open Library knows,
    asked for at most ``within`` seconds when given (else its own deadline)."""
    isbn = isbn_normalize(isbn)
    book_id = Book.objects.filter(isbn=isbn).values_list("pk", flat=True).first()
    if book_id is not None:
        row = selectors.book_detail(book_id)
        if row is not None:  # else deleted this instant: look it up elsewhere
            return IsbnAnswer(
                isbn,
                Source.CATALOG,
                metadata=_metadata_of(row),
                book_id=book_id,
                copies=selectors.book_copies(book_id),
                message=_("“%(title)s” is in the catalog already.") % {"title": row["title"]},
            )
    result = openlibrary.lookup(isbn, within=within)
    if result.outcome is Outcome.FOUND:
        return IsbnAnswer(isbn, Source.OPENLIBRARY, metadata=result.metadata, message=result.reason)
    if result.outcome is Outcome.NOT_FOUND:
        return IsbnAnswer(
            isbn,
            Source.NONE,
            reason="not_found",
            message=_("Open Library does not know this ISBN: enter the book's details by hand."),
        )
    return IsbnAnswer(
        isbn,
        Source.NONE,
        reason="unavailable",
        message=_(
            "Open Library could not be asked: %(reason)s Enter the book's details by hand, or "
            "try again in a minute."
        )
        % {"reason": result.reason},
    )


def _metadata_of(row: Row) -> BookMetadata:
    return BookMetadata(
        title=row["title"],
        subtitle=row["subtitle"],
        authors=tuple(author["name"] for author in row["authors"]),
        publisher=row["publisher"],
        year=row["year"],
        language=row["language"],
        pages=row["pages"],
        subjects=tuple(subject["name"] for subject in row["subjects"]),
        description=row["description"],
        cover_url=row["cover"] or "",
    )


# What the person adding a book is told when its cover cannot be stored, whatever the reason:
# the cover's URL comes back from the page's form, where anyone can change it, and answers that
# told "could not be reached" from "not an image" or "empty" made the page a port scanner. The
# log keeps the reason.
# Lazy (made text when a book is added), typed as the text it reads as.
COVER_NOT_STORED = cast(
    str, gettext_lazy("Open Library's cover could not be stored; you can add one in the admin.")
)


@dataclass(frozen=True)
class BookAdded:
    book: Book
    copy: Copy | None
    cover_problem: str = ""  # COVER_NOT_STORED when the cover could not be stored


def book_add_with_copy(
    *,
    book: dict[str, Any],
    authors: Sequence[str] = (),
    subjects: Sequence[str] = (),
    copy: dict[str, Any] | None = None,
    cover_url: str = "",
) -> BookAdded:
    """Add a book (``book``: catalog.rules.BookFields and the title) and, with ``copy``
    (barcode, call_number, location), its first copy, both or neither; then its cover from
    Open Library's ``cover_url``. The cover is fetched after the commit, outside the
    transaction (a network wait must not hold locks), and a cover that cannot be had leaves the
    book without one and a message why."""
    created, new_copy = _book_and_copy_create(book, authors, subjects, copy)
    problem = _cover_store(created, cover_url) if cover_url else ""
    return BookAdded(created, new_copy, problem)


@service_transaction
def _book_and_copy_create(
    book: dict[str, Any],
    authors: Sequence[str],
    subjects: Sequence[str],
    copy: dict[str, Any] | None,
) -> tuple[Book, Copy | None]:
    """Both or neither: a copy the rules refuse takes its new book back with it."""
    created = services.book_create(authors=list(authors), subjects=list(subjects), **book)
    return created, services.copy_create(book=created, **copy) if copy else None


def _cover_store(book: Book, cover_url: str) -> str:
    """The cover at ``cover_url`` stored as the book's: "" when it is, else COVER_NOT_STORED."""
    download = openlibrary.fetch_cover(cover_url)
    reason = download.reason
    if download.content is not None:
        try:
            services.book_cover_set(book=book, content=download.content)
        except DomainError as error:
            reason = error.message
        else:
            return ""
    logger.info("The cover at %r for book %s was not stored: %s", cover_url, book.pk, reason)
    return str(COVER_NOT_STORED)
