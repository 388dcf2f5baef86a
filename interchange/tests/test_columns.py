"""The guard of the interchange columns (``interchange.columns``): every field of a book and of a
copy is a declared column, or declared not interchanged with its reason; and a book with every
field set comes out of the export query and of each export, and back in through each reader,
with every value. A new model field fails here until each of these has it (ARCHITECTURE.md,
"Add a field to a book" says where)."""

from __future__ import annotations

import dataclasses
import datetime
import io
from typing import Any

import pytest
from django.db import models

from catalog.models import Author, Book, BookAuthor, Copy, Subject
from catalog.rules import BOOK_RULES, COPY_RULES
from interchange.columns import (
    BOOK_COLUMNS,
    BOOK_FIELDS,
    BOOK_NAMES,
    COPIES,
    COPY_COLUMNS,
    COPY_NAMES,
    CSV_COLUMNS,
    DATE,
    NAMES,
    NOT_INTERCHANGED,
    OPTIONAL_TEXT,
    TEXT,
    WHOLE_NUMBER,
    Column,
    Kind,
)
from interchange.exports.formats import EXPORT_FORMATS
from interchange.exports.marcxml import MARC_PLACES
from interchange.formats import open_catalog_source
from interchange.formats.tabular import GENERIC_COLUMNS, header_key
from interchange.records import BookRecord, CopyRecord, ExportBook, ExportCopy
from interchange.selectors import export_books
from interchange.tests.expected import as_read

DECLARED = {Book: BOOK_NAMES, Copy: COPY_NAMES}


def fields(model: type[models.Model]) -> dict[str, Any]:
    """The model's own fields, its many-to-many ones included (not other models' links to it)."""
    meta = model._meta
    return {field.name: field for field in (*meta.concrete_fields, *meta.many_to_many)}


def interchanged(model: type[models.Model]) -> list[str]:
    return [name for name in fields(model) if name not in NOT_INTERCHANGED[model.__name__]]


@pytest.mark.parametrize("model", [Book, Copy], ids=lambda model: model.__name__)
def test_every_field_is_a_column_or_says_why_not(model):
    missing = [name for name in interchanged(model) if name not in DECLARED[model]]
    assert not missing, (
        f"{model.__name__} fields {missing} are in no import or export: declare each as a "
        "column in interchange/columns.py, or in NOT_INTERCHANGED with the reason."
    )
    assert set(DECLARED[model]) <= set(fields(model)), "a column of no model field"
    assert set(NOT_INTERCHANGED[model.__name__]) <= set(fields(model)), "a reason for no field"


def test_every_rule_of_the_catalog_is_a_column():
    assert set(BOOK_RULES) <= set(BOOK_NAMES)
    assert set(COPY_RULES) <= set(COPY_NAMES)


def expected_kind(field: Any) -> Kind:
    if isinstance(field, models.ManyToManyField):
        return NAMES
    if isinstance(field, models.IntegerField):
        return WHOLE_NUMBER
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        return DATE
    if isinstance(field, (models.CharField, models.TextField)):
        return OPTIONAL_TEXT if field.null else TEXT
    raise AssertionError(f"No kind of column for {field!r} yet: add one to interchange.columns.")


@pytest.mark.parametrize(
    ("model", "columns"), [(Book, BOOK_COLUMNS), (Copy, COPY_COLUMNS)], ids=["Book", "Copy"]
)
def test_each_column_travels_as_its_model_field_holds_it(model, columns: tuple[Column, ...]):
    model_fields = fields(model)
    assert {column.name: column.kind.name for column in columns} == {
        column.name: expected_kind(model_fields[column.name]).name for column in columns
    }


def test_records_and_export_rows_have_exactly_the_columns():
    # Readers build records by keyword from the declaration: the order of fields is free.
    assert {field.name for field in dataclasses.fields(BookRecord)} == {
        "number",
        *BOOK_NAMES,
        COPIES,
        "problems",
        "warnings",
    }
    assert {field.name for field in dataclasses.fields(CopyRecord)} == set(COPY_NAMES)
    assert ExportBook.__required_keys__ == {*BOOK_NAMES, COPIES}
    assert ExportCopy.__required_keys__ == set(COPY_NAMES)


def test_our_csv_layout_and_the_marc_export_know_every_column():
    for name in CSV_COLUMNS:
        assert GENERIC_COLUMNS[header_key(name)].key == name
    assert set(MARC_PLACES) == set(CSV_COLUMNS)


# --- a book with every field set, through every format -----------------------------------------

# Values the database's constraints and the formats take; any other field gets one by its type.
SAMPLES: dict[str, Any] = {
    "isbn": "9780140444308",
    "language": "fr",
    "year": 1862,
    "barcode": "B-1",
}


def sample(field: Any) -> Any:
    if field.name in SAMPLES:
        return SAMPLES[field.name]
    if field.choices:
        return field.choices[-1][0]  # not the default
    kind = expected_kind(field)
    if kind is WHOLE_NUMBER:
        return 321
    if kind is DATE:
        return datetime.date(2020, 1, 2)
    return f"{field.name} sample"


@pytest.fixture
def full_book() -> tuple[dict[str, Any], dict[str, Any]]:
    book_fields, copy_fields = fields(Book), fields(Copy)
    book_values = {
        name: sample(book_fields[name]) for name in interchanged(Book) if name in BOOK_NAMES
    }
    copy_values = {name: sample(copy_fields[name]) for name in interchanged(Copy)}
    # Names in an order no sorting gives: the book's own.
    book_values |= {"authors": ["Zoë Zeller", "Adam Abbot"], "subjects": ["Zoology", "Art"]}
    book = Book.objects.create(
        **{name: value for name, value in book_values.items() if name in BOOK_FIELDS}
    )
    for position, name in enumerate(book_values["authors"]):
        author = Author.objects.create(name=name, sort_name=name)
        BookAuthor.objects.create(book=book, author=author, position=position)
    for name in book_values["subjects"]:
        book.subjects.add(Subject.objects.create(name=name))
    Copy.objects.create(book=book, **copy_values)
    return book_values, copy_values


@pytest.mark.django_db
def test_every_column_goes_out_and_comes_back_in_every_format(full_book):
    book_values, copy_values = full_book

    [exported] = list(export_books())

    row: dict[str, Any] = dict(exported)
    assert {name: row[name] for name in book_values} == book_values
    assert dict(row[COPIES][0]) == copy_values
    for format in EXPORT_FORMATS.values():
        text = "".join(format.write([exported]))
        [record] = list(open_catalog_source(io.BytesIO(text.encode())).records())
        assert record.problems == [], format.name
        for column in BOOK_COLUMNS:
            assert getattr(record, column.name) == as_read(column, book_values[column.name]), (
                format.name,
                column.name,
            )
        [copy] = record.copies
        for column in COPY_COLUMNS:
            assert getattr(copy, column.name) == as_read(column, copy_values[column.name]), (
                format.name,
                column.name,
            )
