"""Many books at once, for imports: the rules of ``book_create`` and ``copy_create``, the writes in
bulk.

An import file brings thousands of books a second. Writing them one by one through
``book_create`` would cost a dozen queries each; here a batch costs a fixed handful (the books
already there, the names already there, the barcodes already taken, then one insert per table),
while every value goes through the same rules (``catalog.rules``) as a single write and every
invariant stays a database constraint.

Each incoming book gets an ``Outcome``:

- ``created``: a new book (with its copies);
- ``skipped``: the book is in the catalog already (same ISBN; or, where either has none, the same
  title and first author, compared case-insensitively) and nothing in it changed;
- ``updated``: the book was there and gained copies, or (``on_duplicate="update"``) its fields
  changed to the file's non-empty values;
- ``failed``: the book breaks a rule; ``problems`` lists every problem, and nothing of it is
  written — not its book, not one of its copies.

Whatever the result, ``warnings`` lists what was noticed without stopping the book (the import's
report shows both, each line marked as an error or a warning).

So a second run over the same file changes nothing, and a run cut short (Ctrl-C, a crash) is
resumed by running it again: the batches that committed are matched, the rest is added.
"""

from __future__ import annotations

import datetime
import enum
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, NamedTuple, Protocol

from django.db import IntegrityError, connection
from django.db.models import CharField, F, Field, Lookup, Model, Q
from django.db.models.functions import Lower
from django.db.models.lookups import In
from django.utils import timezone

from catalog.models import CIRCULATION_STATUSES, Author, Book, BookAuthor, Copy, CopyStatus, Subject
from catalog.rules import (
    BOOK_RULES,
    COPY_RULES,
    clean_name,
    clean_pages,
    clean_year,
    sort_name_for,
    squash_spaces,
)
from catalog.search import search_document
from catalog.services.books import book_update
from catalog.services.names import Named, get_or_create_named
from shelfmark.errors import DomainError, RuleError
from shelfmark.transactions import service_transaction


class CopyIn(Protocol):
    """A copy as an import file gives it: text, checked here."""

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


