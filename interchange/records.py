"""What the readers of import files produce, and what the exporters consume.

A reader (``interchange.formats``) turns a file in any supported layout into ``BookRecord``s:
the values as the file gives them, with the format's own quirks undone (Goodreads' ``="…"``
ISBNs, MARC's trailing punctuation) but not yet checked against the catalog's rules. The import
service applies those rules (``catalog.rules``, through the catalog's bulk service), so a value
is judged the same way whether it arrives by the API, the admin or a file. A reader reports
only what it alone can see (undecodable bytes, a wrong column count, a malformed MARC leader)
as ``problems``; the record then fails as a whole, with every problem listed. What it saw but
could read past (a damaged field the import does not use, a holding it could not make a copy of)
is a ``warning``: the record goes in, and the report says what was noticed.

An exporter (``interchange.exports``) writes ``ExportBook`` rows, read from the catalog by
``interchange.selectors``.

The fields of ``BookRecord``/``CopyRecord`` and ``ExportBook``/``ExportCopy`` are the columns
declared in ``interchange.columns`` (``interchange/tests/test_columns.py`` checks it): readers
build records by keyword from that declaration.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, TypedDict


class SourceError(Exception):
    """The file as a whole cannot be read (empty, no title column, not MARC though named so…):
    the message says what is wrong and what to do, in words for a librarian."""


@dataclass(slots=True)
class Problem:
    """One thing wrong with a record: the field ("" for the record as a whole), why, and the
    value as the file gave it (for the error report)."""

    field: str
    reason: str
    value: str = ""
    # For a warning: whether --strict refuses the record for it (damaged text the library would
    # have to retype) or lets it in all the same (a damaged field the import does not use).
    refused_when_strict: bool = False


@dataclass(slots=True)
class CopyRecord:
    barcode: str = ""
    call_number: str = ""
    location: str = ""
    loan_type: str = ""  # "" means the catalog's default
    status: str = ""  # "" means available
    acquired_on: str = ""  # ISO date as written, or ""
    note: str = ""


@dataclass(slots=True)
class BookRecord:
    # Where the record starts: the line number in a text file (1 = the header line, so the first
    # data row is 2, as a spreadsheet numbers it), the record number (1-based) in MARC or JSON.
    number: int
    title: str = ""
    subtitle: str = ""
    authors: list[str] = field(default_factory=list)  # in title-page order, "First Last" form
    isbn: str = ""
    publisher: str = ""
    year: str = ""
    language: str = ""  # as an ISO 639-1 code when one exists ("en"), else ISO 639-2 ("grc")
    pages: str = ""
    description: str = ""
    subjects: list[str] = field(default_factory=list)
    copies: list[CopyRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class PatronRecord:
    number: int  # line number, as for BookRecord
    name: str = ""
    card_number: str = ""
    email: str = ""
    phone: str = ""
    category: str = ""  # a patron category's name
    expires_on: str = ""  # ISO date as written, or ""
    language: str = ""  # a language's code or name, as written
    problems: list[Problem] = field(default_factory=list)


class Source(Protocol):
    """An opened import file. ``records()`` streams: it never reads the whole file into memory.
    ``bytes_read`` and ``size`` drive the progress bar (``size`` None when unknown)."""

    format: str  # one of interchange.formats.FORMATS: "csv", "goodreads"…, "marc", "json"
    encoding: str | None  # the text encoding used (None for MARC binary, which says its own)
    # How the file's columns (or MARC tags) map onto our fields, for the dry-run preview:
    # {"Title": "title", "Author l-f": "authors", "ISBN13": "isbn", "Bookshelves": "(ignored)"}
    mapping: dict[str, str]

    @property
    def bytes_read(self) -> int: ...

    @property
    def size(self) -> int | None: ...

    def records(self) -> Iterator[BookRecord]: ...


class ExportCopy(TypedDict):
    barcode: str
    call_number: str
    location: str
    status: str
    loan_type: str
    acquired_on: datetime.date | None
    note: str


class ExportBook(TypedDict):
    """A book as exports write it: no database ids, so an export imported into another
    database and exported again is the same file."""

    title: str
    subtitle: str
    authors: list[str]  # in title-page order
    isbn: str | None  # ISBN-13 digits
    publisher: str
    year: int | None
    language: str
    pages: int | None
    description: str
    subjects: list[str]  # by name
    copies: list[ExportCopy]  # by barcode
