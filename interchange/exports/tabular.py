"""The catalog as CSV and as JSON, streamed: each function yields text chunks (a header, then a
chunk per book), so a file of any size is written, or sent by a ``StreamingHttpResponse``,
without the catalog in memory. Encode the chunks as UTF-8.

Both read back through ``interchange.formats`` into records with exactly these values, so an
export imported into an empty catalog and exported again is the same file, byte for byte.

The columns, their order and how each value is written are declared in ``interchange.columns``.

CSV: the book's columns then the copy's, one row per copy with the book's columns repeated (a
book without copies has one row with empty copy columns); authors and subjects joined with
"; ", a ";" or "\\" inside a name written "\\;" or "\\\\"; numbers as digits, a missing one
empty; dates ISO (2024-03-01); line breaks kept inside quoted cells; a cell a spreadsheet would
run as a formula ("=…", "+…", "-…", "@…") with a leading apostrophe (``interchange.cells``),
which the CSV reader takes off; lines end in CRLF (RFC 4180) and the file starts with a UTF-8
byte-order mark, so Excel opens it with its accents.

JSON: ``{"format": "shelfmark-catalog", "version": 1, "books": [...]}`` with one book per line,
keys in the declared order, text unescaped (UTF-8), missing values ``null``. No formula guard:
JSON is no spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import orjson

from interchange.cells import inert
from interchange.columns import BOOK_COLUMNS, COPIES, COPY_COLUMNS, CSV_COLUMNS, Column
from interchange.formats.jsonfile import FORMAT_NAME, FORMAT_VERSION
from interchange.records import ExportBook

_BYTE_ORDER_MARK = "\ufeff"
# Rows are gathered into chunks of about this many characters: one chunk per book would make
# many tiny writes (and HTTP chunks) for a catalog of short records.
_CHUNK_SIZE = 64 * 1024

_NO_COPY = ("",) * len(COPY_COLUMNS)


def csv_export(books: Iterable[ExportBook]) -> Iterator[str]:
    """The books as CSV text chunks, header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(_BYTE_ORDER_MARK)
    writer.writerow(CSV_COLUMNS)
    for book in books:
        book_cells = _cells(book, BOOK_COLUMNS)
        copies = book["copies"]
        if not copies:
            writer.writerow(book_cells + _NO_COPY)
        for copy in copies:
            writer.writerow(book_cells + _cells(copy, COPY_COLUMNS))
        if buffer.tell() >= _CHUNK_SIZE:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _cells(row: Mapping[str, Any], columns: tuple[Column, ...]) -> tuple[str, ...]:
    # inert: a title such as "=HYPERLINK(…)" must not run when the file is opened in a
    # spreadsheet; the CSV reader takes the guard off again.
    return tuple(inert(column.kind.cell(row[column.name])) for column in columns)


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
    # Built key by key in the declared order (not the selector's), so the file's order is fixed.
    data = _json_values(book, BOOK_COLUMNS)
    data[COPIES] = [_json_values(copy, COPY_COLUMNS) for copy in book["copies"]]
    return data


def _json_values(row: Mapping[str, Any], columns: tuple[Column, ...]) -> dict[str, Any]:
    return {column.name: column.kind.json(row[column.name]) for column in columns}