class Result(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    reason: str
    value: str


# How a book is matched: its ISBN (or None), and its title and first author in lower case.
MatchKey = tuple[str | None, tuple[str, str]]


@dataclass(slots=True)
class Outcome:
    result: Result
    problems: list[Problem] = field(default_factory=list)
    key: MatchKey | None = None  # for a book that passed the rules
    warnings: list[Problem] = field(default_factory=list)


# Statuses an import may give a copy. A loan or a hold is not part of a catalog file, so a copy
# exported while on loan or on the hold shelf comes back available (catalog.services.copies:
# only circulation puts a copy in those states).
IMPORT_STATUSES = {status.value for status in CopyStatus} | {""}
DUPLICATE_POLICIES = ("skip", "update")


class CleanBook(NamedTuple):
    """A book that passed the rules: its values cleaned, the text search will match. A plain
    tuple: an importer checks the next batch in another process, which sends these over."""

    fields: dict[str, Any]
    authors: list[str]
    subjects: list[str]
    copies: list[dict[str, Any]]
    search_text: str


# The rules' verdict on an item: cleaned, or every problem it has.
Verdict = CleanBook | list[Problem]


def books_check(items: Sequence[BookIn]) -> list[Verdict]:
    """The rules' verdict on each item, without the database: an importer can check the next
    batch while the database writes this one (``books_import_checked``)."""
    return [_clean(item) for item in items]


def books_import(items: Sequence[BookIn], *, on_duplicate: str = "skip") -> list[Outcome]:
    """Add ``items`` to the catalog in one transaction: one ``Outcome`` per item, in order.

    A book the catalog has already is matched (see the module docstring): with ``"skip"`` it is
    left as it is; with ``"update"`` its fields take the item's non-empty values and its authors
    and subjects the item's, when given. Either way the item's copies whose barcodes are new are
    added to it. Items in one call that are the same book are treated as one book met twice.
    """
    return books_import_checked(books_check(items), on_duplicate=on_duplicate)


def books_import_checked(verdicts: Sequence[Verdict], *, on_duplicate: str) -> list[Outcome]:
    """``books_import`` for items already checked (``books_check``): an item with problems
    fails with them."""
    if on_duplicate not in DUPLICATE_POLICIES:
        raise ValueError(f"on_duplicate must be one of {DUPLICATE_POLICIES}, not {on_duplicate!r}")
    try:
        return _books_import(verdicts, on_duplicate)
    except IntegrityError:
        # A concurrent writer took an ISBN, name or barcode between our look-up and our insert
        # (the transaction is rolled back). Once more: now the look-up sees it, and matches.
        return _books_import(verdicts, on_duplicate)


@service_transaction
def _books_import(verdicts: Sequence[Verdict], on_duplicate: str) -> list[Outcome]:
    outcomes: list[Outcome] = []
    clean: list[_Clean | None] = []
    for verdict in verdicts:
        if isinstance(verdict, list):
            outcomes.append(Outcome(Result.FAILED, problems=verdict))
            clean.append(None)
            continue
        # A fresh _Clean for each attempt: one rolled back leaves marks (ids, copies dropped).
        attempt = _Clean(
            verdict.fields,
            verdict.authors,
            verdict.subjects,
            list(verdict.copies),
            verdict.search_text,
        )
        key = (attempt.fields["isbn"], attempt.title_key())
        outcomes.append(Outcome(Result.SKIPPED, key=key))
        clean.append(attempt)
    valid = [c for c in clean if c is not None]
    # Barcodes first: each look-up sees what was committed before it, so a copy found taken
    # here has a book that the look-up for books will find too. (The other way round, a book
    # committed in between would own copies of a book this batch does not know.) A book
    # committed after both is met as a unique violation, and the batch is run again.
    taken = _barcodes_taken(valid)
    matches = _Matches.find(valid)

    new_books: list[_Clean] = []
    for index, book in enumerate(clean):
        if book is None:
            continue
        outcome = outcomes[index]
        existing = matches.existing(book)
        first = None if existing is not None else matches.pending(book)
        changed = False
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
            changed = on_duplicate == "update" and _update(existing, book, outcome)
            if outcome.result is Result.FAILED:
                continue
            book.book_id = existing.pk
        elif first is not None:
            book.twin_of = first  # the same book met twice in this batch
        else:
            matches.add_pending(book)
            new_books.append(book)
        book.copies = [copy for copy in book.copies if copy["barcode"] not in taken]
        for copy in book.copies:
            taken[copy["barcode"]] = owner
        if existing is None and first is None:
            outcome.result = Result.CREATED
        else:
            outcome.result = Result.UPDATED if changed or book.copies else Result.SKIPPED
    _write(new_books, [c for c in valid if c.book_id is not None or c.twin_of is not None])
    return outcomes


# --- Checking one book against the rules ----------------------------------------------------


@dataclass(slots=True)
class _Clean:
    """A book that passed the rules, as one import attempt handles it: where it ends up."""

    fields: dict[str, Any]
    authors: list[str]
    subjects: list[str]
    copies: list[dict[str, Any]]
    search_text: str
    book_id: int | None = None  # the book row, once it exists
    twin_of: _Clean | None = None  # the batch's first item for the same new book, if a repeat

    def title_key(self) -> tuple[str, str]:
        return (self.fields["title"].lower(), self.authors[0].lower() if self.authors else "")


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
        return f"At most {limit} characters; this has {len(value)}."
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
        if cleaned["barcode"] in barcodes:
            problems.append(
                Problem("barcode", f"Barcode {cleaned['barcode']} is given twice.", copy.barcode)
            )
        barcodes.add(cleaned["barcode"])
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
    )
    return CleanBook(fields, authors, subjects, copies, search_text)


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
                f"Unknown copy status '{copy.status}'. Use one of: "
                f"{', '.join(s.value for s in CopyStatus)}.",
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
            Problem("acquired_on", f"'{acquired}' is not a date; write it as YYYY-MM-DD.", acquired)
        )
    return values if len(problems) == before else None


# --- Finding the books already there --------------------------------------------------------


