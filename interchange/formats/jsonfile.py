"""Our own JSON export read back, as a stream (ijson): one book in memory at a time.

The file is ``{"format": "shelfmark-catalog", "version": 1, "books": [{…}, …]}`` (a bare list
of books is read too). A value of the wrong type is a problem of its record; JSON that breaks
off is a problem of the record it breaks in (or a ``SourceError`` when nothing can be read).
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson  # type: ignore[import-untyped]  # ijson ships no type information

from interchange.formats.text import ByteCounter, file_size, read_sample
from interchange.records import BookRecord, CopyRecord, Problem, SourceError

FORMAT_NAME = "shelfmark-catalog"
FORMAT_VERSION = 1

BOOK_TEXT_FIELDS = ("title", "subtitle", "publisher", "language", "description")
BOOK_NUMBER_FIELDS = ("year", "pages")
COPY_TEXT_FIELDS = ("barcode", "call_number", "location", "status", "loan_type", "note")
# A book's keys as the export writes them (``interchange.exports.tabular``), in that order.
BOOK_KEYS = (
    "title",
    "subtitle",
    "authors",
    "isbn",
    "publisher",
    "year",
    "language",
    "pages",
    "description",
    "subjects",
    "copies",
)
COPY_KEYS = ("barcode", "call_number", "location", "status", "loan_type", "acquired_on", "note")


class JsonSource:
    format = "json"
    encoding: str | None = "utf-8"
    mapping = {field: field for field in BOOK_KEYS}

    def __init__(self, file: BinaryIO, *, size: int | None = None) -> None:
        self._size = size if size is not None else file_size(file)
        sample = read_sample(file, 4096)
        if not sample.strip():
            raise SourceError("The file is empty. Check that you chose the right file.")
        self._counter = ByteCounter(file, sample)
        self._stream = io.BufferedReader(self._counter)

    @property
    def bytes_read(self) -> int:
        return self._counter.bytes_read

    @property
    def size(self) -> int | None:
        return self._size

    def records(self) -> Iterator[BookRecord]:
        number = 0  # books started so far
        builder: ijson.ObjectBuilder | None = None
        books_prefix: str | None = None
        saw_books = False
        try:
            for prefix, event, value in ijson.parse(self._stream, use_float=True):
                if builder is not None:
                    builder.event(event, value)
                    if prefix == books_prefix and event == "end_map":
                        yield book_record(number, builder.value)
                        builder = None
                elif prefix in ("books.item", "item") and event == "start_map":
                    books_prefix = prefix
                    number += 1
                    builder = ijson.ObjectBuilder()
                    builder.event(event, value)
                elif (prefix, event) in (("books", "start_array"), ("", "start_array")):
                    saw_books = True
                elif prefix in ("books.item", "item"):
                    number += 1
                    yield BookRecord(
                        number, problems=[Problem("", "A book must be a JSON object.", str(value))]
                    )
                elif prefix == "format" and event == "string" and value != FORMAT_NAME:
                    raise SourceError(
                        f"This JSON file is a '{value}' file, not a Shelfmark catalog export "
                        f"('{FORMAT_NAME}'). Import a file made by Shelfmark's JSON export."
                    )
                elif prefix == "version" and value != FORMAT_VERSION:
                    raise SourceError(
                        f"This catalog export has version {value}; this Shelfmark reads version "
                        f"{FORMAT_VERSION}. Export it again with this version, or upgrade."
                    )
                elif prefix == "" and event in ("string", "number", "boolean", "null"):
                    raise SourceError(
                        "This JSON file holds a single value, not a catalog export. Import a file "
                        "made by Shelfmark's JSON export."
                    )
        except ijson.JSONError as error:
            if number == 0 and builder is None:
                raise SourceError(
                    f"This is not valid JSON ({_reason(error)}) and no book could be read. Check "
                    "that the file is complete, or export it again."
                ) from None
            where = number if builder is not None else number + 1
            yield BookRecord(
                where,
                problems=[
                    Problem(
                        "",
                        f"The JSON breaks off or is malformed in this book ({_reason(error)}): "
                        "the file may be cut short. Books after it could not be read.",
                    )
                ],
            )
            return
        if not saw_books:
            raise SourceError(
                "This JSON file has no 'books' list, so it is not a Shelfmark catalog export. "
                "Import a file made by Shelfmark's JSON export."
            )


def _reason(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def book_record(number: int, book: Any) -> BookRecord:
    """A book object of the export as a record: numbers and missing values as the text a file
    would give (``2003`` -> "2003", ``null`` -> ""), wrong types reported per field."""
    record = BookRecord(number)
    problems = record.problems
    for name in BOOK_TEXT_FIELDS:
        setattr(record, name, _text(book, name, problems))
    record.isbn = _text(book, "isbn", problems)
    for name in BOOK_NUMBER_FIELDS:
        setattr(record, name, _whole_number(book, name, problems))
    record.authors = _text_list(book, "authors", problems)
    record.subjects = _text_list(book, "subjects", problems)
    copies = book.get("copies")
    if copies is None:
        copies = []
    if not isinstance(copies, list):
        problems.append(Problem("copies", "Copies must be a list.", _shown(copies)))
        copies = []
    for copy in copies:
        if not isinstance(copy, dict):
            problems.append(Problem("copies", "A copy must be a JSON object.", _shown(copy)))
            continue
        copy_record = CopyRecord()
        for name in COPY_TEXT_FIELDS:
            setattr(copy_record, name, _text(copy, name, problems, prefix="copies."))
        copy_record.acquired_on = _text(copy, "acquired_on", problems, prefix="copies.")
        record.copies.append(copy_record)
    return record


def _text(data: dict[str, Any], name: str, problems: list[Problem], prefix: str = "") -> str:
    value = data.get(name)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    problems.append(Problem(prefix + name, "Expected text here.", _shown(value)))
    return ""


def _whole_number(data: dict[str, Any], name: str, problems: list[Problem]) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value  # the catalog's rule says whether it is a number
    problems.append(Problem(name, "Expected a whole number here.", _shown(value)))
    return ""


def _text_list(data: dict[str, Any], name: str, problems: list[Problem]) -> list[str]:
    value = data.get(name)
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    problems.append(Problem(name, "Expected a list of names (text) here.", _shown(value)))
    return []


def _shown(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    import json

    return json.dumps(value, ensure_ascii=False, default=str)[:500]
