"""The real layouts of other programs' exports, read from sample files."""

from __future__ import annotations

import io

import pytest

from interchange.formats.tabular import first_last
from interchange.languages import catalog_code


def test_goodreads_export(read):
    source, records = read("goodreads_library_export.csv")
    assert (source.format, source.encoding) == ("goodreads", "utf-8")
    assert source.mapping["Author l-f"] == "(ignored)"
    assert source.mapping["ISBN13"] == "isbn"
    assert source.mapping["Bookshelves"] == "(ignored)"
    assert len(records) == 13
    good_omens = records[2]
    assert good_omens.number == 4
    assert good_omens.title == (
        "Good Omens: The Nice and Accurate Prophecies of Agnes Nutter, Witch"
    )
    assert good_omens.authors == ["Terry Pratchett", "Neil Gaiman"]
    assert good_omens.isbn == "9780060853983"  # ISBN13 preferred, ="…" unwrapped
    assert (good_omens.publisher, good_omens.year, good_omens.pages) == (
        "William Morrow",
        "2006",
        "432",
    )
    sicp = records[6]
    assert sicp.authors == ["Harold Abelson", "Gerald Jay Sussman", "Julie Sussman"]
    # The series stays in the title, as given.
    assert records[4].title == "The Hobbit (The Lord of the Rings, #0)"
    # "Year Published" empty: the original publication year.
    assert records[3].year == "1924"
    no_isbn = records[12]
    assert (no_isbn.title, no_isbn.isbn, no_isbn.authors) == ("Subcutanean", "", ["Aaron A. Reed"])
    assert all(record.problems == [] and record.copies == [] for record in records)


@pytest.mark.parametrize("name", ["librarything_export.csv", "librarything_export.tsv"])
def test_librarything_export(read, name):
    source, records = read(name)
    assert source.format == "librarything"
    assert source.mapping["Publication"] == "publisher, year"
    assert source.mapping["Summary"] == "(ignored)"
    assert len(records) == 12
    miserables = records[0]
    assert miserables.number == 2
    assert miserables.authors == ["Victor Hugo"]
    assert miserables.isbn == "014044430X"
    assert (miserables.publisher, miserables.year, miserables.pages) == (
        "Penguin Classics",
        "1982",
        "1463",
    )
    assert miserables.language == "fr"
    assert miserables.subjects == [
        "France > History > 19th century > Fiction",
        "Paris (France) > Fiction",
        "classics",
        "favourites",
    ]
    [copy] = miserables.copies
    assert (copy.barcode, copy.call_number, copy.acquired_on) == ("LT1000", "843.8", "2019-01-10")
    sicp = records[6]
    assert sicp.authors == ["Harold Abelson", "Gerald Jay Sussman", "Julie Sussman"]
    assert sicp.language == "en"  # "English, French": the first
    # A call number without a barcode is a holding all the same: a copy with barcode "", for
    # the import to decide on (generate a barcode, or keep no copy and say so).
    [holding] = records[1].copies
    assert (holding.barcode, holding.call_number, holding.acquired_on) == (
        "",
        "863.64",
        "2019-02-11",
    )
    assert records[9].language == "pl"
    assert all(record.problems == [] for record in records)


def test_librarything_classic_export(read):
    source, records = read("librarything_classic.csv")
    assert source.format == "librarything"
    assert source.mapping["'AUTHOR (last, first)'"] == "authors"
    first = records[0]
    assert (first.title, first.authors, first.isbn) == (
        "Les Misérables",
        ["Victor Hugo"],
        "014044430X",
    )
    assert (first.publisher, first.year, first.pages) == ("Penguin Classics", "1982", "1463")
    assert first.subjects == ["classics", "fiction"]
    # The classic export has no barcodes: its call number makes a holding without one.
    assert [(copy.barcode, copy.call_number) for copy in first.copies] == [("", "843.8")]


def test_libib_export(read):
    source, records = read("libib_export.csv")
    assert source.format == "libib"
    assert source.mapping["first_name"] == "(ignored)"
    assert len(records) == 12
    good_omens = records[2]
    assert good_omens.authors == ["Terry Pratchett", "Neil Gaiman"]
    assert (
        good_omens.description
        == "The world will end on Saturday. Next Saturday.\nJust before dinner."
    )
    assert good_omens.subjects == []
    assert records[0].subjects == ["classics", "fiction"]
    assert records[1].year == "2009"  # from publish_date 2009-02-15
    assert records[5].isbn == "9044621647"  # no ean_isbn13: upc_isbn10
    assert records[3].pages == "1008"  # "length"
    # A multi-line description: the next record's line number counts both lines.
    assert [record.number for record in records[2:4]] == [4, 6]


