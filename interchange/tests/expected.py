"""What the readers give back for exported values, by the declared columns
(``interchange.columns``): tests compare records with exports without listing the columns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interchange.columns import BOOK_COLUMNS, COPIES, COPY_COLUMNS, NAMES, Column
from interchange.records import BookRecord, CopyRecord


def as_read(column: Column, value: Any) -> Any:
    """An exported value as a reader gives it back: the text a file holds (names: the list)."""
    return value if column.kind is NAMES else column.kind.cell(value)


def read_values(
    row: Mapping[str, Any], columns: tuple[Column, ...] = BOOK_COLUMNS
) -> dict[str, Any]:
    """An export row's values (a book's, or a copy's with ``COPY_COLUMNS``) as read back."""
    return {column.name: as_read(column, row[column.name]) for column in columns}


def read_copies(book: Mapping[str, Any]) -> list[CopyRecord]:
    return [CopyRecord(**read_values(copy, COPY_COLUMNS)) for copy in book[COPIES]]


def record_values(
    record: BookRecord | CopyRecord, columns: tuple[Column, ...] = BOOK_COLUMNS
) -> dict[str, Any]:
    """A record's values of the declared columns."""
    return {column.name: getattr(record, column.name) for column in columns}
