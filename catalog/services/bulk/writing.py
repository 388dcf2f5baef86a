"""Writing: the new books of a batch with their authors, subjects and copies, and the copies the
matched books gain, with one insert per table (COPY on PostgreSQL)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any, Protocol

from django.db import connection
from django.db.models import Field, Model
from django.utils import timezone

from catalog.models import Author, Book, BookAuthor, Copy, Subject
from catalog.rules import sort_name_for
from catalog.services.bulk.lookups import same_text
from catalog.services.names import Named, get_or_create_named
from catalog.services.search_text import search_words_add, words_counted


class BookToWrite(Protocol):
    """A book of the batch as the write needs it (``importing.Item`` is one)."""

    fields: dict[str, Any]
    authors: list[str]
    subjects: list[str]
    copies: list[dict[str, Any]]  # those to add, each with its barcode
    search_text: str
    book_id: int | None  # set here for a new book

    def target(self) -> int | None:
        """The id of the book its copies go to (a repeat's: its first item's, once written)."""
        ...


def write(new_books: Sequence[BookToWrite], others: Sequence[BookToWrite]) -> None:
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
    # The search indexes follow the rows (triggers); the spelling vocabulary is counted here.
    search_words_add(words_counted(book.search_text for book in new_books))
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
            {**copy, "book_id": book.target(), "created_at": now, "updated_at": now}
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
    found = model.objects.filter(same_text("name", names)).values_list("pk", "name")
    wanted = {name.lower() for name in names}
    return {name.lower(): (pk, name) for pk, name in found if name.lower() in wanted}