class _AnyOf(Lookup):
    """``expression = ANY(…)`` on PostgreSQL, the values sent as one JSON text.

    A batch looks up thousands of values at a time. Sent as an array, each value is quoted by
    the driver's Python code (a tenth of an import's time), and the planner, weighing a
    thousand known values against the table's statistics, may read the whole table instead of
    probing its index (at 70,000 authors: 40 ms a batch, where the index takes 10). One JSON
    text is quoted in one step, in C, and the set it unpacks to is probed through the index."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[Any]:
        return list(self.rhs)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, params = self.process_lhs(compiler, connection)
        target = self.lhs.output_field
        textual = target.get_internal_type() in ("CharField", "TextField")
        element = "text" if textual else target.db_type(connection)
        values = f"ARRAY(SELECT json_array_elements_text(%s::json))::{element}[]"
        return f"{lhs} = ANY({values})", (*params, json.dumps(self.rhs))


def _one_of(expression: Any, values: Iterable[Any]) -> Any:
    """A filter: ``expression`` is one of ``values``."""
    if connection.vendor == "postgresql":
        return _AnyOf(expression, list(values))
    return In(expression, list(values))


def _same_text(field_name: str, values: set[str]) -> Any:
    """Rows whose ``field_name`` is one of ``values`` in any capitals (LOWER(), which an index
    serves). SQLite's LOWER() folds ASCII letters only, so there the exact values are asked for
    too: a value met again in any script is found."""
    condition = _one_of(Lower(field_name), {value.lower() for value in values})
    if connection.vendor == "sqlite":
        return Q(condition) | Q(In(F(field_name), list(values)))
    return condition


class Found(NamedTuple):
    """A book of the catalog's that an item matched (no model instance: a batch matches
    thousands)."""

    pk: int
    isbn: str | None


class _Matches:
    """The catalog's books that the batch's items are, and the batch's own new books."""

    def __init__(self, by_isbn: dict[str, Found], by_title: dict[tuple[str, str], list[Found]]):
        self.by_isbn = by_isbn
        self.by_title = by_title
        self.pending_isbn: dict[str, _Clean] = {}
        self.pending_title: dict[tuple[str, str], _Clean] = {}

    @classmethod
    def find(cls, books: list[_Clean]) -> _Matches:
        isbns = {book.fields["isbn"] for book in books if book.fields["isbn"]}
        found = Book.objects.filter(_one_of(F("isbn"), isbns)).values_list("pk", "isbn")
        by_isbn = {isbn: Found(pk, isbn) for pk, isbn in found if isbn}
        # Title candidates: the exact cleaned title (SQLite's LOWER() folds ASCII only, so this
        # finds a re-imported title in any script) or the same title in other capitals.
        titles = {book.fields["title"] for book in books}
        candidates = list(
            Book.objects.filter(_same_text("title", titles)).values_list("pk", "isbn", "title")
        )
        first_authors = dict(
            BookAuthor.objects.filter(
                _one_of(F("book_id"), [pk for pk, _, _ in candidates]), position=0
            ).values_list("book_id", "author__name")
        )
        by_title: dict[tuple[str, str], list[Found]] = {}
        for pk, isbn, title in candidates:
            key = (title.lower(), first_authors.get(pk, "").lower())
            by_title.setdefault(key, []).append(Found(pk, isbn))
        return cls(by_isbn, by_title)

    def existing(self, book: _Clean) -> Found | None:
        isbn = book.fields["isbn"]
        if isbn and isbn in self.by_isbn:
            return self.by_isbn[isbn]
        # Same title and first author, unless both have ISBNs (then they are other editions).
        for candidate in self.by_title.get(book.title_key(), ()):
            if not (isbn and candidate.isbn):
                return candidate
        return None

    def pending(self, book: _Clean) -> _Clean | None:
        isbn = book.fields["isbn"]
        if isbn and isbn in self.pending_isbn:
            return self.pending_isbn[isbn]
        first = self.pending_title.get(book.title_key())
        if first is not None and not (isbn and first.fields["isbn"]):
            return first
        return None

    def add_pending(self, book: _Clean) -> None:
        if book.fields["isbn"]:
            self.pending_isbn[book.fields["isbn"]] = book
        self.pending_title.setdefault(book.title_key(), book)


# Whose a barcode is: a book of the catalog's ("book", id), or a new book of this batch's
# ("new", id() of its first item).
Owner = tuple[str, int]


