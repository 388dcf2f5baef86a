"""The MARC readers on realistic samples (tests/data/marc, made by make_samples.py) and on
broken files (tests/data/broken/marc_*), each with its exact outcome."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pymarc import Field, Indicators, Record, Subfield

from interchange.formats.marc import open_marc_source
from interchange.marc.damage import (
    DAMAGED_FIELD_UNUSED,
    DAMAGED_TEXT_REFUSED,
)
from interchange.marc.mapping import MAPPING, READ_FROM, book_from_record
from interchange.records import BookRecord, SourceError

TAG = re.compile(r"\b\d{3}\b")
DATA = Path(__file__).parent.parent / "data"
SAMPLES = DATA / "marc"
BROKEN = DATA / "broken"


def read(path: Path, kind: str | None = None) -> list[BookRecord]:
    kind = kind or ("marcxml" if path.suffix == ".xml" else "marc")
    with path.open("rb") as file:
        source = open_marc_source(file, kind=kind, size=path.stat().st_size)
        books = list(source.records())
        assert source.bytes_read == source.size == path.stat().st_size
    return books


def summary(book: BookRecord) -> tuple[int, str, int]:
    return book.number, book.title, len(book.problems)


def test_pride_and_prejudice_from_a_loc_style_record() -> None:
    book = read(SAMPLES / "loc_utf8.mrc")[0]
    assert book.title == "Pride and prejudice"  # " /" taken off
    assert book.authors == ["Jane Austen", "Vivien Jones"]  # 100 then 700, dates left out
    assert book.isbn == "0141439513"  # "(pbk.)" left out
    assert (book.publisher, book.year, book.language) == ("Penguin Books", "2003", "en")
    assert book.pages == "435"  # "xlii, 435 p. ;"
    assert book.description.startswith("The Bennet sisters")
    # 650 $a $z $v, and the repeated subject once
    assert book.subjects == ["Courtship -- England -- Fiction", "Sisters -- England -- Fiction"]
    (copy,) = book.copies  # Koha's 952
    assert (copy.barcode, copy.call_number, copy.location) == ("31000000123", "F AUS", "FIC")
    assert (copy.acquired_on, copy.note, copy.loan_type) == (
        "2019-03-04",
        "Donated by the Friends",
        "",  # $y is Koha's item type: not mapped
    )
    assert book.problems == []


def test_the_hobbit_264_two_isbns_and_852_copies() -> None:
    book = read(SAMPLES / "loc_utf8.mrc")[1]
    assert book.title == "The hobbit, or, There and back again"
    assert book.authors == ["J. R. R. Tolkien"]  # initials keep their periods, $q left out
    assert book.isbn == "9780547928227"  # "9780547928227 (pbk.) :"
    assert (book.publisher, book.year) == ("Houghton Mifflin Harcourt", "2012")  # 264 _1
    assert book.pages == "300"
    assert [(c.barcode, c.call_number, c.location) for c in book.copies] == [
        ("31000000456", "F TOL", "Main library, Fiction"),
        ("31000000457", "PZ8.T57 Ho 2012", "Branch"),  # no $h: the 050's call number
    ]


def test_accents_cjk_dewey_and_local_call_numbers() -> None:
    books = read(SAMPLES / "loc_utf8.mrc")
    cien, miserables, norwegian = books[2], books[3], books[4]
    assert (cien.title, cien.authors, cien.publisher) == (
        "Cien años de soledad",
        ["Gabriel García Márquez"],
        "Cátedra",
    )
    assert (cien.year, cien.language, cien.isbn) == ("2007", "es", "9788437624947")
    assert cien.copies[0].call_number == "863.64 GAR"
    assert (miserables.language, miserables.year, miserables.pages) == ("fr", "1995", "1996")
    assert miserables.subjects == ["Poor -- France -- History -- 19th century -- Fiction"]
    assert (norwegian.title, norwegian.subtitle) == ("ノルウェイの森", "Noruei no mori")
    assert (norwegian.authors, norwegian.language, norwegian.pages) == (["村上春樹"], "ja", "")
    assert norwegian.copies[0].call_number == "PL856.U673 N67 1987"  # from the 090


def test_marc8_records_read_like_their_utf8_twins() -> None:
    marc8 = read(SAMPLES / "loc_marc8.mrc")
    utf8 = read(SAMPLES / "loc_utf8.mrc")[2:4]
    for book in utf8:
        book.number -= 2
    assert marc8 == utf8
    assert marc8[1].title == "Les misérables"  # NFC: one code point for "é"


def test_marcxml_with_a_namespace_prefix_reads_like_binary() -> None:
    assert read(SAMPLES / "loc.xml") == read(SAMPLES / "loc_utf8.mrc")


def test_marcxml_without_a_namespace() -> None:
    xml = b"<collection><record><leader>00000nam a2200000 i 4500</leader>"
    xml += b'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">Emma.</subfield>'
    xml += b"</datafield></record></collection>"
    (book,) = open_marc_source(io.BytesIO(xml), kind="marcxml").records()
    assert book.title == "Emma"


def test_records_stream() -> None:
    """The first record comes before the reader has read the whole file."""
    data = (SAMPLES / "loc_utf8.mrc").read_bytes() * 200
    source = open_marc_source(io.BytesIO(data), kind="marc", size=len(data))
    records = source.records()
    next(records)
    assert source.bytes_read < len(data) / 2


def test_mapping_names_the_tags() -> None:
    source = open_marc_source((SAMPLES / "loc.xml").open("rb"), kind="marcxml")
    assert source.mapping["245 $a $n $p"] == "title"
    assert source.format == "marcxml"
    assert source.encoding == "utf-8"
    binary = open_marc_source((SAMPLES / "loc_utf8.mrc").open("rb"), kind="marc")
    assert binary.format == "marc"
    assert binary.encoding is None


def record_with(*fields: Field) -> Record:
    record = Record()
    for field in fields:
        record.add_field(field)
    return record


def datafield(tag: str, indicators: str, *pairs: str) -> Field:
    return Field(
        tag=tag,
        indicators=Indicators(indicators[0], indicators[1]),
        subfields=[Subfield(c, v) for c, v in zip(pairs[::2], pairs[1::2], strict=True)],
    )


@pytest.mark.parametrize(
    ("statement", "year"),
    [
        ("c2003.", "2003"),
        ("[2003?]", "2003"),
        ("2003-", "2003"),
        ("©1966", "1966"),
        ("1998, c1997.", "1998"),
        ("[19--]", ""),
        ("300 B.C.", "-300"),
        ("[868]", "868"),
    ],
)
def test_year_statements(statement: str, year: str) -> None:
    record = record_with(datafield("264", " 1", "b", "X,", "c", statement))
    assert book_from_record(record, 1).year == year


def test_year_from_008_when_no_publication_field() -> None:
    record = record_with(Field(tag="008", data="021119s1999    enk" + " " * 22))
    assert book_from_record(record, 1).year == "1999"


@pytest.mark.parametrize(
    ("extent", "pages"), [("xii, 356 p.", "356"), ("1 v.", ""), ("356 pages ;", "356")]
)
def test_pages(extent: str, pages: str) -> None:
    assert book_from_record(record_with(datafield("300", "  ", "a", extent)), 1).pages == pages


def test_names_corporate_suffix_and_forename() -> None:
    record = record_with(
        datafield("110", "2 ", "a", "United States.", "b", "Congress."),
        datafield("700", "1 ", "a", "King, Martin Luther,", "c", "Jr.,", "d", "1929-1968."),
        datafield("700", "0 ", "a", "Homer."),
        datafield("700", "1 ", "a", "Beethoven, Ludwig van,", "d", "1770-1827,", "e", "composer."),
    )
    assert book_from_record(record, 1).authors == [
        "United States. Congress",
        "Martin Luther King Jr.",
        "Homer",
        "Ludwig van Beethoven",
    ]


def test_041_when_008_has_no_language() -> None:
    record = record_with(datafield("041", "0 ", "a", "engfre"))
    assert book_from_record(record, 1).language == "en"


def test_a_holding_without_barcode_is_a_copy_with_barcode_blank() -> None:
    """Most catalogs export holdings as call number and location only: the reader never refuses
    the book for it; the import decides what such a copy becomes."""
    record = record_with(
        datafield("050", "00", "a", "PR4034", "b", ".P7 2003"),
        datafield("852", "  ", "b", "Main", "h", "PR4034 .P7"),
        datafield("852", "  ", "b", "Stacks"),  # no call number: the record's (050)
        datafield("952", "  ", "c", "FIC", "o", "F AUS", "z", "Signed"),
        datafield("876", "  ", "d", "2019-03-04"),  # no $p: it names no copy
    )
    book = book_from_record(record, 7)
    assert [(c.barcode, c.call_number, c.location, c.note) for c in book.copies] == [
        ("", "PR4034 .P7", "Main", ""),
        ("", "PR4034 .P7 2003", "Stacks", ""),
        ("", "F AUS", "FIC", "Signed"),
    ]
    assert [c.acquired_on for c in book.copies] == ["", "", ""]
    assert (book.problems, book.warnings) == ([], [])


def test_every_tag_read_is_named_in_the_mapping() -> None:
    """READ_FROM (which damage costs a record) and MAPPING (the preview) name the same tags."""
    named = {tag for key in MAPPING for tag in TAG.findall(key)}
    assert named == set(READ_FROM)


# --- broken files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("marc_empty.mrc", "The file is empty"),
        ("marc_not_marc.mrc", "but the file starts with 'Title,Author,ISBN\\nEmma,J'"),
        ("marc_is_marcxml.mrc", "It looks like XML: if it is MARCXML, import it as MARCXML."),
        ("marc_xml_billion_laughs.xml", "declares a document type (<!DOCTYPE …>)"),
        ("marc_xml_external_entity.xml", "declares a document type (<!DOCTYPE …>)"),
        ("marc_xml_not_marc.xml", "This XML file holds no MARC records"),
    ],
)
def test_files_that_are_not_marc(name: str, message: str) -> None:
    with pytest.raises(SourceError) as raised:
        read(BROKEN / name)
    assert message in str(raised.value)


def test_marc_binary_given_as_marcxml() -> None:
    with pytest.raises(SourceError, match=r"This file is not XML.*import it as MARC"):
        read(SAMPLES / "loc_utf8.mrc", kind="marcxml")


HOBBIT = "The hobbit, or, There and back again"
PRIDE = "Pride and prejudice"


def test_bad_leader() -> None:
    books = read(BROKEN / "marc_bad_leader.mrc")
    assert [summary(book) for book in books] == [(1, HOBBIT, 0), (2, "", 1), (3, HOBBIT, 0)]
    problem = books[1].problems[0]
    assert problem.field == ""
    assert problem.reason.startswith("The record's leader or directory holds something other")
    assert problem.value.startswith("00766cam a220AB4X a 4500")


def test_record_lengths_that_lie() -> None:
    """Too long (it would swallow the next record's start) and too short: each broken record
    is one problem, and reading goes on with the next record."""
    books = read(BROKEN / "marc_length_lies.mrc")
    assert [summary(book) for book in books] == [
        (1, "", 1),
        (2, HOBBIT, 0),
        (3, "", 1),
        (4, PRIDE, 0),
    ]
    assert (
        books[0]
        .problems[0]
        .reason.startswith("The record's length in its leader does not match where the record ends")
    )


def test_truncated_file() -> None:
    books = read(BROKEN / "marc_truncated.mrc")
    assert [summary(book) for book in books] == [(1, PRIDE, 0), (2, "", 1)]
    assert (
        books[1]
        .problems[0]
        .reason.startswith("The file ends in the middle of this record: it was probably cut short")
    )


def test_directory_pointing_past_the_end_of_a_field_not_read() -> None:
    """The 001 (control number) is not read: the record goes in without it, with a warning."""
    books = read(BROKEN / "marc_directory_past_end.mrc")
    assert [summary(book) for book in books] == [(1, PRIDE, 0), (2, HOBBIT, 0)]
    (warning,) = books[0].warnings
    assert warning.reason == DAMAGED_FIELD_UNUSED
    assert warning.value.startswith(
        "001: the directory says 9 bytes at offset 90000, but no field ends there"
    )
    assert not warning.refused_when_strict


def test_directory_pointing_past_the_end_of_a_field_read() -> None:
    data = (BROKEN / "marc_directory_past_end.mrc").read_bytes()
    base = int(data[12:17])
    entry = data.index(b"245", 24, base)  # the 245's directory entry
    broken = data[: entry + 7] + b"90000" + data[entry + 12 :]
    books = list(open_marc_source(io.BytesIO(broken), kind="marc").records())
    assert [summary(book) for book in books] == [(1, "", 1), (2, HOBBIT, 0)]
    assert (
        books[0]
        .problems[0]
        .reason.startswith(
            "The record's directory says field 245 is 96 bytes at offset 90000, but no field ends"
        )
    )


def test_bad_indicators() -> None:
    books = read(BROKEN / "marc_bad_indicators.mrc")
    assert [summary(book) for book in books] == [(1, PRIDE, 1), (2, HOBBIT, 0)]
    problem = books[0].problems[0]
    assert problem.reason.startswith("Field 245 does not start with two indicators")
    assert problem.value.startswith("1\\x1faPride and prejudice /")


def test_record_without_245_is_still_a_record() -> None:
    books = read(BROKEN / "marc_no_245.mrc")
    assert [summary(book) for book in books] == [(1, PRIDE, 0), (2, "", 0), (3, HOBBIT, 0)]
    assert books[1].authors == ["J. R. R. Tolkien"]  # the import service reports the title


def test_undecodable_utf8() -> None:
    """Leader/09 says UTF-8, the title holds ISO 8859-1 ("Prédé"): neither UTF-8 nor plausible
    MARC-8 ("Prďe"), so the title is damaged and the record refused."""
    books = read(BROKEN / "marc_bad_utf8.mrc")
    assert [summary(book) for book in books] == [(1, "Pr\ufffdde and prejudice", 1), (2, HOBBIT, 0)]
    (problem,) = books[0].problems
    assert (problem.field, problem.reason) == ("title", DAMAGED_TEXT_REFUSED)
    assert problem.value == "245 $a: undecodable bytes: Pr\ufffdde and prejudice /"


def test_junk_between_records() -> None:
    books = read(BROKEN / "marc_junk_between.mrc")
    assert [summary(book) for book in books] == [(1, PRIDE, 0), (2, "", 1), (3, HOBBIT, 0)]
    assert books[1].problems[0].reason.startswith("The record does not start with its length")
    assert books[1].problems[0].value == "-- sent from my phone\\x1d"


def test_marcxml_broken_in_the_middle() -> None:
    books = read(BROKEN / "marc_xml_broken_mid_file.xml")
    assert [summary(book) for book in books] == [(1, PRIDE, 0), (2, "", 1)]
    assert (
        books[1]
        .problems[0]
        .reason.startswith("The XML is broken here (mismatched tag at line 4, column")
    )


def test_marcxml_bad_indicators() -> None:
    books = read(BROKEN / "marc_xml_bad_indicators.xml")
    assert [summary(book) for book in books] == [(1, PRIDE, 1), (2, HOBBIT, 0)]
    assert books[0].problems[0].reason == (
        "Field 245 has indicators ['10', '0']; each must be one letter, digit or blank."
    )


def test_marc8_record_mislabelled_utf8_is_read_as_utf8() -> None:
    data = (SAMPLES / "loc_utf8.mrc").read_bytes()
    first = data[: data.index(b"\x1d") + 1]
    mislabelled = first[:9] + b" " + first[10:]  # leader/09 blank: "MARC-8"
    (book,) = open_marc_source(io.BytesIO(mislabelled), kind="marc").records()
    assert book.title == PRIDE
    assert book.problems == []
