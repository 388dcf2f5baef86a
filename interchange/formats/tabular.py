"""Book layouts of delimited text files: our own CSV (and any spreadsheet with recognisable
headers), and the exports of Goodreads, LibraryThing, Libib, StoryGraph, Calibre, Openreads and
BookWyrm.

A layout names the columns it knows (by their header, compared without case, spaces or
punctuation) and builds a ``BookRecord`` from a row's values. It undoes its format's quirks
(Goodreads' ``="…"`` ISBNs, LibraryThing's "Last, First" names and bracketed ISBNs) and nothing
more: the import service judges the values with the catalog's rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, BinaryIO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from interchange.cells import split_list
from interchange.columns import (
    BOOK_COLUMNS,
    BOOK_NAMES,
    COPY_COLUMNS,
    COPY_NAMES,
    CSV_COLUMNS,
    HOLDING_NAMES,
    unwrap_excel_text,
)
from interchange.columns import Column as DeclaredColumn
from interchange.formats.text import TextTable
from interchange.languages import catalog_code
from interchange.records import BookRecord, CopyRecord, Problem, SourceError

# A column no field reads, in a run's mapping: kept as this marker, shown in the reader's language
# by the page (``interchange/imports/detail.html``).
IGNORED = "(ignored)"

Values = dict[str, str]


def header_key(name: str) -> str:
    """A header as layouts look it up: lower case, letters and digits only, so "Call Number",
    "call_number" and LibraryThing's old "'CALL NUMBER'" are one name."""
    return "".join(ch for ch in name.casefold() if ch.isalnum())


@dataclass(frozen=True)
class Column:
    """What a layout reads from a column: the key its builder uses, and the field(s) of ours
    it feeds, as the dry-run preview shows them."""

    key: str
    shows_as: str


@dataclass(frozen=True)
class Layout:
    format: str
    columns: Mapping[str, Column]  # header_key -> Column
    build: Callable[[int, Values], BookRecord]


# --- helpers of several layouts --------------------------------------------------------------

_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}(-\d{2})?")


def year_of(value: str) -> str:
    """The year of a date ("2004-09-01", "Sep 2004", "c1979"); a bare value stays as written,
    so the catalog's rule can say what is wrong with it."""
    if value.isdigit():
        return value
    match = _YEAR.search(value)
    return match.group(1) if match else value


def first_last(name: str) -> str:
    """A "Last, First" name in title-page form: "Austen, Jane" -> "Jane Austen", "King,
    Martin Luther, Jr." -> "Martin Luther King Jr."; a name without a comma (a corporate
    author) stays as it is."""
    parts = [part.strip() for part in name.split(",")]
    if len(parts) == 2 and parts[0] and parts[1]:
        return f"{parts[1]} {parts[0]}"
    if len(parts) == 3 and all(parts):
        return f"{parts[1]} {parts[0]} {parts[2]}"
    return name.strip()


# A reading app's row says how someone read the book, not where a copy stands: without a
# barcode, call number or location, a status or a note makes no copy (and says so).
COPY_DETAILS_WITHOUT_HOLDING = gettext_lazy(
    "Copy details without a barcode, call number or location: no copy made, the details "
    "were not imported."
)


def holding(
    warnings: list[Problem],
    *,
    barcode: str = "",
    call_number: str = "",
    location: str = "",
    **details: str,
) -> list[CopyRecord]:
    """The row's copy, when it gives where one stands (a barcode, a call number or a location):
    a holding without a barcode is a copy with barcode "", for the import to decide on. Other
    copy details alone (a status, a note) make no copy: a warning says what was left."""
    if barcode or call_number or location:
        return [CopyRecord(barcode=barcode, call_number=call_number, location=location, **details)]
    if given := "; ".join(f"{name}: {value}" for name, value in details.items() if value):
        warnings.append(Problem("", str(COPY_DETAILS_WITHOUT_HOLDING), given))
    return []


def _columns(table: dict[str, tuple[str, ...]]) -> dict[str, Column]:
    """{key: (shown field, header, header…)} -> {header_key: Column}."""
    columns: dict[str, Column] = {}
    for key, (shows_as, *headers) in table.items():
        for header in headers:
            columns[header_key(header)] = Column(key, shows_as)
    return columns


# --- our CSV, and any spreadsheet with recognisable headers ----------------------------------

