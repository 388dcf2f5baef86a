"""A book's and a copy's interchange columns, declared once: each one's name, how its value is
written into a CSV cell and a JSON value, and how it is read back from them.

The name is the column's everywhere: the header of our CSV layout, the key of the JSON export,
the field of ``interchange.records.BookRecord``/``CopyRecord`` and of ``ExportBook``/
``ExportCopy``, and (for a column of the book's or copy's own row) the model field the export
query reads. Everything that lists columns reads them from here: the export query
(``interchange.selectors``), the CSV and JSON exports (``interchange.exports.tabular``), and
the readers of our CSV layout and of the JSON export (``interchange.formats``); the MARCXML
export says where each goes in MARC (``interchange.exports.marcxml.MARC_PLACES``).

``interchange/tests/test_columns.py`` holds this declaration to the catalog: every field of
``Book`` and ``Copy`` and every rule of ``catalog.rules.BOOK_RULES``/``COPY_RULES`` is either a
column here or in ``NOT_INTERCHANGED`` with the reason, and a book with every field set comes
out of each export and back in through each reader with every value.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from django.utils.translation import gettext as _

from interchange.cells import join_list, split_list
from interchange.languages import catalog_code
from interchange.records import ExportBook, ExportCopy

# --- how values travel -----------------------------------------------------------------------


class WrongType(ValueError):
    """A JSON value of the wrong type; the message says what was expected."""


def _as_is(value: Any) -> Any:
    return value


def _text_or_blank(value: str | None) -> str:
    return value or ""


def _number_cell(value: int | None) -> str:
    return "" if value is None else str(int(value))


def _date_cell(value: datetime.date | None) -> str:
    return "" if value is None else value.isoformat()


def _date_json(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _json_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise WrongType(_("Expected text here."))


def _json_whole_number(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value  # the catalog's rule says whether it is a number
    raise WrongType(_("Expected a whole number here."))


def _json_names(value: Any) -> list[str]:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise WrongType(_("Expected a list of names (text) here."))


@dataclass(frozen=True)
class Kind:
    """How the values of one type are written (``cell``: into a CSV cell, ``json``: as a JSON
    value) and read (``from_cell``: from a cell's text, ``from_json``: from a JSON value, raising
    ``WrongType``). What is read is what a file gives: text (or a list of names), checked by the
    catalog's rules on import."""

    name: str
    cell: Callable[[Any], str]
    json: Callable[[Any], Any]
    from_json: Callable[[Any], Any]
    from_cell: Callable[[str], Any] = _as_is
    # Names kept in a table of their own (authors, subjects), not a field of the book's row.
    names: bool = False

    def empty(self) -> Any:
        """What a missing or empty value reads as (a new list each time: records change theirs)."""
        return [] if self.names else ""


TEXT = Kind("text", cell=_as_is, json=_as_is, from_json=_json_text)
OPTIONAL_TEXT = Kind("optional text", cell=_text_or_blank, json=_as_is, from_json=_json_text)
WHOLE_NUMBER = Kind("whole number", cell=_number_cell, json=_as_is, from_json=_json_whole_number)
DATE = Kind("date", cell=_date_cell, json=_date_json, from_json=_json_text)
NAMES = Kind(
    "names", cell=join_list, json=_as_is, from_json=_json_names, from_cell=split_list, names=True
)


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    # Undoes how spreadsheets and other programs spell a value of this column (Excel's ="…",
    # a full date for a year, "English" or "eng" for "en"), whatever the file's format.
    tidy: Callable[[str], str] | None = None

    @property
    def reads_cells_as_written(self) -> bool:
        """Whether a cell's text is the value as it is (most columns): readers skip those."""
        return self.tidy is None and self.kind.from_cell is _as_is

    def read_cell(self, cell: str) -> Any:
        """The value a CSV cell (stripped) gives."""
        if not cell:
            return self.kind.empty()
        return self.kind.from_cell(self.tidy(cell) if self.tidy else cell)

    def text_reader(self) -> Callable[[str], Any]:
        """``read_cell`` for a cell that is not empty, as one function (the CSV reader's hot
        path calls it for every row)."""
        tidy, from_cell = self.tidy, self.kind.from_cell
        if tidy is None:
            return from_cell
        if from_cell is _as_is:
            return tidy
        return lambda cell: from_cell(tidy(cell))

    def read_json(self, value: Any) -> Any:
        """The value a JSON value gives; raises ``WrongType``."""
        if value is None:
            return self.kind.empty()
        read = self.kind.from_json(value)
        return self.tidy(read) if self.tidy and read else read


# --- tidying ---------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}(-\d{2})?")


def unwrap_excel_text(value: str) -> str:
    """Goodreads (and spreadsheets told to keep leading zeros) write ``="0143951"``."""
    if value.startswith('="') and value.endswith('"'):
        return value[2:-1]
    return value


