"""CSV and JSON exports: their exact shape, streaming, and that they read back through the
readers into records with exactly the exported values."""

from __future__ import annotations

import datetime
import io
import json

import pytest

from interchange.exports import csv_export, json_export
from interchange.formats import open_catalog_source
from interchange.records import BookRecord
from interchange.tests.expected import read_copies, read_values, record_values


def copy(barcode, **fields):
    return {
        "barcode": barcode,
        "call_number": "",
        "location": "",
        "status": "available",
        "loan_type": "normal",
        "acquired_on": None,
        "note": "",
    } | fields


def book(title, **fields):
    return {
        "title": title,
        "subtitle": "",
        "authors": [],
        "isbn": None,
        "publisher": "",
        "year": None,
        "language": "",
        "pages": None,
        "description": "",
        "subjects": [],
        "copies": [],
    } | fields


BOOKS = [
    book(
        "Les Misérables",
        subtitle="Tome I — Fantine",
        authors=["Victor Hugo"],
        isbn="9780140444308",
        publisher="Penguin, Classics",
        year=1862,
        language="fr",
        pages=1463,
        description='Line one,\nline "two"\r\nand three\ttabbed',
        subjects=["France -- History", "Fiction"],
        copies=[
            copy(
                "B1", call_number="843 HUG", location="Main", acquired_on=datetime.date(2020, 1, 2)
            ),
            copy("B2", status="lost", loan_type="reference", note="Water damage;\nkeep"),
        ],
    ),
    book("Smith; Jones & Co. annual", authors=["Smith; Jones & Co.", "A\\B"], subjects=["x;y"]),
    book("=SUM(1)", year=2003, pages=1),
    book("Ça", authors=["Zoë"], language="grc", copies=[copy("B3")]),
]


def expected_records(books, *, one_per_copy):
    """The records the readers must give back for these books."""
    records = []
    for data in books:
        fields, copies = read_values(data), read_copies(data)
        if one_per_copy:
            records += [(fields, [one]) for one in copies] or [(fields, [])]
        else:
            records.append((fields, copies))
    return records


def as_pairs(records: list[BookRecord]):
    assert all(record.problems == [] for record in records)
    return [(record_values(record), record.copies) for record in records]


def read_back(text: str) -> list[BookRecord]:
    source = open_catalog_source(io.BytesIO(text.encode("utf-8")))
    return list(source.records())


def test_csv_header_and_rows():
    text = "".join(csv_export(BOOKS[2:3]))
    assert text == (
        "\ufefftitle,subtitle,authors,isbn,publisher,year,language,subjects,description,pages,"
        "barcode,call_number,location,loan_type,status,acquired_on,note\r\n"
        "'=SUM(1),,,,,2003,,,,1,,,,,,,\r\n"  # a formula guarded: the reader takes the ' off
    )


def test_csv_round_trip():
    text = "".join(csv_export(BOOKS))
    records = read_back(text)
    assert as_pairs(records) == expected_records(BOOKS, one_per_copy=True)
    # Line numbers count the line breaks inside cells: book 1's first row takes 3 lines, its
    # second 4 (the copy's note has one more).
    assert [record.number for record in records] == [2, 5, 9, 10, 11]


def test_json_shape():
    text = "".join(json_export(BOOKS[2:4]))
    assert text == (
        '{"format": "shelfmark-catalog", "version": 1, "books": [\n'
        '{"title":"=SUM(1)","subtitle":"","authors":[],"isbn":null,"publisher":"","year":2003,'
        '"language":"","subjects":[],"description":"","pages":1,"copies":[]},\n'
        '{"title":"Ça","subtitle":"","authors":["Zoë"],"isbn":null,"publisher":"","year":null,'
        '"language":"grc","subjects":[],"description":"","pages":null,"copies":[{"barcode":"B3",'
        '"call_number":"","location":"","loan_type":"normal","status":"available",'
        '"acquired_on":null,"note":""}]}\n'
        "]}\n"
    )
    assert json.loads(text)["books"][1]["authors"] == ["Zoë"]


def test_json_of_no_books():
    assert "".join(json_export([])) == (
        '{"format": "shelfmark-catalog", "version": 1, "books": [\n]}\n'
    )
    assert read_back("".join(json_export([]))) == []


def test_json_round_trip():
    records = read_back("".join(json_export(BOOKS)))
    assert as_pairs(records) == expected_records(BOOKS, one_per_copy=False)
    assert [record.number for record in records] == [1, 2, 3, 4]


def test_key_order_is_fixed_whatever_the_selector_gives():
    shuffled = [dict(reversed(list(BOOKS[0].items())))]
    assert "".join(json_export(shuffled)) == "".join(json_export(BOOKS[:1]))  # type: ignore[arg-type]


@pytest.mark.parametrize("export", [csv_export, json_export])
def test_exports_stream(export):
    produced = 0

    def books():
        nonlocal produced
        for number in range(5000):
            produced += 1
            yield book(f"Book {number}", description="x" * 100, copies=[copy(f"B{number}")])

    chunks = export(books())
    first = next(chunks)
    next(chunks)
    assert produced < 5000  # the first chunks come before the catalog is all read
    assert first
    rest = "".join(chunks)
    assert len(rest) > 100_000