# Other spellings of our columns' headers, as spreadsheets and other programs write them. A
# reading app's "shelf", "status" or "notes" is how someone read the book ("to-read"), no copy:
# "shelf" is no location here, and the named layouts below ignore their apps' own.
GENERIC_SPELLINGS: dict[str, tuple[str, ...]] = {
    "title": ("book title",),
    "subtitle": ("sub title",),
    "authors": ("author", "author(s)", "creators", "creator", "writer"),
    # Several ISBN columns: the first one with a value, in this order.
    "isbn": ("isbn13", "isbn 13", "isbn", "isbn10", "isbn 10", "ean"),
    "publisher": ("publishers", "published by"),
    "year": (
        "year published",
        "publication year",
        "published",
        "publication date",
        "date published",
        "publish date",
        "pub year",
    ),
    "language": ("languages", "lang"),
    "subjects": ("subject", "tags", "keywords"),
    "description": ("summary", "abstract"),
    "pages": ("page count", "number of pages", "num pages", "page"),
    "barcode": ("copy barcode", "item barcode"),
    "call_number": ("call number", "call no", "callnumber", "shelfmark"),
    "location": ("shelving location",),
    "loan_type": ("loan type",),
    "status": ("copy status",),
    "acquired_on": ("acquired on", "acquired", "date acquired"),
    "note": ("notes", "copy note"),
}


def _headers(name: str) -> tuple[str, ...]:
    """A declared column's headers: its own name first, unless its spellings rank it."""
    spellings = GENERIC_SPELLINGS.get(name, ())
    if any(header_key(spelling) == header_key(name) for spelling in spellings):
        return spellings
    return (name, *spellings)


# Every declared column is read, under its own name and its other spellings.
GENERIC_COLUMNS = _columns({name: (name, *_headers(name)) for name in CSV_COLUMNS})
_BOOK_WIDTH = len(BOOK_COLUMNS)


def _cell_readers(columns: tuple[DeclaredColumn, ...]) -> tuple[tuple[str, Any, bool], ...]:
    """(name, reader of a cell with text, whether an empty one is an empty list) of the
    columns whose cells are not taken as they are."""
    return tuple(
        (column.name, column.text_reader(), column.kind.names)
        for column in columns
        if not column.reads_cells_as_written
    )


_BOOK_CELL_READERS = _cell_readers(BOOK_COLUMNS)
_COPY_CELL_READERS = _cell_readers(COPY_COLUMNS)
_COPY_KEYS = frozenset(column.name for column in COPY_COLUMNS)


def build_generic(number: int, values: Values) -> BookRecord:
    return build_generic_cells(number, tuple(values.get(key, "") for key in CSV_COLUMNS))


def build_generic_cells(number: int, cells: tuple[str, ...]) -> BookRecord:
    """A record from the stripped cells of our columns, in ``CSV_COLUMNS`` order, each read as
    its column is declared (``interchange.columns``). The hot path of a large import: the cells
    most columns take as they are go into the record in one step, the others are read."""
    book_cells, copy_cells = cells[:_BOOK_WIDTH], cells[_BOOK_WIDTH:]
    values: dict[str, Any] = dict(zip(BOOK_NAMES, book_cells, strict=True))
    for name, read, names in _BOOK_CELL_READERS:
        cell = values[name]
        values[name] = read(cell) if cell else [] if names else cell
    record = BookRecord(number, **values)
    if any(copy_cells):
        copy: dict[str, Any] = dict(zip(COPY_NAMES, copy_cells, strict=True))
        for name, read, names in _COPY_CELL_READERS:
            cell = copy[name]
            copy[name] = read(cell) if cell else [] if names else cell
        record.copies = holding(record.warnings, **copy)
    return record


GENERIC = Layout("csv", GENERIC_COLUMNS, build_generic)


# --- Goodreads ------------------------------------------------------------------------------

GOODREADS_COLUMNS = _columns(
    {
        "title": ("title", "Title"),
        "author": ("authors", "Author"),
        "additional_authors": ("authors", "Additional Authors"),
        "isbn13": ("isbn", "ISBN13"),
        "isbn10": ("isbn", "ISBN"),
        "publisher": ("publisher", "Publisher"),
        "pages": ("pages", "Number of Pages"),
        "year": ("year", "Year Published"),
        "original_year": ("year", "Original Publication Year"),
    }
)