def year_of_date(value: str) -> str:
    """A spreadsheet's date for a year ("2004-09-01" -> "2004"); anything else as written, for
    the catalog's rule to judge."""
    return value[:4] if len(value) > 4 and _ISO_DATE.fullmatch(value) else value


# --- the declaration -------------------------------------------------------------------------

# In the order of our CSV layout's columns and of the JSON export's keys.
BOOK_COLUMNS: tuple[Column, ...] = (
    Column("title", TEXT),
    Column("subtitle", TEXT),
    Column("authors", NAMES),  # in title-page order (BookAuthor.position)
    Column("isbn", OPTIONAL_TEXT, tidy=unwrap_excel_text),
    Column("publisher", TEXT),
    Column("year", WHOLE_NUMBER, tidy=year_of_date),
    Column("language", TEXT, tidy=catalog_code),
    Column("subjects", NAMES),  # in the order they were given (the link table's id)
    Column("description", TEXT),
    Column("pages", WHOLE_NUMBER),
)
COPY_COLUMNS: tuple[Column, ...] = (
    Column("barcode", TEXT),
    Column("call_number", TEXT),
    Column("location", TEXT),
    Column("loan_type", TEXT),
    Column("status", TEXT),
    Column("acquired_on", DATE),
    Column("note", TEXT),
)
# A book's copies: in every format a list inside the book (CSV: one row per copy).
COPIES = "copies"

BOOK_NAMES = tuple(column.name for column in BOOK_COLUMNS)
COPY_NAMES = tuple(column.name for column in COPY_COLUMNS)
# Our CSV layout's header: the book's columns, then the copy's (one row per copy).
CSV_COLUMNS = (*BOOK_NAMES, *COPY_NAMES)
# The fields of the book's and the copy's own rows, as the export query reads them.
BOOK_FIELDS = tuple(column.name for column in BOOK_COLUMNS if not column.kind.names)
COPY_FIELDS = tuple(column.name for column in COPY_COLUMNS if not column.kind.names)
# A copy's columns that say where it is: a row that gives one of them is a holding (a copy,
# with a barcode or not yet); a status or a note alone is not.
HOLDING_NAMES = ("barcode", "call_number", "location")

# Fields of the models that are no column, and why. The guard test fails for any other field
# that is not a column above.
NOT_INTERCHANGED: Mapping[str, Mapping[str, str]] = {
    "Book": {
        "id": "the catalog's own key: a file imported elsewhere gets new ids",
        "cover": "an image, not text: covers are uploaded or fetched from Open Library",
        "search_text": "worked out by the catalog from the title, authors, subjects, ISBN…",
        "version": "how often the row changed here (for ETags), not a fact about the book",
        "created_at": "when the row was written here, not a fact about the book",
        "updated_at": "when the row was changed here, not a fact about the book",
    },
    "Copy": {
        "id": "the catalog's own key: a file imported elsewhere gets new ids",
        "book": "a copy is written inside its book in every format",
        "created_at": "when the row was written here, not a fact about the copy",
        "updated_at": "when the row was changed here, not a fact about the copy",
        "last_seen": "when a stocktake here last saw it on the shelf, not a fact of the record",
    },
}


# --- export rows -----------------------------------------------------------------------------

_EXPORT_BOOK_KEYS = ExportBook.__required_keys__
_EXPORT_COPY_KEYS = ExportCopy.__required_keys__


def export_book(
    fields: Mapping[str, Any],
    *,
    authors: list[str],
    subjects: list[str],
    copies: list[ExportCopy],
) -> ExportBook:
    """A book's row of the export query (``BOOK_FIELDS``) with its names and copies, as the
    exporters take it. A column missing from ``ExportBook`` or from the query fails here, loudly,
    in every export and its tests: never an export that silently drops a field."""
    book = {**fields, "authors": authors, "subjects": subjects, COPIES: copies}
    if book.keys() != _EXPORT_BOOK_KEYS:
        raise TypeError(_mismatch("ExportBook", book.keys(), _EXPORT_BOOK_KEYS))
    return cast(ExportBook, book)


def export_copy(fields: Mapping[str, Any]) -> ExportCopy:
    """A copy's row of the export query (``COPY_FIELDS``), checked like ``export_book``."""
    if fields.keys() != _EXPORT_COPY_KEYS:
        raise TypeError(_mismatch("ExportCopy", fields.keys(), _EXPORT_COPY_KEYS))
    return cast(ExportCopy, dict(fields))


def _mismatch(what: str, given: Any, declared: frozenset[str]) -> str:
    return (
        f"The export query gives {sorted(given)} but {what} (interchange.records) has "
        f"{sorted(declared)}: declare the column in interchange/columns.py and in {what}."
    )
