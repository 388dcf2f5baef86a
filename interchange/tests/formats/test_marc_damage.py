"""MARC files as other systems write them, damage and all (tests/data/marc, made by
make_samples.py): holdings without barcodes, damaged fields the import does not read, text
that pymarc's decoder would lose in silence, encodings declared wrongly, and files that are not
MARC 21. Each with its exact outcome at the reader: what goes in, what is a problem (the record
is refused), what is a warning (it goes in, and the report says so)."""

# Russian, Greek and Czech text is what these tests are about: no Latin look-alikes.
# ruff: noqa: RUF001

from __future__ import annotations

import io
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pymarc import Field, Indicators, MARCReader, Record, Subfield

from catalog.models import Book
from interchange.formats import open_catalog_source, sniff_format
from interchange.formats.integrity import guess_cyrillic, text_damage
from interchange.formats.marc import open_marc_source
from interchange.marc.damage import (
    CYRILLIC_ASSUMED,
    DAMAGED_FIELD_UNUSED,
    DAMAGED_TEXT_KEPT,
    DAMAGED_TEXT_REFUSED,
    DAMAGED_TEXT_UNUSED,
    ENCODING_ASSUMED,
)
from interchange.marc.decoding import MARC8, UTF8
from interchange.marc.marc8 import decode_marc8
from interchange.records import BookRecord, SourceError

SAMPLES = Path(__file__).parent.parent / "data" / "marc"


def read(name: str, encoding: str | None = None) -> list[BookRecord]:
    with (SAMPLES / name).open("rb") as file:
        return list(open_catalog_source(file, encoding=encoding).records())


def reasons(problems: list) -> list[tuple[str, str, bool]]:
    return [(p.field, p.reason, p.refused_when_strict) for p in problems]


# --- holdings without barcodes, a damaged field not read (a Library of Congress file) -------


def test_loc_records_with_a_broken_752_and_holdings_without_barcode_all_come_in() -> None:
    books = read("loc_holdings_broken_752.mrc")
    assert [(b.title, b.authors) for b in books] == [
        ("Les misérables", ["Victor Hugo"]),
        ("Germinal", ["Émile Zola"]),
        ("Notre-Dame de Paris", ["Victor Hugo"]),
    ]
    assert [b.problems for b in books] == [[], [], []]
    # The 852 has $b (sublocation) and $h (call number) but no $p: a copy with barcode "".
    assert [(c.barcode, c.call_number, c.location) for b in books for c in b.copies] == [
        ("", "PQ2286 .M5 1998", "c-GenColl"),
        ("", "PQ2504 .G4 1998", "c-GenColl"),
        ("", "PQ2286 .N6 1998", "c-GenColl"),
    ]
    for book in books:
        (warning,) = book.warnings
        assert (warning.field, warning.reason, warning.refused_when_strict) == (
            "",
            DAMAGED_FIELD_UNUSED,
            False,
        )
        assert warning.value.startswith("752: it does not start with two indicators")


def test_pymarc_alone_reads_the_broken_752_without_a_word() -> None:
    """What the reader adds: pymarc keeps the field and says nothing (but a log line)."""
    with (SAMPLES / "loc_holdings_broken_752.mrc").open("rb") as file:
        record = next(iter(MARCReader(file, to_unicode=True)))
    assert record is not None
    assert record["752"] is not None


# --- text that pymarc's MARC-8 decoder loses in silence ------------------------------------


def test_marc8_bad_escape_in_the_title_refuses_the_record() -> None:
    """ "linnéenne" would become "linneenne" with pymarc: the loss is found and the record
    refused, since a mangled title would enter the catalog and its searches."""
    book = read("marc8_bad_escapes.mrc")[0]
    assert book.title == "Bulletin mensuel de la Société linn\ufffdéenne de Lyon"
    assert book.publisher == "Société linnéenne"  # the escape spoils only the subfield it is in
    assert reasons(book.problems) == [("title", DAMAGED_TEXT_REFUSED, False)]
    assert book.problems[0].value.startswith(
        "245 $a: an escape sequence that names no character set (1b 29 e2): Bulletin mensuel"
    )


def test_marc8_accent_with_nothing_after_it_in_the_publisher_is_a_warning_strict_refuses() -> None:
    book = read("marc8_bad_escapes.mrc")[1]
    assert (book.title, book.publisher) == ("Annales de la Société botanique", "La Sociét\ufffd")
    assert book.problems == []
    assert reasons(book.warnings) == [("publisher", DAMAGED_TEXT_KEPT, True)]
    assert book.warnings[0].value == (
        "260 $b: an accent with no letter after it, at the end: La Sociét\ufffd"
    )


def test_marc8_control_byte_in_a_note_not_read_is_a_warning_only() -> None:
    book = read("marc8_bad_escapes.mrc")[2]
    assert (book.title, book.problems) == ("Revue horticole", [])
    assert reasons(book.warnings) == [("", DAMAGED_TEXT_UNUSED, False)]
    assert book.warnings[0].value == "500 $a: control byte 0x07: Bell\ufffd here."


