"""Checking: an incoming book against the catalog's rules, without the database.

The same rules (``catalog.rules``) as ``book_create`` and ``copy_create``, so a value is judged
the same way whether it arrives by the API, the admin or a file; every problem of a book is
reported at once. An importer checks the next batch here (in another process, even) while the
database writes this one.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from django.db.models import CharField, Model
from django.utils.translation import gettext as _

from catalog.models import CIRCULATION_STATUSES, Author, Book, Copy, CopyStatus, Subject
from catalog.rules import (
    BOOK_RULES,
    COPY_RULES,
    clean_name,
    clean_pages,
    clean_year,
    squash_spaces,
)
from catalog.search import search_document
from catalog.services.bulk.matching import MatchKey
from shelfmark.errors import RuleError


class CopyIn(Protocol):
    """A copy as an import file gives it: text, checked here. ``barcode`` "" is a holding
    without a barcode (a call number and a location only): the write decides what becomes of it
    (``holdings``)."""

    barcode: str
    call_number: str
    location: str
    loan_type: str
    status: str
    acquired_on: str
    note: str


class BookIn(Protocol):
    """A book as an import file gives it (``interchange.records.BookRecord`` is one): text and
    lists of names, checked here."""

    title: str
    subtitle: str
    authors: list[str]
    isbn: str
    publisher: str
    year: str
    language: str
    pages: str
    description: str
    subjects: list[str]
    copies: list[Any]  # CopyIn; a Protocol attribute cannot narrow a list's item type


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    reason: str
    value: str


# Statuses an import may give a copy. A loan or a hold is not part of a catalog file, so a copy
# exported while on loan or on the hold shelf comes back available (catalog.services.copies:
# only circulation puts a copy in those states).
IMPORT_STATUSES = {status.value for status in CopyStatus} | {""}


class CleanBook(NamedTuple):
    """A book that passed the rules: its values cleaned, the text search will match. A plain
    tuple: an importer checks the next batch in another process, which sends these over.
    ``copies`` holds the holdings without a barcode too (``barcode`` "")."""

    fields: dict[str, Any]
    authors: list[str]
    subjects: list[str]
    copies: list[dict[str, Any]]
    search_text: str
    # What matching compares, worked out here with the rest: in an import, in the reader's
    # process, beside the one writing to the database.
    key: MatchKey


# The rules' verdict on an item: cleaned, or every problem it has.
Verdict = CleanBook | list[Problem]


def books_check(items: Sequence[BookIn]) -> list[Verdict]:
    """The rules' verdict on each item, without the database: an importer can check the next
    batch while the database writes this one (``books_import_checked``)."""
    return [_clean(item) for item in items]


def _max_lengths(model: type[Model]) -> dict[str, int]:
    return {
        f.name: f.max_length
        for f in model._meta.get_fields()
        if isinstance(f, CharField) and f.max_length is not None
    }


# A single write's serializer or form says when a value is too long; in bulk the rules say it,
# before the database would refuse the whole batch.
BOOK_LENGTHS = _max_lengths(Book)
COPY_LENGTHS = _max_lengths(Copy)
NAME_LENGTH = min(_max_lengths(Author)["name"], _max_lengths(Subject)["name"])


def _too_long(value: Any, limit: int | None) -> str | None:
    if limit is not None and isinstance(value, str) and len(value) > limit:
        return _("At most %(limit)d characters; this has %(length)d.") % {
            "limit": limit,
            "length": len(value),
        }
    return None


def _clean(item: BookIn) -> Verdict:
    """The item's values cleaned by the catalog's rules, or every problem it has."""
    problems: list[Problem] = []
    fields: dict[str, Any] = {}
    for name, rule in BOOK_RULES.items():
        raw = getattr(item, name)
        try:
            if name == "year":
                fields[name] = clean_year.from_text(raw)
            elif name == "pages":
                fields[name] = clean_pages.from_text(raw)
            else:
                fields[name] = rule(raw)
        except RuleError as error:
            problems.append(Problem(name, str(error), raw or ""))
            continue
        if message := _too_long(fields[name], BOOK_LENGTHS.get(name)):
            problems.append(Problem(name, message, raw))
    authors = _names(item.authors, "authors", problems)
    subjects = _names(item.subjects, "subjects", problems)
    copies: list[dict[str, Any]] = []
    barcodes: set[str] = set()
    for copy in item.copies:
        cleaned = _clean_copy(copy, problems)
        if cleaned is None:
            continue
        barcode = cleaned["barcode"]
        if barcode and barcode in barcodes:
            problems.append(
                Problem(
                    "barcode",
                    _("Barcode %(barcode)s is given twice.") % {"barcode": barcode},
                    copy.barcode,
                )
            )
        barcodes.add(barcode)
        copies.append(cleaned)
    if problems:
        return problems
    # Folded text, so the spelling of a name already in the catalog ("jane austen" for "Jane
    # Austen") makes no difference.
    search_text = search_document(
        title=fields["title"],
        subtitle=fields["subtitle"],
        isbn=fields["isbn"],
        author_names=authors,
        subject_names=subjects,
        description=fields.get("description", ""),
    )
    key = MatchKey.of(
        isbn=fields["isbn"],
        title=fields["title"],
        subtitle=fields["subtitle"],
        authors=authors,
        year=fields["year"],
        publisher=fields["publisher"],
    )
    return CleanBook(fields, authors, subjects, copies, search_text, key)


def _names(raw: Iterable[str], field_name: str, problems: list[Problem]) -> list[str]:
    """Names cleaned, blanks dropped, each once (case-insensitively, as the database compares)."""
    names: list[str] = []
    seen: set[str] = set()
    for value in raw:
        if not squash_spaces(value):
            continue
        try:
            name = clean_name(value)
        except RuleError as error:  # pragma: no cover - blank names are dropped above
            problems.append(Problem(field_name, str(error), value))
            continue
        if message := _too_long(name, NAME_LENGTH):
            problems.append(Problem(field_name, message, value))
        elif name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    return names


def _clean_copy(copy: CopyIn, problems: list[Problem]) -> dict[str, Any] | None:
    before = len(problems)
    values: dict[str, Any] = {}
    for name in ("barcode", "call_number", "location", "loan_type", "note"):
        raw = getattr(copy, name)
        if name == "barcode" and not (raw or "").strip():
            # A holding without a barcode is no problem of the record's: the write makes a copy
            # of it or reports it (holdings.py), as the import was asked to.
            values[name] = ""
            continue
        try:
            values[name] = COPY_RULES[name](raw)
        except RuleError as error:
            problems.append(Problem(name, str(error), raw or ""))
            continue
        if message := _too_long(values[name], COPY_LENGTHS.get(name)):
            problems.append(Problem(name, message, raw))
    status = (copy.status or "").strip().lower()
    if status not in IMPORT_STATUSES:
        problems.append(
            Problem(
                "status",
                _("Unknown copy status '%(given)s'. Use one of: %(known)s.")
                % {"given": copy.status, "known": ", ".join(s.value for s in CopyStatus)},
                copy.status,
            )
        )
    values["status"] = (
        CopyStatus.AVAILABLE if not status or status in CIRCULATION_STATUSES else status
    )
    acquired = (copy.acquired_on or "").strip()
    try:
        values["acquired_on"] = datetime.date.fromisoformat(acquired) if acquired else None
    except ValueError:
        problems.append(
            Problem(
                "acquired_on",
                _("'%(text)s' is not a date; write it as YYYY-MM-DD.") % {"text": acquired},
                acquired,
            )
        )
    return values if len(problems) == before else None