def test_our_csv(read):
    source, records = read("shelfmark_catalog.csv")
    assert source.format == "csv"
    assert set(source.mapping.values()) == set(source.mapping)  # every column is ours
    assert len(records) == 15
    first, second = records[:2]
    assert first.title == second.title == "Les Misérables"
    assert [first.copies[0].barcode, second.copies[0].barcode] == ["C1000", "C2000"]
    assert second.copies[0].note == "Donated copy"
    assert second.copies[0].loan_type == "reference"
    assert first.copies[0].acquired_on == "2021-09-01"
    assert first.subjects == ["Fiction", "Classics"]
    assert records[3].authors == ["Terry Pratchett", "Neil Gaiman"]


@pytest.mark.parametrize(
    ("name", "encoding", "count", "title"),
    [
        (
            "excel_semicolon_cp1252_en.csv",
            "cp1252",
            10,
            "Le “Petit Prince” \u2013 édition illustrée",
        ),
        ("excel_unicode_text.txt", "utf-16", 14, "ノルウェイの森"),
        ("utf8_bom.csv", "utf-8-sig", 6, "Cien años de soledad"),
        ("latin1.csv", "cp1252", 8, "Ça"),
    ],
)
def test_encodings_and_delimiters(read, name, encoding, count, title):
    source, records = read(name)
    assert source.encoding == encoding
    assert len(records) == count
    assert title in [record.title for record in records]
    assert all(record.problems == [] for record in records)
    assert all(record.authors for record in records)


def test_excel_file_last_row_keeps_its_euro_sign(read):
    _, records = read("excel_semicolon_cp1252_en.csv")
    assert records[-1].title == "Ökonomie für Einsteiger \u2013 5 €"
    assert records[-1].authors == ["Jürgen Müller"]


def test_headers_in_another_language_are_refused_with_the_columns_found(read):
    from interchange.records import SourceError

    with pytest.raises(SourceError, match=r'header row has "Titel", "Autor", "ISBN"'):
        read("excel_semicolon_cp1252.csv")


def test_given_encoding_wins(read):
    source, records = read("latin1.csv", encoding="latin-1")
    assert source.encoding == "iso8859-1"
    assert records[0].title == "Les Misérables"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Austen, Jane", "Jane Austen"),
        ("King, Martin Luther, Jr.", "Martin Luther King Jr."),
        ("Library of Congress", "Library of Congress"),
        ("Tolkien, J. R. R.", "J. R. R. Tolkien"),
    ],
)
def test_first_last(name, expected):
    assert first_last(name) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("English", "en"),
        ("french", "fr"),
        ("Ancient Greek (to 1453)", "grc"),
        ("en", "en"),
        ("grc", "grc"),
        ("Klingonese", "Klingonese"),
        ("", ""),
        # Codes as MARC stores them: the same language whatever the format.
        ("eng", "en"),
        ("fre", "fr"),
        ("fra", "fr"),
        ("GER", "de"),
        ("und", ""),
        ("sh", "sh"),  # a withdrawn code: kept for the catalog's rule to judge
    ],
)
def test_language_names_and_codes_become_the_catalogs_codes(value, expected):
    assert catalog_code(value) == expected


def test_storygraph_export(read):
    source, records = read("storygraph_export.csv")
    assert source.format == "storygraph"
    assert source.mapping["ISBN/UID"] == "isbn"
    for ignored in ("Format", "Read Status", "Moods", "Owned?", "Star Rating", "Review"):
        assert source.mapping[ignored] == "(ignored)"
    good_omens, bombadil, pixelnix, sicp, wells = records
    assert good_omens.authors == ["Terry Pratchett", "Neil Gaiman"]  # "A, B": two authors
    assert good_omens.isbn == "9780060853983"
    assert good_omens.subjects == ["fantasy", "humour"]
    assert bombadil.authors == ["J.R.R. Tolkien", "Pauline Baynes"]  # the role left out
    assert pixelnix.isbn == ""  # an Amazon ASIN is no ISBN: the book comes in without one
    assert sicp.authors == ["Harold Abelson", "Gerald Jay Sussman", "Julie Sussman"]
    assert sicp.isbn == "0-262-51087-1"
    assert wells.isbn == ""
    assert all(record.copies == [] and record.problems == [] for record in records)
    assert all(record.warnings == [] for record in records)


def test_calibre_catalog(read):
    source, records = read("calibre_catalog.csv")
    assert source.format == "calibre"
    assert (source.mapping["pubdate"], source.mapping["tags"]) == ("year", "subjects")
    assert source.mapping["author_sort"] == source.mapping["formats"] == "(ignored)"
    good_omens, miserables, scan = records
    assert good_omens.authors == ["Terry Pratchett", "Neil Gaiman"]  # " & " between authors
    assert (good_omens.year, good_omens.language) == ("2006", "en")  # pubdate, "eng"
    assert good_omens.subjects == ["Fantasy", "Humour", "Fiction"]  # tags with commas
    assert good_omens.description.startswith("The world will end")
    assert miserables.isbn == "9780140444308"  # no isbn column value: the identifiers'
    assert (miserables.language, miserables.year) == ("fr", "1982")
    assert miserables.subjects == ["Classics", "France -- History"]
    assert (scan.year, scan.isbn, scan.authors) == ("", "", ["Unknown"])  # calibre's "no date"
    assert all(record.copies == [] and record.problems == [] for record in records)