@pytest.mark.parametrize(
    ("marc8", "text", "damage"),
    [
        (b"Garc\xe2ia M\xe2arquez", "García Márquez", []),
        (b"\x1b(NLEW\x1b(B Tolsto\xe2i", "лев Tolstoí", []),  # Cyrillic set by escape
        (b"H\x1bb2\x1bsO", "H₂O", []),  # subscript
        (b"\x1b$1!0@!3T\x1b(B", "乎刈", []),  # East Asian, three bytes a character
        (b"\xebt\xecsar", "t\ufe20s\ufe21ar", []),  # ligature halves (romanized Cyrillic)
        (b"linn\x1b)\xe2eenne", "linn\ufffdéenne", ["names no character set (1b 29 e2)"]),
        (b"Soci\xe2et\xe2", "Sociét\ufffd", ["an accent with no letter after it"]),
        (b"a\x07b", "a\ufffdb", ["control byte 0x07"]),
        (b"a\xcfb", "a\ufffdb", ["0xcf is no character of the current set"]),
        (b"a\x1b$1!0", "a\ufffd", ["an East Asian character cut short"]),
        (b"a\x88b\x89c", "abc", []),  # non-sort markers: MARC-8 controls, no text
    ],
)
def test_marc8_decoder_says_what_it_lost(marc8: bytes, text: str, damage: list[str]) -> None:
    decoded = decode_marc8(marc8)
    assert decoded.text == text
    assert len(decoded.damage) == len(damage)
    for found, expected in zip(decoded.damage, damage, strict=True):
        assert expected in found


# --- encodings declared wrongly ------------------------------------------------------------


def test_marc8_record_labelled_utf8_is_read_as_marc8_with_a_warning() -> None:
    (book,) = read("marc8_labelled_utf8.mrc")
    assert (book.title, book.authors, book.publisher) == (
        "Cien años de soledad",
        ["Gabriel García Márquez"],
        "Cátedra",
    )
    assert book.problems == []
    assert reasons(book.warnings) == [("", ENCODING_ASSUMED[MARC8], False)]


def test_utf8_record_labelled_marc8_is_read_as_utf8_with_a_warning() -> None:
    data = (SAMPLES / "loc_utf8.mrc").read_bytes()
    starts = [0] + [at + 1 for at in range(len(data)) if data[at] == 0x1D]
    cien = data[starts[2] : starts[3]]  # "Cien años de soledad", with accents
    (book,) = open_marc_source(io.BytesIO(cien[:9] + b" " + cien[10:]), kind="marc").records()
    assert (book.title, book.publisher, book.problems) == ("Cien años de soledad", "Cátedra", [])
    assert reasons(book.warnings) == [("", ENCODING_ASSUMED[UTF8], False)]


@pytest.mark.parametrize(
    ("name", "code_page"),
    [
        ("russian_cp1251_labelled_marc8.mrc", "Windows-1251 (Cyrillic)"),
        ("russian_cp866_labelled_marc8.mrc", "DOS 866 (Cyrillic)"),
    ],
)
def test_russian_records_in_a_code_page_labelled_marc8_are_read_in_it(
    name: str, code_page: str
) -> None:
    """Not a string of stray accents (what MARC-8 makes of them): Russian, with a warning that
    --strict turns into a refusal, since the code page is a guess."""
    books = read(name)
    assert [(b.title, b.subtitle, b.authors, b.publisher, b.subjects) for b in books] == [
        (
            "Война и мир",
            "роман в четырех томах",
            ["Лев Николаевич Толстой"],
            "Художественная литература",
            ["Русская литература -- 19 век"],
        ),
        (
            "Преступление и наказание",
            "",
            ["Федор Михайлович Достоевский"],
            "Наука",
            ["Русская литература"],
        ),
    ]
    for book in books:
        assert book.problems == []
        assert reasons(book.warnings) == [("", CYRILLIC_ASSUMED, True)]
        assert book.warnings[0].value == f"read as {code_page}; leader/09 says MARC-8"


def test_encoding_given_for_a_binary_marc_file_is_honoured() -> None:
    """The person importing knows the file: every record is read in it, with no guess."""
    books = read("russian_cp1251_labelled_marc8.mrc", encoding="cp1251")
    assert [b.title for b in books] == ["Война и мир", "Преступление и наказание"]
    assert [(b.problems, b.warnings) for b in books] == [([], []), ([], [])]
    (marc8,) = read("marc8_labelled_utf8.mrc", encoding="MARC-8")
    assert (marc8.title, marc8.warnings) == ("Cien años de soledad", [])


def test_a_wrong_encoding_given_is_still_checked() -> None:
    books = read("russian_cp1251_labelled_marc8.mrc", encoding="marc8")
    assert [reasons(b.problems)[0][1] for b in books] == [DAMAGED_TEXT_REFUSED] * 2


def test_an_unknown_encoding_given_for_a_binary_marc_file_is_refused_in_words() -> None:
    with pytest.raises(SourceError, match="Unknown text encoding 'klingon'"):
        read("loc_marc8.mrc", encoding="klingon")


