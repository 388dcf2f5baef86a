"""Importing a batch: each checked item matched, updated, added, its holdings settled, in one
transaction; one ``Outcome`` per item."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import IntegrityError
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Book, BookAuthor, Copy
from catalog.services.books import book_update
from catalog.services.bulk.checking import BookIn, Problem, Verdict, books_check
from catalog.services.bulk.holdings import BarcodeMaker, ItemHoldings, copies_of, settle
from catalog.services.bulk.lookups import one_of
from catalog.services.bulk.matching import Found, KeyIndex, MatchKey, catalog_books
from catalog.services.bulk.writing import write
from shelfmark.errors import DomainError
from shelfmark.transactions import service_transaction

DUPLICATE_POLICIES = ("skip", "update")
# The reason of the warning for a book that may be one the catalog has (matching.py): one
# sentence for all of them, the book in the warning's value.
# A lazy text (typed as the str it becomes), translated when a warning is made (``str()``).
POSSIBLE_DUPLICATE = cast(
    "str", gettext_lazy("Possible duplicate of a book already in the catalog")
)


class Result(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(slots=True)
class Outcome:
    result: Result
    problems: list[Problem] = field(default_factory=list)
    key: MatchKey | None = None  # for a book that passed the rules
    warnings: list[Problem] = field(default_factory=list)


def books_import(
    items: Sequence[BookIn], *, on_duplicate: str = "skip", barcodes: BarcodeMaker | None = None
) -> list[Outcome]:
    """Add ``items`` to the catalog in one transaction: one ``Outcome`` per item, in order.

    A book the catalog has already is matched (``matching``): with ``"skip"`` it is left as it
    is; with ``"update"`` its fields take the item's non-empty values (never its ISBN) and its
    authors and subjects the item's, when given. Either way the item's copies whose barcodes
    are new are added to it. Items in one call that are the same book are treated as one book
    met twice. Holdings without a barcode become copies only with a ``barcodes`` maker
    (``holdings``).
    """
    return books_import_checked(books_check(items), on_duplicate=on_duplicate, barcodes=barcodes)


def books_import_checked(
    verdicts: Sequence[Verdict], *, on_duplicate: str, barcodes: BarcodeMaker | None = None
) -> list[Outcome]:
    """``books_import`` for items already checked (``books_check``): an item with problems
    fails with them."""
    if on_duplicate not in DUPLICATE_POLICIES:
        raise ValueError(f"on_duplicate must be one of {DUPLICATE_POLICIES}, not {on_duplicate!r}")
    # Each attempt numbers barcodes from where the last committed batch left off.
    start = barcodes.last if barcodes is not None else None
    try:
        return _books_import(verdicts, on_duplicate, barcodes, start)
    except IntegrityError:
        # A concurrent writer took an ISBN, name or barcode between our look-up and our insert
        # (the transaction is rolled back). Once more: now the look-up sees it, and matches.
        return _books_import(verdicts, on_duplicate, barcodes, start)


# Whose a barcode is: a book of the catalog's ("book", id), or a new book of this batch's
# ("new", id() of its first item).
Owner = tuple[str, int]


@dataclass(slots=True, eq=False)
class Item:
    """A book that passed the rules, as one import attempt handles it: where it ends up."""

    fields: dict[str, Any]
    authors: list[str]
    subjects: list[str]
    copies: list[dict[str, Any]]  # with barcodes; those already in the catalog are dropped
    holdings: list[dict[str, Any]]  # without barcodes (holdings.py)
    search_text: str
    key: MatchKey
    book_id: int | None = None  # the book row, once it exists
    twin_of: Item | None = None  # the batch's first item for the same new book, if a repeat
    near_new: list[Item] = field(default_factory=list)  # new books of the batch it may duplicate

    def target(self) -> int | None:
        return self.twin_of.book_id if self.twin_of is not None else self.book_id


@service_transaction
def _books_import(
    verdicts: Sequence[Verdict],
    on_duplicate: str,
    maker: BarcodeMaker | None,
    start: int | None,
) -> list[Outcome]:
    if maker is not None:
        maker.last = start  # a retried attempt gives the same numbers again
    outcomes: list[Outcome] = []
    items: list[Item | None] = []
    for verdict in verdicts:
        if isinstance(verdict, list):
            outcomes.append(Outcome(Result.FAILED, problems=verdict))
            items.append(None)
            continue
        # A fresh Item for each attempt: one rolled back leaves marks (ids, copies dropped).
        attempt = Item(
            verdict.fields,
            verdict.authors,
            verdict.subjects,
            [copy for copy in verdict.copies if copy["barcode"]],
            [copy for copy in verdict.copies if not copy["barcode"]],
            verdict.search_text,
            verdict.key,
        )
        outcomes.append(Outcome(Result.SKIPPED, key=verdict.key))
        items.append(attempt)
    valid = [item for item in items if item is not None]
    if maker is not None and any(item.holdings for item in valid):
        # First of all: an import waiting for its turn holds no other lock meanwhile.
        maker.lock()
    # Barcodes first: each look-up sees what was committed before it, so a copy found taken
    # here has a book that the look-up for books will find too. (The other way round, a book
    # committed in between would own copies of a book this batch does not know.) A book
    # committed after both is met as a unique violation, and the batch is run again.
    taken = barcodes_taken(valid)
    catalog = catalog_books([item.key for item in valid], [item.fields["title"] for item in valid])
    pending: KeyIndex[Item] = KeyIndex()

    new_books: list[Item] = []
    holders: list[tuple[Item, ItemHoldings]] = []
    changed: dict[int, bool] = {}
    for index, book in enumerate(items):
        if book is None:
            continue
        outcome = outcomes[index]
        existing, near = catalog.find(book.key)
        first, near_new = (None, []) if existing is not None else pending.find(book.key)
        owner: Owner = ("book", existing.pk) if existing is not None else ("new", id(first or book))
        problems = [
            Problem("barcode", _barcode_taken_message(copy["barcode"], taken), copy["barcode"])
            for copy in book.copies
            if taken.get(copy["barcode"], owner) != owner
        ]
        if problems:
            outcome.result, outcome.problems = Result.FAILED, problems
            continue
        if existing is not None:
            changed[index] = on_duplicate == "update" and _update(existing, book, outcome)
            if outcome.result is Result.FAILED:
                continue
            book.book_id = existing.pk
        elif first is not None:
            book.twin_of = first  # the same book met twice in this batch
        else:
            pending.add(book.key, book)
            new_books.append(book)
            outcome.warnings += [
                Problem("title", str(POSSIBLE_DUPLICATE), found.described()) for found in near
            ]
            book.near_new = near_new
        if book.holdings:
            holding = ItemHoldings(owner, list(book.copies), book.holdings, outcome.warnings)
            holders.append((book, holding))
        book.copies = [copy for copy in book.copies if copy["barcode"] not in taken]
        for copy in book.copies:
            taken[copy["barcode"]] = owner
    if holders:
        books = [pk for kind, pk in (holding.owner for _item, holding in holders) if kind == "book"]
        there = copies_of(books) if maker is not None else {}
        reserved = {copy["barcode"] for item in valid for copy in item.copies} | set(taken)
        settle([holding for _item, holding in holders], maker, there, reserved)
        for book, holding in holders:
            book.copies += holding.made
    for index, book in enumerate(items):
        if book is None or outcomes[index].result is Result.FAILED:
            continue
        if book.book_id is None and book.twin_of is None:
            outcomes[index].result = Result.CREATED
        elif changed.get(index) or book.copies:
            outcomes[index].result = Result.UPDATED
    write(
        new_books,
        [
            item
            for item, outcome in zip(items, outcomes, strict=True)
            if item is not None
            and outcome.result is not Result.FAILED
            and (item.book_id is not None or item.twin_of is not None)
        ],
    )
    # Now the batch's new books have ids, which the report can name.
    for item, outcome in zip(items, outcomes, strict=True):
        for first in item.near_new if item is not None else ():
            found = Found(first.book_id or 0, first.fields["title"], first.fields["subtitle"])
            outcome.warnings.append(Problem("title", str(POSSIBLE_DUPLICATE), found.described()))
    return outcomes


def barcodes_taken(books: list[Item]) -> dict[str, Owner]:
    """Barcode -> the book whose copy has it, for the batch's barcodes already in use."""
    barcodes = {copy["barcode"] for book in books for copy in book.copies}
    if not barcodes:
        return {}
    taken = Copy.objects.filter(one_of(F("barcode"), barcodes)).values_list("barcode", "book_id")
    return {barcode: ("book", book_id) for barcode, book_id in taken}


