"""The catalog as CSV and as JSON, streamed: each function yields text chunks (a header, then a
chunk per book), so a file of any size is written, or sent by a ``StreamingHttpResponse``,
without the catalog in memory. Encode the chunks as UTF-8.

Both read back through ``interchange.formats`` into records with exactly these values, so an
export imported into an empty catalog and exported again is the same file, byte for byte.

CSV: our layout's columns (``CSV_COLUMNS``), one row per copy with the book's columns repeated
(a book without copies has one row with empty copy columns); authors and subjects joined with
"; ", a ";" or "\\" inside a name written "\\;" or "\\\\"; numbers as digits, a missing one
empty; dates ISO (2024-03-01); line breaks kept inside quoted cells; lines end in CRLF (RFC
4180) and the file starts with a UTF-8 byte-order mark, so Excel opens it with its accents.

JSON: ``{"format": "shelfmark-catalog", "version": 1, "books": [...]}`` with one book per line,
keys in a fixed order, text unescaped (UTF-8), missing values ``null``.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from interchange.formats.jsonfile import BOOK_KEYS, COPY_KEYS, FORMAT_NAME, FORMAT_VERSION
from interchange.formats.tabular import CSV_COLUMNS
from interchange.formats.text import join_list
from interchange.records import ExportBook, ExportCopy

_BYTE_ORDER_MARK = "\ufeff"
# Rows are gathered into chunks of about this many characters: one chunk per book would make
# many tiny writes (and HTTP chunks) for a catalog of short records.
_CHUNK_SIZE = 64 * 1024

_NO_COPY = ("",) * 7


def csv_export(books: Iterable[ExportBook]) -> Iterator[str]:
    """The books as CSV text chunks, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(_BYTE_ORDER_MARK)
    writer.writerow(CSV_COLUMNS)
    for book in books:
        book_cells = (
            book["title"],
            book["subtitle"],
            join_list(book["authors"]),
            book["isbn"] or "",
            book["publisher"],
            _number(book["year"]),
            book["language"],
            join_list(book["subjects"]),
            book["description"],
            _number(book["pages"]),
        )
        copies = book["copies"]
        if not copies:
            writer.writerow(book_cells + _NO_COPY)
        for copy in copies:
            writer.writerow(book_cells + _copy_cells(copy))
        if buffer.tell() >= _CHUNK_SIZE:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _copy_cells(copy: ExportCopy) -> tuple[str, ...]:
    return (
        copy["barcode"],
        copy["call_number"],
        copy["location"],
        copy["loan_type"],
        copy["status"],
        _date(copy["acquired_on"]),
        copy["note"],
    )


def _number(value: int | None) -> str:
    return "" if value is None else str(int(value))


def _date(value: datetime.date | None) -> str:
    return "" if value is None else value.isoformat()


def json_export(books: Iterable[ExportBook]) -> Iterator[str]:
    """The books as JSON text chunks: one book per line inside the "books" array."""
    yield f'{{"format": "{FORMAT_NAME}", "version": {FORMAT_VERSION}, "books": ['
    chunk: list[str] = []
    size = 0
    separator = "\n"
    for book in books:
        line = separator + orjson.dumps(_json_book(book)).decode()
        separator = ",\n"
        chunk.append(line)
        size += len(line)
        if size >= _CHUNK_SIZE:
            yield "".join(chunk)
            chunk, size = [], 0
    chunk.append("\n]}\n")
    yield "".join(chunk)


def _json_book(book: ExportBook) -> dict[str, Any]:
    # Built key by key in BOOK_KEYS' order (not the selector's), so the file's order is fixed.
    data: dict[str, Any] = {key: book[key] for key in BOOK_KEYS if key != "copies"}  # type: ignore[literal-required]
    data["copies"] = [
        {key: _json_copy_value(copy, key) for key in COPY_KEYS} for copy in book["copies"]
    ]
    return data


def _json_copy_value(copy: ExportCopy, key: str) -> Any:
    value = copy[key]  # type: ignore[literal-required]
    return value.isoformat() if isinstance(value, datetime.date) else value
