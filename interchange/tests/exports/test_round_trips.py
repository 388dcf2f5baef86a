"""Export, import into an empty catalog, export again: the same file, with cells a spreadsheet
would run as formulas guarded in CSV (and read back to their values), and each book's subjects
in its own order in every format."""

from __future__ import annotations

import csv
import io
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from catalog.models import Book, Copy
from interchange.cells import FORMULA_STARTS

pytestmark = pytest.mark.django_db

# As a hostile or careless file gives them: formulas, a negative year, a lone hyphen, and
# subjects in an order no sorting gives.
SOURCE = (
    "title,authors,publisher,year,language,subjects,description,barcode,call_number,note\n"
    '=SUM(A1),@Evil Author; -Dash,+BC2,-300,grc,Zoology; Art; -Minus,"-",B1,-12,-\n'
    # A guarded cell ("'=x") holds "=x": a value that starts "'=" is written with two.
    "'tis Pity,Ford,''=quoted,1633,eng,Drama; Cats,'plain,B2,,''-\n"
)


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    source = tmp_path / "source.csv"
    source.write_text(SOURCE, encoding="utf-8")
    call_command("import_catalog", str(source), stdout=StringIO(), stderr=StringIO())
    assert Book.objects.count() == 2
    return tmp_path


def export(path: Path, format: str) -> bytes:
    call_command("export_catalog", "--format", format, "--output", str(path), stderr=StringIO())
    return path.read_bytes()


def reimport(path: Path) -> None:
    Copy.objects.all().delete()
    Book.objects.all().delete()
    call_command("import_catalog", str(path), stdout=StringIO(), stderr=StringIO())


def subjects_of(title: str) -> list[str]:
    book = Book.objects.get(title=title)
    return list(
        Book.subjects.through.objects.filter(book=book)
        .order_by("id")
        .values_list("subject__name", flat=True)
    )


def test_the_csv_export_guards_formulas_and_reads_them_back(catalog):
    first = export(catalog / "first.csv", "csv")

    rows = list(csv.reader(io.StringIO(first.decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    assert rows[1][:6] == ["'=SUM(A1)", "", "'@Evil Author; -Dash", "", "'+BC2", "'-300"]
    assert rows[1][-1] == "'-"  # a lone hyphen in a note
    # An apostrophe of the value's own stays; one before a formula character gets another.
    assert rows[2][0] == "'tis Pity"
    assert rows[2][4] == "''=quoted"
    assert rows[2][-1] == "''-"

    reimport(catalog / "first.csv")

    assert Book.objects.get(publisher="+BC2").title == "=SUM(A1)"
    assert Book.objects.get(title="'tis Pity").publisher == "'=quoted"
    assert Copy.objects.get(barcode="B1").note == "-"
    assert Copy.objects.get(barcode="B2").note == "'-"
    assert Book.objects.get(title="=SUM(A1)").year == -300
    assert export(catalog / "second.csv", "csv") == first


@pytest.mark.parametrize("format", ["csv", "json", "marcxml"])
def test_subjects_keep_the_books_order_through_every_format(catalog, format):
    before_json = export(catalog / "before.json", "json")
    assert subjects_of("=SUM(A1)") == ["Zoology", "Art", "-Minus"]
    first = export(catalog / f"first.{format}", format)
    assert first.index(b"Zoology") < first.index(b"Art") < first.index(b"Minus")

    reimport(catalog / f"first.{format}")

    assert subjects_of("=SUM(A1)") == ["Zoology", "Art", "-Minus"]
    assert export(catalog / f"second.{format}", format) == first
    assert export(catalog / "after.json", "json") == before_json


def test_json_is_not_guarded(catalog):
    text = export(catalog / "catalog.json", "json").decode()
    assert '"title":"=SUM(A1)"' in text
    assert '"language":"en"' in text  # "eng" in the file: stored as MARC stores it


def test_the_api_csv_export_guards_formulas(catalog, staff_client):
    response = staff_client.get("/api/v1/export/?format=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == "'=SUM(A1)"
    assert not [cell for row in rows[1:] for cell in row if cell.startswith(FORMULA_STARTS)]
