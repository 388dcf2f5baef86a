"""MARCXML export: a well-formed MARC 21 document that our reader reads back to the same
values, for tricky strings and for anything hypothesis makes up."""

from __future__ import annotations

import datetime
import io
from xml.etree import ElementTree

from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.rules import squash_spaces
from interchange.exports.marcxml import marcxml_export, record_for_book
from interchange.formats.marc import open_marc_source
from interchange.marc.names import field_for_name, name_from_field
from interchange.marc.punctuation import strip_isbd, with_separator, with_terminal_period
from interchange.records import BookRecord, ExportBook, ExportCopy
from interchange.tests.expected import read_copies, read_values, record_values

NS = "{http://www.loc.gov/MARC21/slim}"


def export_and_read(books: list[ExportBook]) -> list[BookRecord]:
    data = "".join(marcxml_export(books)).encode("utf-8")
    return list(open_marc_source(io.BytesIO(data), kind="marcxml").records())


def expected(book: ExportBook) -> dict[str, object]:
    """What the reader should give back for an exported book."""
    return read_values(book) | {"copies": read_copies(book), "problems": []}


def as_read(record: BookRecord) -> dict[str, object]:
    return record_values(record) | {"copies": record.copies, "problems": record.problems}


def copy_like(**values: object) -> ExportCopy:
    copy: ExportCopy = {
        "barcode": "31000000123",
        "call_number": "PR4034 .P7",
        "location": "Main",
        "status": "available",
        "loan_type": "normal",
        "acquired_on": datetime.date(2020, 1, 2),
        "note": "",
    }
    return copy | values  # type: ignore[return-value]


def book_like(**values: object) -> ExportBook:
    book: ExportBook = {
        "title": "Pride and prejudice",
        "subtitle": "",
        "authors": ["Jane Austen"],
        "isbn": "9780141439518",
        "publisher": "Penguin Books",
        "year": 2003,
        "language": "en",
        "pages": 480,
        "description": "",
        "subjects": [],
        "copies": [copy_like()],
    }
    return book | values  # type: ignore[return-value]


TRICKY = [
    book_like(title="Who's afraid?", subtitle="a play.", authors=["J. R. R. Tolkien"]),
    book_like(title="Ça & <là>", subtitle="ending with a period.", authors=["Cher."]),
    book_like(title="東京物語", authors=["小津安二郎", "Ludwig van Beethoven"], language="ja"),
    book_like(title="Dr.", authors=["Martin Luther King Jr.", "Sammy Davis, Jr."]),
    book_like(title="The end...", subtitle="", authors=[], year=None, publisher=""),
    book_like(title="Odyssey", authors=["Homer"], year=-700, language="grc", pages=None),
    book_like(title="A title /", subtitle="sub :", publisher="Penguin,", year=868),
    book_like(
        description="Line one.\r\nLine two & <three>\ttabbed.",
        subjects=["Cats -- Fiction", "U.S.", "Sisters."],
        copies=[copy_like(note="gift of A. B."), copy_like(barcode="X2", acquired_on=None)],
    ),
]


def test_tricky_books_round_trip() -> None:
    for record, book in zip(export_and_read(TRICKY), TRICKY, strict=True):
        assert as_read(record) == expected(book)


def test_the_document_is_marc21_slim() -> None:
    data = "".join(marcxml_export([book_like(subtitle="a novel")]))
    root = ElementTree.fromstring(data)  # noqa: S314  # our own output, no entities
    assert root.tag == f"{NS}collection"
    (record,) = root
    assert record.find(f"{NS}leader").text == "00000nam a2200000 i 4500"
    fields = {
        field.get("tag"): (
            (field.get("ind1", "") + field.get("ind2", "")),
            [(sub.get("code"), sub.text) for sub in field],
        )
        for field in record.iter(f"{NS}datafield")
    }
    assert fields["245"] == ("10", [("a", "Pride and prejudice :"), ("b", "a novel.")])
    assert fields["100"] == ("1 ", [("a", "Austen, Jane.")])
    assert fields["264"] == (" 1", [("b", "Penguin Books,"), ("c", "2003.")])
    assert fields["300"] == ("  ", [("a", "480 pages")])
    assert fields["852"] == ("  ", [("b", "Main"), ("h", "PR4034 .P7"), ("p", "31000000123")])
    assert fields["876"][1][:2] == [("p", "31000000123"), ("d", "2020-01-02")]
    fixed = record.find(f"{NS}controlfield").text
    assert fixed is not None
    assert len(fixed) == 40
    assert (fixed[6:11], fixed[35:38]) == ("s2003", "eng")


def test_the_export_streams_one_record_per_piece() -> None:
    pieces = list(marcxml_export([book_like(), book_like()]))
    assert len(pieces) == 4
    assert pieces[1].startswith("<record>")


def test_pymarc_record_is_utf8() -> None:
    assert record_for_book(book_like()).leader[9] == "a"


# --- properties ---------------------------------------------------------------------------

# Text as the catalog stores it (its rules squash spaces); XML cannot hold surrogates, nor
# U+FFFE/U+FFFF, and the catalog's rules already drop control characters.
line = st.text(
    st.characters(exclude_categories=["Cs", "Cc"], exclude_characters="\ufffe\uffff")
).map(squash_spaces)
punctuated = st.lists(
    st.one_of(line, st.sampled_from([".", ",", " /", " :", "?", "Jr.", "J.", "van", "..."])),
    max_size=6,
).map(lambda parts: squash_spaces(" ".join(parts)))
text = st.one_of(line, punctuated)
nonblank = text.filter(bool)


@given(text)
def test_terminal_period_is_undone_exactly(value: str) -> None:
    assert strip_isbd(with_terminal_period(value)) == value
    assert strip_isbd(with_separator(value, " :")) == value


@given(nonblank)
def test_names_round_trip(name: str) -> None:
    assert name_from_field(field_for_name("700", name)) == name


description = st.text(
    st.characters(exclude_categories=["Cs", "Cc"], exclude_characters="\ufffe\uffff")
    | st.sampled_from("\n\r\t")
).map(str.strip)
copies = st.builds(
    copy_like,
    barcode=nonblank.filter(lambda b: " " not in b),
    call_number=text,
    location=text,
    status=st.sampled_from(["available", "lost", "damaged", "on_loan", ""]),
    loan_type=st.sampled_from(["normal", "short", "reference", ""]),
    acquired_on=st.none() | st.dates(),
    note=description,
)
books = st.builds(
    book_like,
    title=nonblank,
    subtitle=text,
    authors=st.lists(nonblank, max_size=4),
    isbn=st.none() | st.from_regex(r"97[89]\d{10}", fullmatch=True),
    publisher=text,
    year=st.none() | st.integers(-3000, 2100),
    language=st.sampled_from(["", "en", "fr", "de", "ja", "grc", "es", "haw"]),
    pages=st.none() | st.integers(1, 100_000),
    description=description,
    subjects=st.lists(nonblank, max_size=4, unique=True),
    copies=st.lists(copies, max_size=3, unique_by=lambda copy: copy["barcode"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(books, min_size=1, max_size=3))
def test_round_trip(exported: list[ExportBook]) -> None:
    records = export_and_read(exported)
    assert [as_read(record) for record in records] == [expected(book) for book in exported]
    assert [record.number for record in records] == list(range(1, len(exported) + 1))