def _barcode_taken_message(barcode: str, taken: dict[str, Owner]) -> str:
    kind, key = taken[barcode]
    if kind == "book":
        return _("Barcode %(barcode)s is already used by a copy of another book (book %(id)s).") % {
            "barcode": barcode,
            "id": key,
        }
    return _(
        "Barcode %(barcode)s is already used by a copy of another book (a book earlier in this "
        "file)."
    ) % {"barcode": barcode}


def _update(found: Found, item: Item, outcome: Outcome) -> bool:
    """Give the book the item's non-empty values (``on_duplicate="update"``); whether it changed.
    One book at a time, through ``book_update``: updates are few, and its rules are the same.

    Never its ISBN: a book matched by ISBN has the item's already, and one matched otherwise
    has none, which a file must not give it on a guess (a title and an author are not enough
    to tell two books apart: matching.py)."""
    book = Book.objects.get(pk=found.pk)
    changes = {
        name: value
        for name, value in item.fields.items()
        if name != "isbn" and value not in (None, "") and getattr(book, name) != value
    }
    current_authors = list(
        BookAuthor.objects.filter(book=book)
        .order_by("position")
        .values_list("author__name", flat=True)
    )
    authors = (
        item.authors
        if item.authors and _lowered(item.authors) != _lowered(current_authors)
        else None
    )
    current_subjects = set(book.subjects.values_list("name", flat=True))
    subjects = (
        item.subjects
        if item.subjects and set(_lowered(item.subjects)) != set(_lowered(current_subjects))
        else None
    )
    if not (changes or authors is not None or subjects is not None):
        return False
    try:
        book_update(book=book, authors=authors, subjects=subjects, **changes)
    except DomainError as error:
        outcome.result = Result.FAILED
        outcome.problems = [
            Problem(name, message, str(changes.get(name, "")))
            for name, messages in (error.fields or {"": [error.message]}).items()
            for message in messages
        ]
        return False
    return True


def _lowered(names: Iterable[str]) -> list[str]:
    return [name.lower() for name in names]
