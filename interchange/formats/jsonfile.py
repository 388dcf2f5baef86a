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

from django.utils.translation import gettext as _

from interchange.columns import BOOK_COLUMNS, BOOK_NAMES, COPIES, COPY_COLUMNS, Column, WrongType
from interchange.formats.text import ByteCounter, file_size, read_sample
from interchange.records import BookRecord, CopyRecord, Problem, SourceError

FORMAT_NAME = "shelfmark-catalog"
FORMAT_VERSION = 1


class JsonSource:
    format = "json"
    encoding: str | None = "utf-8"
    mapping = {name: name for name in (*BOOK_NAMES, COPIES)}

    def __init__(self, file: BinaryIO, *, size: int | None = None) -> None:
        self._size = size if size is not None else file_size(file)
        sample = read_sample(file, 4096)
        if not sample.strip():
            raise SourceError(_("The file is empty. Check that you chose the right file."))
        self._counter = ByteCounter(file, sample)
        self._stream = io.BufferedReader(self._counter)

    @property
    def bytes_read(self) -> int:
        return self._counter.bytes_read

    @property
    def size(self) -> int | None:
        return self._size

    def records(self) -> Iterator[BookRecord]:
        # Imported when a JSON file is read, not by every web worker at startup.
        import ijson  # type: ignore[import-untyped]  # ijson ships no type information

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
                        number,
                        problems=[Problem("", _("A book must be a JSON object."), str(value))],
                    )
                elif prefix == "format" and event == "string" and value != FORMAT_NAME:
                    raise SourceError(
                        _(
                            "This JSON file is a '%(format)s' file, not a Shelfmark catalog "
                            "export ('%(ours)s'). Import a file made by Shelfmark's JSON export."
                        )
                        % {"format": value, "ours": FORMAT_NAME}
                    )
                elif prefix == "version" and value != FORMAT_VERSION:
                    raise SourceError(
                        _(
                            "This catalog export has version %(version)s; this Shelfmark reads "
                            "version %(ours)s. Export it again with this version, or upgrade."
                        )
                        % {"version": value, "ours": FORMAT_VERSION}
                    )
                elif prefix == "" and event in ("string", "number", "boolean", "null"):
                    raise SourceError(
                        _(
                            "This JSON file holds a single value, not a catalog export. Import a "
                            "file made by Shelfmark's JSON export."
                        )
                    )
        except ijson.JSONError as error:
            if number == 0 and builder is None:
                raise SourceError(
                    _(
                        "This is not valid JSON (%(error)s) and no book could be read. Check "
                        "that the file is complete, or export it again."
                    )
                    % {"error": _reason(error)}
                ) from None
            where = number if builder is not None else number + 1
            yield BookRecord(
                where,
                problems=[
                    Problem(
                        "",
                        _(
                            "The JSON breaks off or is malformed in this book (%(error)s): the "
                            "file may be cut short. Books after it could not be read."
                        )
                        % {"error": _reason(error)},
                    )
                ],
            )
            return
        if not saw_books:
            raise SourceError(
                _(
                    "This JSON file has no 'books' list, so it is not a Shelfmark catalog "
                    "export. Import a file made by Shelfmark's JSON export."
                )
            )


def _reason(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def book_record(number: int, book: Any) -> BookRecord:
    """A book object of the export as a record: the declared columns (``interchange.columns``)
    read as the text a file would give (``2003`` -> "2003", ``null`` -> ""), wrong types reported
    per field."""
    problems: list[Problem] = []
    values = _values(book, BOOK_COLUMNS, problems)
    copies = book.get(COPIES)
    if copies is None:
        copies = []
    if not isinstance(copies, list):
        problems.append(Problem(COPIES, _("Copies must be a list."), _shown(copies)))
        copies = []
    records: list[CopyRecord] = []
    for copy in copies:
        if not isinstance(copy, dict):
            problems.append(Problem(COPIES, _("A copy must be a JSON object."), _shown(copy)))
            continue
        # Every copy the file lists is one, with a barcode or not: the import decides what a
        # copy without a barcode becomes.
        records.append(CopyRecord(**_values(copy, COPY_COLUMNS, problems, prefix="copies.")))
    return BookRecord(number, **values, copies=records, problems=problems)


def _values(
    data: dict[str, Any], columns: tuple[Column, ...], problems: list[Problem], prefix: str = ""
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column in columns:
        value = data.get(column.name)
        try:
            values[column.name] = column.read_json(value)
        except WrongType as error:
            problems.append(Problem(prefix + column.name, str(error), _shown(value)))
            values[column.name] = column.kind.empty()
    return values


def _shown(value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    import json

    return json.dumps(value, ensure_ascii=False, default=str)[:500]
