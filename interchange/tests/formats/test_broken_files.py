"""Broken files: each gives a clear outcome (a SourceError saying what to do, or records carrying
the problem on the right line), never a traceback."""

from __future__ import annotations

import io

import pytest

from interchange.formats import open_catalog_source, open_patron_source
from interchange.records import SourceError
from interchange.tests.formats.conftest import DATA


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "The file is empty"),
        ("whitespace_only.csv", "The file is empty"),
        ("no_title_column.csv", r'No title column: the file\'s header row has "Name", "Writer"'),
        ("pipe_delimited.csv", r'header row has "title\|authors\|isbn"'),
        ("goodreads_no_title.csv", "a goodreads export has a 'Title' column"),
        ("binary_noise.csv", "does not look like a text file"),
        ("png_named.csv", "does not look like a text file"),
        ("workbook_saved_as.csv", r"Excel workbook \(.xlsx\).*Save it as CSV"),
        ("xml_not_marc.xml", "root element is <library>, not MARCXML"),
        ("json_garbage.json", r"not valid JSON \(lexical error"),
        ("json_other_format.json", "'calibre-library' file, not a Shelfmark catalog export"),
        ("json_no_books.json", "no 'books' list"),
        ("json_newer_version.json", "version 2; this Shelfmark reads version 1"),
    ],
)
def test_file_refused_as_a_whole(name, message):
    def read_all(file):
        return list(open_catalog_source(file).records())

    with (DATA / "broken" / name).open("rb") as file, pytest.raises(SourceError, match=message):
        read_all(file)


def test_header_only_gives_no_records(read):
    source, records = read("broken/header_only.csv")
    assert records == []
    assert source.mapping == {"title": "title", "authors": "authors", "isbn": "isbn"}


def problems_by_line(records):
    return {
        record.number: [
            (problem.field, problem.reason, problem.value) for problem in record.problems
        ]
        for record in records
        if record.problems
    }


def test_too_few_columns(read):
    _, records = read("broken/too_few_columns.csv")
    assert [record.number for record in records] == [2, 3, 4]
    assert problems_by_line(records) == {
        3: [
            (
                "",
                "The row has 2 cells where the header has 4: a delimiter or quote may be "
                "missing or extra.",
                "Emma,Jane Austen",
            )
        ]
    }
    assert records[1].title == "Emma"  # still yielded, for the report


def test_too_many_columns_but_trailing_empty_cells_are_harmless(read):
    _, records = read("broken/too_many_columns.csv")
    assert list(problems_by_line(records)) == [3]
    assert problems_by_line(records)[3][0][1].startswith(
        "The row has 4 cells where the header has 3"
    )
    assert records[2].year == "1922"


def test_mixed_delimiters(read):
    source, records = read("broken/mixed_delimiters.csv")
    assert source.mapping == {"title": "title", "authors": "authors", "year": "year"}
    found = problems_by_line(records)
    assert list(found) == [3, 4]
    assert found[3][0][1].startswith("The row has 1 cell where the header has 3")
    assert found[4][0][2] == "Ulysses\tJames Joyce\t1922"
    assert records[3].title == "Beloved"


def test_undecodable_bytes_in_a_utf8_file(read):
    source, records = read("broken/undecodable_in_utf8.csv")
    assert source.encoding == "utf-8"
    assert [record.title for record in records] == ["Les Misérables", "Caf\\xe9 Society", "Ça"]
    assert problems_by_line(records) == {
        3: [
            (
                "",
                "The row has undecodable bytes (shown as \\xNN): the file is not all in one "
                "encoding. Give the right one with --encoding, or fix these characters.",
                "Caf\\xe9 Society,Jane Doe",
            )
        ]
    }


def test_undecodable_bytes_far_into_a_utf8_file():
    # Beyond the sample the encoding is guessed from: the row still gets its problem.
    head = "title,authors\n" + "Les Misérables,Victor Hugo\n" * 5000
    data = head.encode() + b"Caf\xe9,Jane Doe\n" + b"Emma,Jane Austen\n"
    source = open_catalog_source(io.BytesIO(data))
    records = list(source.records())
    assert source.encoding == "utf-8"
    assert len(records) == 5002
    assert list(problems_by_line(records)) == [5002]
    assert records[-1].title == "Emma"


def test_undefined_byte_of_windows_1252(read):
    _, records = read("broken/undefined_cp1252_byte.csv", encoding="cp1252")
    assert [record.title for record in records] == ["Été", "Bad \\x81 byte", "Noël"]
    assert list(problems_by_line(records)) == [3]