def build_goodreads(number: int, values: Values) -> BookRecord:
    get = values.get
    # "Author l-f" repeats "Author" as "Austen, Jane": not read, or it would be a second author.
    authors = [get("author", ""), *get("additional_authors", "").split(",")]
    return BookRecord(
        number,
        title=get("title", ""),  # series and all: "Gideon the Ninth (The Locked Tomb, #1)"
        authors=[name.strip() for name in authors if name.strip()],
        isbn=unwrap_excel_text(get("isbn13", "")) or unwrap_excel_text(get("isbn10", "")),
        publisher=get("publisher", ""),
        year=get("year", "") or get("original_year", ""),
        pages=get("pages", ""),
    )


GOODREADS = Layout("goodreads", GOODREADS_COLUMNS, build_goodreads)


# --- LibraryThing ---------------------------------------------------------------------------

# The current export (CSV, tab-separated or Excel) and the older one, whose headers are in
# single quotes ('TITLE', 'AUTHOR (last, first)', 'PUBLICATION INFO'…).
LIBRARYTHING_COLUMNS = _columns(
    {
        "title": ("title", "Title", "'TITLE'"),
        "author_lf": ("authors", "Primary Author", "'AUTHOR (last, first)'"),
        "author_fl": ("authors", "'AUTHOR (first, last)'"),
        "secondary_lf": ("authors", "Secondary Author", "'OTHER AUTHORS'"),
        "publication": ("publisher, year", "Publication", "'PUBLICATION INFO'", "'PUBLICATION'"),
        "date": ("year", "Date", "'DATE'"),
        "isbn": ("isbn", "ISBN", "'ISBN'"),
        "isbns": ("isbn", "ISBNs", "'ISBNs'"),
        "pages": ("pages", "Page Count", "'PAGE COUNT'"),
        "languages": ("language", "Languages", "'LANGUAGES'", "'LANGUAGE 1'"),
        "subjects": ("subjects", "Subjects", "'SUBJECTS'"),
        "tags": ("subjects", "Tags", "'TAGS'"),
        "other_call_number": ("call_number", "Other Call Number", "'CALL NUMBER'"),
        "dewey": ("call_number", "Dewey Decimal", "'DEWEY DECIMAL'"),
        "lcc": ("call_number", "LC Classification", "'LC CLASSIFICATION'"),
        "barcode": ("barcode", "Barcode", "'BARCODE'"),
        "acquired": ("acquired_on", "Acquired", "'DATE ACQUIRED'"),
    }
)

_PUBLICATION_YEAR = re.compile(r"\s*\((?:c\.?\s*)?(\d{4})\)")


def _publication(value: str) -> tuple[str, str]:
    """LibraryThing's "Publication": "Gallimard (1979), Poche" -> ("Gallimard", "1979");
    the older "New York: Penguin, 2003" -> ("New York: Penguin", "2003")."""
    match = _PUBLICATION_YEAR.search(value)
    if match:
        return value[: match.start()].strip(" ,"), match.group(1)
    head, _, tail = value.rpartition(",")
    if head and _YEAR.fullmatch(tail.strip()):
        return head.strip(), tail.strip()
    return value, ""


def _librarything_isbn(values: Values) -> str:
    # "ISBN" is "[2070291340]" (the book's own); "ISBNs" lists it in every form.
    for key in ("isbn", "isbns"):
        cell = values.get(key, "").strip("[]")
        for candidate in re.split(r"[,\s]+", cell):
            if candidate:
                return candidate
    return ""


def build_librarything(number: int, values: Values) -> BookRecord:
    get = values.get
    authors = [first_last(get("author_lf", "")) or get("author_fl", "")]
    # Several secondary authors (translators, illustrators… LibraryThing does not separate
    # roles from authors here) are separated by "|", or ";" in older files.
    authors += [first_last(name) for name in re.split(r"[|;]", get("secondary_lf", ""))]
    publisher, publication_year = _publication(get("publication", ""))
    # "Subjects" are headings separated by "|" ("Russia > Fiction|Allegories"); tags by commas.
    subjects = split_list(get("subjects", ""), "|") + split_list(get("tags", ""), ",")
    call_number = get("other_call_number", "") or get("dewey", "") or get("lcc", "")
    # A call number is a copy's (the spine label): with or without a barcode it is a holding,
    # and the import decides what one without a barcode becomes.
    warnings: list[Problem] = []
    copies = holding(
        warnings,
        barcode=get("barcode", ""),
        call_number=call_number,
        acquired_on=get("acquired", "").strip("[]"),
    )
    languages = split_list(get("languages", ""), ",")
    return BookRecord(
        number,
        warnings=warnings,
        title=get("title", ""),
        authors=[name for name in authors if name],
        isbn=_librarything_isbn(values),
        publisher=publisher,
        year=year_of(get("date", "")) or publication_year,
        language=catalog_code(languages[0]) if languages else "",
        pages=get("pages", ""),
        subjects=list(dict.fromkeys(subjects)),
        copies=copies,
    )