def test_openreads_export(read):
    source, records = read("openreads_export.csv")
    assert source.format == "openreads"
    for ignored in ("status", "notes", "my_review", "book_format", "readings", "olid"):
        assert source.mapping[ignored] == "(ignored)"
    good_omens, cien, zauberberg = records
    assert good_omens.subtitle == "The Nice and Accurate Prophecies of Agnes Nutter"
    assert good_omens.authors == ["Terry Pratchett", "Neil Gaiman"]
    assert good_omens.subjects == ["fantasy", "humour"]  # "fantasy|||||humour"
    assert (good_omens.isbn, good_omens.year, good_omens.pages) == ("9780060853983", "2006", "432")
    assert cien.authors == ["Gabriel García Márquez"]
    assert zauberberg.subjects == ["klassiker"]
    # "notes" and "status" are the reader's: no copy, and no copy refused for want of a barcode.
    assert all(record.copies == [] and record.problems == [] for record in records)
    assert all(record.warnings == [] for record in records)


def test_bookwyrm_export(read):
    source, records = read("bookwyrm_export.csv")
    assert source.format == "bookwyrm"
    assert source.mapping["shelf"] == source.mapping["shelf_name"] == "(ignored)"
    solaris, good_omens, chinese = records
    assert (solaris.authors, solaris.isbn) == (["Stanisław Lem"], "9780156027601")
    assert (good_omens.authors, good_omens.isbn) == (
        ["Terry Pratchett", "Neil Gaiman"],
        "0060853980",
    )
    assert (chinese.title, chinese.authors, chinese.isbn) == ("我穿我自己", ["琅俨"], "")
    assert all(record.copies == [] and record.problems == [] for record in records)


def test_a_reading_apps_shelf_status_and_notes_make_no_copies(read):
    # The reproduction: every row failed with "A copy needs a barcode".
    source, records = read("reading_list.csv")
    assert source.format == "csv"
    assert [source.mapping[name] for name in ("Shelf", "Status", "Notes")] == ["(ignored)"] * 3
    assert [record.title for record in records] == ["Walden", "Dune", "Middlemarch", "Beloved"]
    assert all(record.copies == [] for record in records)
    assert all(record.problems == [] and record.warnings == [] for record in records)


def read_text(text: str):
    from interchange.formats import open_catalog_source

    source = open_catalog_source(io.BytesIO(text.encode()))
    return source, list(source.records())


def test_a_holding_without_a_barcode_is_a_copy_with_barcode_blank():
    _, [located, numbered, status_only, nothing] = read_text(
        "title,barcode,call_number,location,status,note\n"
        "A,,,Main hall,,\n"
        "B,,823 AUS,,lost,\n"
        "C,,,,lost,Water damage\n"
        "D,,,,,\n"
    )
    assert [(copy.barcode, copy.location) for copy in located.copies] == [("", "Main hall")]
    assert [(c.barcode, c.call_number, c.status) for c in numbered.copies] == [
        ("", "823 AUS", "lost")
    ]
    # A status and a note alone say where no copy is: no copy, a warning says what was left.
    assert status_only.copies == []
    assert status_only.problems == []
    [warning] = status_only.warnings
    assert warning.reason.startswith("Copy details without a barcode, call number or location")
    assert warning.value == "status: lost; note: Water damage"
    assert nothing.copies == nothing.warnings == []


def test_languages_are_read_as_marc_stores_them_in_every_format():
    _, records = read_text("title,language\nA,eng\nB,fre\nC,French\nD,grc\nE,und\n")
    assert [record.language for record in records] == ["en", "fr", "fr", "grc", ""]
    _, [record] = read_text('{"books": [{"title": "A", "language": "ger"}]}')
    assert record.language == "de"


def test_cells_an_export_guarded_are_read_to_their_values():
    _, [record] = read_text(
        "title,authors,publisher,year,note,barcode\n'=SUM(A1),'@Evil,'+BC2,'-300,''-,B1\n"
    )
    assert (record.title, record.authors, record.publisher, record.year) == (
        "=SUM(A1)",
        ["@Evil"],
        "+BC2",
        "-300",
    )
    assert record.copies[0].note == "'-"
    _, [own] = read_text("title,publisher\n'tis Pity,'plain\n")  # an apostrophe of its own
    assert (own.title, own.publisher) == ("'tis Pity", "'plain")
