"""Reads for OAI-PMH harvesting (protocols.oai): the catalog's records in the order of their
change time, deleted ones included, a page at a time; and the sets, one per subject.

A record's change time is its book's ``updated_at``, which the database moves whenever anything
the record shows changes, its copies and names included (catalog.versions); a deleted book's is
when it went (``catalog.DeletedBook``, also written by the database). Pages are keyset pages
over (change time, id), never OFFSET: a harvest of a million records reads each page through
an index, and an edit or a deletion behind the harvest's position moves nothing in front of it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, Min, OuterRef, Q, QuerySet

from catalog.models import Book, DeletedBook, Subject

# The sets: "subject" (every book with a subject) and "subject:<id>" (the books with that one).
SUBJECT_SET = "subject"

BookSubject = Book.subjects.through


@dataclass(frozen=True)
class Header:
    """A record's header: which book, when it last changed, whether it is gone, its sets."""

    book_id: int
    changed_at: datetime.datetime
    deleted: bool = False
    sets: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[datetime.datetime, int]:
        return (self.changed_at, self.book_id)


@dataclass(frozen=True)
class Selection:
    """Which records a list asks for: changed within [since, until] (both given: a harvest
    fixes its ``until`` when it starts), in a set or in all."""

    until: datetime.datetime
    since: datetime.datetime | None = None
    subject_set: str | None = None  # None: every record; "subject" or "subject:<id>"


def set_subject_id(spec: str) -> int | None:
    """The subject of a set spec "subject:<id>"; None for "subject" itself. ValueError for a
    spec that is not one of the sets."""
    if spec == SUBJECT_SET:
        return None
    prefix, _, number = spec.partition(":")
    if prefix != SUBJECT_SET or not number.isdigit() or number != str(int(number)):
        raise ValueError(spec)
    return int(number)


def set_exists(spec: str) -> bool:
    try:
        subject_id = set_subject_id(spec)
    except ValueError:
        return False
    return subject_id is None or Subject.objects.filter(pk=subject_id).exists()


def headers_page(
    selection: Selection, *, after: tuple[datetime.datetime, int] | None, size: int
) -> tuple[list[Header], bool]:
    """The next ``size`` headers after the key ``after``, in change-time order, and whether
    more follow. Deleted records come in every list, a set's too: a book's subjects go with it,
    and a harvester told of a record it never had loses nothing."""
    books = _after(_books(selection), "updated_at", "pk", after)
    deleted = _after(_deleted(selection), "deleted_at", "book_id", after)
    rows = [
        Header(book_id, changed_at)
        for book_id, changed_at in books.values_list("pk", "updated_at")[: size + 1]
    ]
    rows += [
        Header(book_id, deleted_at, deleted=True)
        for book_id, deleted_at in deleted.values_list("book_id", "deleted_at")[: size + 1]
    ]
    rows.sort(key=lambda header: header.key)
    page, more = rows[:size], len(rows) > size
    return _with_sets(page), more


def count(selection: Selection) -> int:
    """How many records the selection has (a harvest's completeListSize, counted once)."""
    return _books(selection).count() + _deleted(selection).count()


def header(book_id: int) -> Header | None:
    """One record's header, live or deleted; None if there never was such a book."""
    changed_at = Book.objects.filter(pk=book_id).values_list("updated_at", flat=True).first()
    if changed_at is not None:
        return _with_sets([Header(book_id, changed_at)])[0]
    deleted_at = DeletedBook.objects.filter(book_id=book_id).values_list("deleted_at", flat=True)
    when = deleted_at.first()
    return None if when is None else Header(book_id, when, deleted=True)


def earliest_change() -> datetime.datetime | None:
    """The oldest change time of any record (Identify's earliestDatestamp)."""
    times = [
        Book.objects.aggregate(first=Min("updated_at"))["first"],
        DeletedBook.objects.aggregate(first=Min("deleted_at"))["first"],
    ]
    present = [when for when in times if when is not None]
    return min(present) if present else None


def subject_sets(*, after: int, size: int) -> tuple[list[tuple[int, str]], bool]:
    """The subjects after id ``after`` (id, name), ``size`` of them, and whether more follow."""
    rows = list(Subject.objects.filter(pk__gt=after).order_by("pk").values_list("pk", "name"))
    rows = rows[: size + 1]
    return rows[:size], len(rows) > size


def subject_count() -> int:
    return Subject.objects.count()


def _books(selection: Selection) -> QuerySet[Book]:
    books = Book.objects.filter(updated_at__lte=selection.until)
    if selection.since is not None:
        books = books.filter(updated_at__gte=selection.since)
    if selection.subject_set is not None:
        subject_id = set_subject_id(selection.subject_set)
        links = BookSubject.objects.filter(book_id=OuterRef("pk"))
        if subject_id is not None:
            links = links.filter(subject_id=subject_id)
        books = books.filter(Exists(links))
    return books


def _deleted(selection: Selection) -> QuerySet[DeletedBook]:
    deleted = DeletedBook.objects.filter(deleted_at__lte=selection.until)
    if selection.since is not None:
        deleted = deleted.filter(deleted_at__gte=selection.since)
    # A book with the id again (ids are not reused, but a database restored or rebuilt may
    # reuse them) is live: the live record wins.
    return deleted.filter(~Exists(Book.objects.filter(pk=OuterRef("book_id"))))


def _after(
    rows: QuerySet[Any], time: str, pk: str, after: tuple[datetime.datetime, int] | None
) -> QuerySet[Any]:
    if after is not None:
        when, last = after
        rows = rows.filter(Q(**{f"{time}__gt": when}) | Q(**{time: when, f"{pk}__gt": last}))
    return rows.order_by(time, pk)


def _with_sets(headers: list[Header]) -> list[Header]:
    """The headers with their sets (one query for the page)."""
    live = [header.book_id for header in headers if not header.deleted]
    sets: dict[int, list[str]] = defaultdict(list)
    links = BookSubject.objects.filter(book_id__in=live).order_by("book_id", "subject_id")
    for book_id, subject_id in links.values_list("book_id", "subject_id"):
        sets[book_id].append(f"{SUBJECT_SET}:{subject_id}")
    return [
        Header(h.book_id, h.changed_at, h.deleted, [SUBJECT_SET, *sets[h.book_id]])
        if sets.get(h.book_id)
        else h
        for h in headers
    ]