LIBRARYTHING = Layout("librarything", LIBRARYTHING_COLUMNS, build_librarything)


# --- Libib ----------------------------------------------------------------------------------

LIBIB_COLUMNS = _columns(
    {
        "title": ("title", "title"),
        "creators": ("authors", "creators"),
        "isbn13": ("isbn", "ean_isbn13"),
        "isbn10": ("isbn", "upc_isbn10"),
        "description": ("description", "description"),
        "publisher": ("publisher", "publisher"),
        "publish_date": ("year", "publish_date"),
        "tags": ("subjects", "tags"),
        "length": ("pages", "length"),
    }
)


def build_libib(number: int, values: Values) -> BookRecord:
    get = values.get
    return BookRecord(
        number,
        title=get("title", ""),
        authors=split_list(get("creators", ""), ","),
        isbn=get("isbn13", "") or get("isbn10", ""),
        publisher=get("publisher", ""),
        year=year_of(get("publish_date", "")),
        pages=get("length", ""),
        description=get("description", ""),
        subjects=split_list(get("tags", ""), ","),
    )


LIBIB = Layout("libib", LIBIB_COLUMNS, build_libib)


# --- StoryGraph -----------------------------------------------------------------------------

# "Read Status", "Format" (paperback, digital, audio), "Moods", "Owned?"… say how the book was
# read, not what it is: not read (the preview lists them as ignored).
STORYGRAPH_COLUMNS = _columns(
    {
        "title": ("title", "Title"),
        "authors": ("authors", "Authors"),
        "contributors": ("authors", "Contributors"),
        "isbn_uid": ("isbn", "ISBN/UID"),
        "tags": ("subjects", "Tags"),
    }
)

_ISBN_SHAPE = re.compile(r"(?:97[89])?\d{9}[\dX]")
_ROLE = re.compile(r"\s*\([^()]*\)$")


def isbn_or_blank(value: str) -> str:
    """An ISBN-10 or ISBN-13 (hyphens and spaces allowed), else "": an app's own id or an
    Amazon ASIN ("B08ZYQT962") in an ISBN column is no ISBN, and no reason to refuse the book."""
    compact = value.replace("-", "").replace(" ", "").upper()
    return value if _ISBN_SHAPE.fullmatch(compact) else ""


def build_storygraph(number: int, values: Values) -> BookRecord:
    get = values.get
    # "Authors" is "A, B, C"; "Contributors" names their role: "Pauline Baynes (Illustrator)".
    contributors = [_ROLE.sub("", name) for name in split_list(get("contributors", ""), ",")]
    return BookRecord(
        number,
        title=get("title", ""),
        authors=split_list(get("authors", ""), ",") + [name for name in contributors if name],
        isbn=isbn_or_blank(get("isbn_uid", "")),
        subjects=split_list(get("tags", ""), ","),
    )


STORYGRAPH = Layout("storygraph", STORYGRAPH_COLUMNS, build_storygraph)


# --- Calibre --------------------------------------------------------------------------------

# Calibre's catalog export as CSV ("Create catalog", or ``calibredb catalog books.csv``).
CALIBRE_COLUMNS = _columns(
    {
        "title": ("title", "title"),
        "authors": ("authors", "authors"),
        "isbn": ("isbn", "isbn"),
        "identifiers": ("isbn", "identifiers"),
        "publisher": ("publisher", "publisher"),
        "pubdate": ("year", "pubdate"),
        "languages": ("language", "languages"),
        "tags": ("subjects", "tags"),
        "comments": ("description", "comments"),
    }
)

# Calibre's "no date": the first of January 101, in the book's time zone.
_CALIBRE_NO_DATE = re.compile(r"0?101-01-0[12]")
_IDENTIFIER_ISBN = re.compile(r"(?:^|,)\s*isbn:([^,]+)", re.IGNORECASE)


def _calibre_authors(value: str) -> list[str]:
    # " & " between authors; exports of calibre before 0.9 used ", " (its names are
    # "First Last", never "Last, First": that is its author_sort column).
    return split_list(value, "&") if "&" in value else split_list(value, ",")