def _barcodes_taken(books: list[_Clean]) -> dict[str, Owner]:
    """Barcode -> the book whose copy has it, for the batch's barcodes already in use."""
    barcodes = {copy["barcode"] for book in books for copy in book.copies}
    if not barcodes:
        return {}
    taken = Copy.objects.filter(_one_of(F("barcode"), barcodes)).values_list("barcode", "book_id")
    return {barcode: ("book", book_id) for barcode, book_id in taken}


def _barcode_taken_message(barcode: str, taken: dict[str, Owner]) -> str:
    kind, key = taken[barcode]
    whose = f"book {key}" if kind == "book" else "a book earlier in this file"
    return f"Barcode {barcode} is already used by a copy of another book ({whose})."


def _update(found: Found, item: _Clean, outcome: Outcome) -> bool:
    """Give the book the item's non-empty values (``on_duplicate="update"``); whether it changed.
    One book at a time, through ``book_update``: updates are few, and its rules are the same."""
    book = Book.objects.get(pk=found.pk)
    changes = {
        name: value
        for name, value in item.fields.items()
        if value not in (None, "") and getattr(book, name) != value
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
    except DomainError as error:  # another book has the item's ISBN, say
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


# --- Writing ---------------------------------------------------------------------------------


def _write(new_books: list[_Clean], others: list[_Clean]) -> None:
    """Insert the new books with their authors, subjects and copies, and the copies the other
    (matched) items bring to books that exist: one insert per table."""
    authors = _named_rows(Author, {name for book in new_books for name in book.authors})
    subjects = _named_rows(Subject, {name for book in new_books for name in book.subjects})
    now = timezone.now()
    books = [
        {
            **book.fields,
            "search_text": book.search_text,
            "created_at": now,
            "updated_at": now,
        }
        for book in new_books
    ]
    for book, book_id in zip(new_books, _insert(Book, books, ids=True), strict=True):
        book.book_id = book_id
    _insert(
        BookAuthor,
        [
            {"book_id": book.book_id, "author_id": authors[name.lower()][0], "position": position}
            for book in new_books
            for position, name in enumerate(book.authors)
        ],
    )
    _insert(
        Book.subjects.through,
        [
            {"book_id": book.book_id, "subject_id": subjects[name.lower()][0]}
            for book in new_books
            for name in book.subjects
        ],
    )
    _insert(
        Copy,
        [
            {
                **copy,
                "book_id": book.book_id or (book.twin_of and book.twin_of.book_id),
                "created_at": now,
                "updated_at": now,
            }
            for book in [*new_books, *others]
            for copy in book.copies
        ],
    )


def _insert(model: type[Model], rows: list[dict[str, Any]], *, ids: bool = False) -> list[int]:
    """Insert ``rows`` (column values by field attname, every concrete field but the id) and,
    with ``ids``, return their ids in order.

    On PostgreSQL with COPY (a fraction of the time of an ORM bulk insert, which builds a model
    instance and prepares each value of each row); ids wanted are drawn from the table's
    sequence first. The database checks every constraint all the same. Elsewhere (SQLite) the
    ORM's bulk insert.
    """
    if not rows:
        return []
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    # A field the rows do not give (one added to the model later) takes its default.
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in rows[0]}
    if connection.vendor != "postgresql":
        objects = model._default_manager.bulk_create(model(**defaults, **row) for row in rows)
        return [obj.pk for obj in objects]
    table = connection.ops.quote_name(model._meta.db_table)
    keys: list[int] = []
    with connection.cursor() as cursor:
        if ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, len(rows)],
            )
            keys = [row[0] for row in cursor.fetchall()]
        if ids:
            for key, row in zip(keys, rows, strict=True):
                row["id"] = key
        written = [model._meta.pk] * ids + fields
        names = ", ".join(connection.ops.quote_name(f.attname) for f in written)
        # A row's values in C, not a Python loop.
        values = itemgetter(*(f.attname for f in written))
        # The driver's own COPY is outside Django's cursor wrapper: its errors are turned into
        # Django's here, so a unique violation is an IntegrityError like any other. Binary:
        # the driver encodes each value in C (text takes it four times the time, in Python)
        # and the server has no text to parse.
        copy_sql = f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)"
        with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
            copy.set_types([_column_type(f) for f in written])
            for row in rows:
                if defaults:
                    row.update(defaults)
                copy.write_row(values(row))
    return keys