def marc8_labelled(encoding: str, title: str, author: str, publisher: str) -> bytes:
    """A record whose text is in ``encoding`` and whose leader says MARC-8."""
    record = Record(leader="00000cam  2200000 a 4500", to_unicode=False)
    for tag, code, value in (("100", "a", author), ("245", "a", title), ("260", "b", publisher)):
        as_bytes = value.encode(encoding).decode("latin-1")  # pymarc writes str as Latin-1
        subfields = [Subfield(code, as_bytes)]
        record.add_field(Field(tag=tag, indicators=Indicators("1", " "), subfields=subfields))
    return record.as_marc()


@pytest.mark.parametrize(
    ("encoding", "title", "author", "publisher"),
    [
        ("cp1253", "Ο πόλεμος της Τροίας", "Καζαντζάκης, Νίκος", "Εκδόσεις Καζαντζάκη"),
        ("cp1250", "Příliš žluťoučký kůň", "Čapek, Karel", "Československý spisovatel"),
    ],
)
def test_text_in_a_code_page_that_is_not_cyrillic_is_refused(
    encoding: str, title: str, author: str, publisher: str
) -> None:
    """Neither UTF-8, nor readable MARC-8, nor plainly Cyrillic (Greek read as KOI8-R gives
    Cyrillic letters, in a case no one writes): the title is refused, never imported as soup."""
    data = marc8_labelled(encoding, title, author, publisher)
    (book,) = open_marc_source(io.BytesIO(data), kind="marc").records()
    assert ("title", DAMAGED_TEXT_REFUSED, False) in reasons(book.problems)
    assert not any(w.reason == CYRILLIC_ASSUMED for w in book.warnings)


def test_guess_cyrillic_and_text_damage() -> None:
    assert guess_cyrillic("ВОЙНА И МИР".encode("koi8_r")) == "koi8_r"
    assert guess_cyrillic("Société linnéenne".encode("latin-1")) is None  # "Sociйtй" mixes
    assert guess_cyrillic(b"plain ASCII") is None
    assert text_damage("℗ \u030b\u030c\u0309\u0315 \u0308") == [
        "accents on no letter",
        "accents stacked three and more",
    ]
    assert text_damage("Tiếng Việt, ligature t\ufe20s\ufe21") == []
    assert text_damage("a\x1b(Nb") == ["control characters"]


# --- files --------------------------------------------------------------------------------


def test_leader_ending_4504_is_marc() -> None:
    head = (SAMPLES / "leader_4504.mrc").read_bytes()
    assert head[20:24] == b"4504"
    assert sniff_format(head) == "marc"
    (book,) = read("leader_4504.mrc")
    assert (book.title, book.problems) == ("Pride and prejudice", [])


def test_empty_marcxml_collection_is_zero_records() -> None:
    """What the MARCXML export of an empty catalog writes."""
    assert read("empty_collection.xml") == []


def test_unimarc_is_refused_in_a_few_words() -> None:
    with pytest.raises(SourceError) as raised:
        read("unimarc_cp866.mrc")
    assert str(raised.value).startswith("This file looks like UNIMARC")
    assert len(str(raised.value)) < 300


def test_marc_like_file_without_a_marc_leader_is_refused_in_a_few_words() -> None:
    """Read as text, its header "row" would be the whole file, quoted back in the message."""
    with pytest.raises(SourceError) as raised:
        read("unimarc_cp866_blank_leader_counts.mrc")
    message = str(raised.value)
    assert message.startswith("This file holds MARC-like records (ISO 2709")
    assert "'00" in message
    assert len(message) < 300


# --- through the command -------------------------------------------------------------------


def import_catalog(*args: str) -> str:
    out = StringIO()
    call_command("import_catalog", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_command_with_encoding_for_a_binary_marc_file(tmp_path: Path) -> None:
    """`import_catalog --encoding cp1251 file.mrc` reads the file in it (no traceback)."""
    report = tmp_path / "report.csv"
    path = str(SAMPLES / "russian_cp1251_labelled_marc8.mrc")
    out = import_catalog(path, "--encoding", "cp1251", "--report", str(report))
    assert "russian_cp1251_labelled_marc8.mrc: marc, cp1251" in out
    assert set(Book.objects.values_list("title", flat=True)) == {
        "Война и мир",
        "Преступление и наказание",
    }
    with pytest.raises(CommandError, match="Unknown text encoding 'klingon'"):
        import_catalog(path, "--encoding", "klingon")


@pytest.mark.django_db
def test_command_strict_refuses_a_guessed_code_page_and_imports_nothing() -> None:
    path = str(SAMPLES / "russian_cp1251_labelled_marc8.mrc")
    with pytest.raises(CommandError, match=r"Stopped \(--strict\), nothing imported"):
        import_catalog(path, "--strict")
    assert not Book.objects.exists()
    out = import_catalog(path)  # without --strict: in, with the warning summed up
    assert Book.objects.count() == 2
    assert "plainly in a Cyrillic code page" in out


@pytest.mark.django_db
def test_command_imports_an_empty_marcxml_export() -> None:
    out = import_catalog(str(SAMPLES / "empty_collection.xml"))
    assert "empty_collection.xml: marcxml" in out
    assert not Book.objects.exists()