def build_calibre(number: int, values: Values) -> BookRecord:
    get = values.get
    pubdate = get("pubdate", "")
    identifier = _IDENTIFIER_ISBN.search(get("identifiers", ""))
    languages = split_list(get("languages", ""), ",")
    return BookRecord(
        number,
        title=get("title", ""),
        authors=_calibre_authors(get("authors", "")),
        isbn=get("isbn", "") or (identifier.group(1).strip() if identifier else ""),
        publisher=get("publisher", ""),
        year="" if _CALIBRE_NO_DATE.match(pubdate) else year_of(pubdate),
        language=catalog_code(languages[0]) if languages else "",
        description=get("comments", ""),
        subjects=split_list(get("tags", ""), ","),
    )


CALIBRE = Layout("calibre", CALIBRE_COLUMNS, build_calibre)


# --- Openreads ------------------------------------------------------------------------------

# Openreads' CSV export. Its "status" (finished, planned…), "notes" and "my_review" are the
# reader's, not a copy's: not read.
OPENREADS_COLUMNS = _columns(
    {
        "title": ("title", "title"),
        "subtitle": ("subtitle", "subtitle"),
        "author": ("authors", "author"),
        "description": ("description", "description"),
        "pages": ("pages", "pages"),
        "publisher": ("publisher", "publisher"),
        "publication_year": ("year", "publication_year"),
        "isbn": ("isbn", "isbn"),
        "tags": ("subjects", "tags"),
    }
)
_OPENREADS_TAGS = "|||||"  # what Openreads puts between a book's tags


def build_openreads(number: int, values: Values) -> BookRecord:
    get = values.get
    tags = get("tags", "").split(_OPENREADS_TAGS)
    return BookRecord(
        number,
        title=get("title", ""),
        subtitle=get("subtitle", ""),
        authors=split_list(get("author", ""), ","),  # "A, B", as Open Library lists them
        isbn=get("isbn", ""),
        publisher=get("publisher", ""),
        year=get("publication_year", ""),
        pages=get("pages", ""),
        description=get("description", ""),
        subjects=[tag.strip() for tag in tags if tag.strip()],
    )


OPENREADS = Layout("openreads", OPENREADS_COLUMNS, build_openreads)


# --- BookWyrm -------------------------------------------------------------------------------

# BookWyrm's own CSV export (Settings > Export). "shelf" and "shelf_name" are reading shelves
# ("to-read"), and the dates, ratings and reviews the reader's: not read.
BOOKWYRM_COLUMNS = _columns(
    {
        "title": ("title", "title"),
        "author_text": ("authors", "author_text"),
        "isbn_13": ("isbn", "isbn_13"),
        "isbn_10": ("isbn", "isbn_10"),
        "pages": ("pages", "pages"),
    }
)


def build_bookwyrm(number: int, values: Values) -> BookRecord:
    get = values.get
    return BookRecord(
        number,
        title=get("title", ""),
        authors=split_list(get("author_text", ""), ","),  # the authors' names, joined by ", "
        isbn=get("isbn_13", "") or get("isbn_10", ""),
        pages=get("pages", ""),
    )


BOOKWYRM = Layout("bookwyrm", BOOKWYRM_COLUMNS, build_bookwyrm)


LAYOUTS = {
    layout.format: layout
    for layout in (
        GENERIC,
        GOODREADS,
        LIBRARYTHING,
        LIBIB,
        STORYGRAPH,
        CALIBRE,
        OPENREADS,
        BOOKWYRM,
    )
}


def detect_layout(header: list[str]) -> Layout:
    """The layout a header is in: each export is known by columns only it has."""
    keys = {header_key(name) for name in header}
    if {"bookid", "authorlf", "exclusiveshelf"} <= keys:
        return GOODREADS
    quoted = {header_key(name) for name in header if name.startswith("'")}
    if "primaryauthor" in keys or {"bookid", "sortcharacter"} <= keys:
        return LIBRARYTHING
    if quoted & {"title", "authorlastfirst", "authorfirstlast"}:
        return LIBRARYTHING  # the older export: 'TITLE', 'AUTHOR (last, first)'…
    if {"itemtype", "eanisbn13", "creators"} <= keys:
        return LIBIB
    if {"isbnuid", "readstatus"} <= keys:
        return STORYGRAPH
    if "authorsort" in keys and keys & {"pubdate", "titlesort", "uuid"}:
        return CALIBRE
    if {"olid", "bookformat"} <= keys or {"olid", "publicationyear"} <= keys:
        return OPENREADS
    if {"authortext", "remoteid"} <= keys:
        return BOOKWYRM
    return GENERIC