def _column_type(field: Field[Any, Any]) -> str:
    """The column's type as binary COPY names it: without a length ("varchar(500)" is sent as
    "varchar")."""
    db_type = field.db_type(connection)
    assert db_type is not None, f"{field} has no column"  # concrete fields all have one
    return db_type.partition("(")[0]


NamedRow = tuple[int, str]  # an author's or subject's id and name


def _named_rows(model: type[Named], names: set[str]) -> dict[str, NamedRow]:
    """Lower-case name -> (id, name as stored), for ``names``, compared the way the unique
    constraint compares them. The missing ones are created, in one canonical order (names.py
    explains why). Looked up first: a name already there costs an index look-up, where an
    insert turned away by the constraint costs PostgreSQL a row written and thrown away."""
    if not names:
        return {}
    rows = _named_lookup(model, names)
    missing = sorted(
        {name for name in names if name.lower() not in rows}, key=lambda name: (name.lower(), name)
    )
    if missing:
        created = _insert_new(
            model, [{"name": name, **_named_defaults(model, name)} for name in missing]
        )
        rows.update((name.lower(), (pk, name)) for pk, name in created)
        # Created meanwhile by another writer, or twice in the batch in other capitals.
        rows.update(_named_lookup(model, {name for name in missing if name.lower() not in rows}))
    for name in names:
        if name.lower() not in rows:
            # The database's LOWER() and Python's lower() disagree on this name (SQLite folds
            # ASCII only): ask the database the way its constraint compares.
            row = get_or_create_named(model, name)
            rows[name.lower()] = (row.pk, row.name)
    return rows


def _insert_new(model: type[Named], rows: list[dict[str, Any]]) -> list[NamedRow]:
    """Insert the rows the unique constraint lets in (the others are there already, or were
    created meanwhile) and return the new ones' ids and names; the fields Django stamps
    (``auto_now``, ``auto_now_add``) take the time now. On PostgreSQL one statement taking the
    rows as a JSON text; elsewhere the ORM's bulk insert, then a look-up."""
    if connection.vendor != "postgresql":
        # No RETURNING for the rows an ignored conflict skips: the caller looks them all up.
        model._default_manager.bulk_create([model(**row) for row in rows], ignore_conflicts=True)
        return []
    fields: list[Field[Any, Any]] = [f for f in model._meta.concrete_fields if not f.primary_key]
    given: list[Field[Any, Any]] = [f for f in fields if f.attname in rows[0]]
    stamped: list[Field[Any, Any]] = [
        f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    quote: Callable[[str], str] = connection.ops.quote_name
    columns = ", ".join(quote(f.attname) for f in [*given, *stamped])
    values = ", ".join([*(quote(f.attname) for f in given), *("%s" for _ in stamped)])
    record = ", ".join(f"{quote(f.attname)} {f.db_type(connection)}" for f in given)
    now: datetime.datetime = timezone.now()
    # The rows as one JSON text, for the reason _AnyOf gives.
    payload = json.dumps([{f.attname: row[f.attname] for f in given} for row in rows])
    with connection.cursor() as cursor:
        cursor.execute(
            # Table, column names and types come from the model, never from input.
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
            f"SELECT {values} FROM json_to_recordset(%s::json) AS r({record}) "
            "ON CONFLICT DO NOTHING RETURNING id, name",
            [*(now for _ in stamped), payload],
        )
        return [(pk, name) for pk, name in cursor.fetchall()]


def _named_defaults(model: type[Named], name: str) -> dict[str, str]:
    return {"sort_name": sort_name_for(name)} if model is Author else {}


def _named_lookup(model: type[Named], names: set[str]) -> dict[str, NamedRow]:
    if not names:
        return {}
    found = model.objects.filter(_same_text("name", names)).values_list("pk", "name")
    wanted = {name.lower() for name in names}
    return {name.lower(): (pk, name) for pk, name in found if name.lower() in wanted}