def test_truncated_quoted_field(read):
    _, records = read("broken/truncated_quote.csv")
    assert [record.title for record in records] == ["Dune", "Emma"]
    [(_field, reason, value)] = problems_by_line(records)[3]
    assert reason.startswith("A quoted cell in the row starting on line 3 is never closed")
    assert value.startswith("Emma,A matchmaker in\nHighbury")


def test_quoted_cell_ending_in_a_line_break_mid_file_is_fine():
    data = b'title,description\nDune,"ends with a break\n"\nEmma,x\n'
    records = list(open_catalog_source(io.BytesIO(data)).records())
    assert [(record.number, record.problems) for record in records] == [(2, []), (4, [])]


def test_nul_bytes(read):
    _, records = read("broken/nul_bytes.csv")
    assert problems_by_line(records) == {
        3: [
            (
                "",
                "The row has zero bytes (NUL) in it: the file may be damaged or not text.",
                "Em\\x00ma,Jane Austen",
            )
        ]
    }
    assert len(records) == 3


def test_huge_field(read):
    _, records = read("broken/huge_field.csv")
    assert [record.number for record in records] == [2, 3]
    assert (
        records[0]
        .problems[0]
        .reason.startswith("A cell is longer than the 131072 characters a cell may have")
    )
    assert (records[1].title, records[1].problems) == ("Emma", [])


def test_blank_lines_keep_line_numbers(read):
    _, records = read("broken/blank_lines_around.csv")
    assert [(record.number, record.title) for record in records] == [(5, "Dune"), (8, "Emma")]


def test_duplicate_and_empty_headers(read):
    source, records = read("broken/duplicate_and_empty_headers.csv")
    assert source.mapping == {
        "title": "title",
        "(column 2)": "(ignored)",
        "title (column 3)": "title",
        "Bookshelf": "(ignored)",
    }
    # Two title columns: the first one with a value.
    assert [record.title for record in records] == ["Dune", "Emma"]


def test_utf16_without_byte_order_mark(read):
    source, records = read("broken/utf16_without_bom.txt")
    assert source.encoding == "utf-16-le"
    assert [record.title for record in records] == ["Dune", "Émile"]


def test_json_cut_in_half(read):
    _, records = read("broken/json_cut_in_half.json")
    assert [record.number for record in records] == [1, 2]
    assert records[0].problems == []
    assert (
        records[1]
        .problems[0]
        .reason.startswith(
            "The JSON breaks off or is malformed in this book (parse error: premature EOF)"
        )
    )


def test_json_cut_between_books(read):
    _, records = read("broken/json_cut_between_books.json")
    assert [record.title for record in records] == ["Dune", "Emma", ""]
    assert [bool(record.problems) for record in records] == [False, False, True]
    assert records[2].number == 3


def test_json_wrong_types(read):
    _, records = read("broken/json_wrong_types.json")
    assert problems_by_line(records) == {
        1: [
            # In the declared columns' order (interchange.columns).
            ("title", "Expected text here.", "1984"),
            ("authors", "Expected a list of names (text) here.", '"George Orwell"'),
            ("isbn", "Expected text here.", "9780451524935"),
            ("subjects", "Expected a list of names (text) here.", "[1, 2]"),
            ("pages", "Expected a whole number here.", "328.5"),
            ("copies.barcode", "Expected text here.", "42"),
            ("copies", "A copy must be a JSON object.", '"B2"'),
        ],
        2: [("copies", "Copies must be a list.", '{"barcode": "B3"}')],
        3: [("", "A book must be a JSON object.", "just a string")],
    }
    assert records[0].year == "nineteen"  # text: the catalog's rule judges it
    assert records[1].year == "1965"  # 1965.0 is a whole number


def test_json_list_with_a_scalar(read):
    _, records = read("broken/json_scalar.json")
    assert [(record.title, len(record.problems)) for record in records] == [("Dune", 0), ("", 1)]


def test_patrons_without_name_column():
    message = r'No name column: the file\'s header row has "Card"'
    path = DATA / "broken" / "patrons_no_name.csv"
    with path.open("rb") as file, pytest.raises(SourceError, match=message):
        open_patron_source(file)


def test_unknown_format_and_encoding():
    with pytest.raises(
        SourceError, match=r"Unknown format 'xlsx'\. Use one of: auto, csv, goodreads"
    ):
        open_catalog_source(io.BytesIO(b"title\nDune\n"), format="xlsx")
    with pytest.raises(SourceError, match="Unknown text encoding 'klingon'"):
        open_catalog_source(io.BytesIO(b"title\nDune\n"), encoding="klingon")