# --- the source ------------------------------------------------------------------------------


class TabularSource:
    """A delimited text file of books, opened: the header read and matched to a layout (a
    ``SourceError`` if it has no title column), ``records()`` streaming the rows."""

    def __init__(
        self,
        file: BinaryIO,
        *,
        format: str = "auto",
        encoding: str | None = None,
        size: int | None = None,
    ) -> None:
        self._table = TextTable(file, encoding=encoding, size=size)
        header = self._table.header
        layout = detect_layout(header) if format == "auto" else LAYOUTS[format]
        self.format = layout.format
        self.encoding: str | None = self._table.encoding
        self._layout = layout
        self.mapping: dict[str, str] = {}
        # (key, column index) in the order values are taken. Several columns may feed one key
        # (ISBN13 and ISBN): the one the layout lists first wins when it has a value, so it comes
        # last here and overwrites the others.
        ranked: list[tuple[int, str, int]] = []
        shown_as: dict[str, str] = {}
        ranks = {key: rank for rank, key in enumerate(layout.columns)}
        for index, name in enumerate(header):
            key = header_key(name)
            column = layout.columns.get(key) if key else None
            shown = name or _("(column %(number)s)") % {"number": index + 1}
            if shown in self.mapping:
                shown = _("%(name)s (column %(number)s)") % {"name": shown, "number": index + 1}
            self.mapping[shown] = column.shows_as if column else IGNORED
            if column:
                ranked.append((ranks[key], column.key, index))
                shown_as[shown] = column.key
        if layout is GENERIC and not any(key in HOLDING_NAMES for _, key, _ in ranked):
            # No barcode, call number or location column: the file lists no copies, and its
            # "status" or "notes" is a reading app's ("to-read"), not a copy's.
            ranked = [item for item in ranked if item[1] not in _COPY_KEYS]
            for shown, key in shown_as.items():
                if key in _COPY_KEYS:
                    self.mapping[shown] = IGNORED
        ranked.sort(key=lambda item: (-item[0], -item[2]))
        self._plan = [(key, index) for _, key, index in ranked]
        if not any(key == "title" for key, _ in self._plan):
            raise SourceError(_no_title_message(header, layout))

    def _generic_records(self) -> Iterator[BookRecord]:
        # Each column feeds one field (the usual case): one C call takes the cells of a row.
        take = _cells_getter(self._plan, len(self._table.header))
        strip = str.strip
        for row in self._table.rows():
            cells = row.cells
            cells.append("")
            record = build_generic_cells(row.number, tuple(map(strip, take(cells))))
            if row.problems:
                record.problems.extend(row.problems)
            yield record

    @property
    def bytes_read(self) -> int:
        return self._table.bytes_read

    @property
    def size(self) -> int | None:
        return self._table.size

    def records(self) -> Iterator[BookRecord]:
        if self._layout is GENERIC and len({key for key, _ in self._plan}) == len(self._plan):
            yield from self._generic_records()
            return
        plan = self._plan
        build = self._layout.build
        for row in self._table.rows():
            cells = row.cells
            values = {key: value for key, index in plan if (value := cells[index].strip())}
            record = build(row.number, values)
            if row.problems:
                record.problems.extend(row.problems)
            yield record


def _cells_getter(plan: list[tuple[str, int]], width: int) -> Callable[[list[str]], Any]:
    """A function taking a row's cells (with one "" appended, at ``width``) to our columns'
    cells in ``CSV_COLUMNS`` order; a column the file lacks reads the appended ""."""
    index_of = dict(plan)
    return itemgetter(*(index_of.get(key, width) for key in CSV_COLUMNS))


def _no_title_message(header: list[str], layout: Layout) -> str:
    found = ", ".join(f'"{name}"' for name in header if name) or _("none")
    if layout is GENERIC:
        return _(
            "No title column: the file's header row has %(found)s. A book file needs at least "
            "a 'title' column; the columns read are %(expected)s (in any order, any case). "
            "Rename the title column, or check that the first row is the header."
        ) % {"found": found, "expected": ", ".join(CSV_COLUMNS)}
    return _(
        "No title column: the file's header row has %(found)s, but a %(format)s export has a "
        "'Title' column. Export again from the site, or import as csv with a 'title' column."
    ) % {"found": found, "format": layout.format}
