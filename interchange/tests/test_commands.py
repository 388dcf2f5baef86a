"""The import and export commands: what a librarian types and reads."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from catalog.models import Book, Copy
from interchange.models import ImportRun

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_catalog_says_what_it_read_and_writes_the_error_report(tmp_path):
    report = tmp_path / "errors.csv"

    out = run("import_catalog", str(DATA / "goodreads_library_export.csv"), "--report", str(report))

    assert out.splitlines()[0] == "goodreads_library_export.csv: goodreads, utf-8"
    assert "  ISBN13                     -> isbn" in out
    run_ = ImportRun.objects.get()
    counts = "12 created, 0 updated, 0 skipped (already there), 1 failed"
    assert f"13 records read: {counts} (import {run_.pk})." in out
    assert f"Report: {report}" in out
    rows = list(csv.reader(report.open(encoding="utf-8")))
    assert rows[0] == ["line_or_record", "field", "reason", "value", "severity"]
    assert rows[1][:2] == ["7", "isbn"]
    assert Book.objects.count() == 12


def test_one_record_is_counted_in_the_singular(tmp_path):
    source = tmp_path / "one.csv"
    source.write_text("title\nWalden\n")

    out = run("import_catalog", str(source), "--dry-run")

    assert "Dry run, nothing changed. 1 record read; they would give: 1 created" in out


def test_the_error_report_shows_formulas_as_text_never_runs_them(tmp_path):
    source = tmp_path / "books.csv"
    source.write_text('title,isbn,year\nSum,"=1+2",1999\nLink,9780141439518,"@SUM(A1)"\n')
    report = tmp_path / "errors.csv"

    run("import_catalog", str(source), "--report", str(report))

    rows = list(csv.reader(report.open(encoding="utf-8")))
    assert [(row[0], row[1], row[3]) for row in rows[1:]] == [
        ("2", "isbn", "'=1+2"),
        ("3", "year", "'@SUM(A1)"),
    ]
    assert not any(row[2].startswith(("=", "+", "-", "@")) for row in rows[1:])


def test_a_dry_run_changes_nothing_and_says_so(tmp_path):
    out = run(
        "import_catalog",
        str(DATA / "shelfmark_catalog.csv"),
        "--dry-run",
        "--report",
        str(tmp_path / "r.csv"),
    )

    assert "(dry run: nothing will change)" in out
    assert "Dry run, nothing changed." in out
    assert Book.objects.count() == 0


def test_a_file_that_is_not_a_catalog_is_refused_with_the_readers_words():
    with pytest.raises(CommandError, match="No title column"):
        run("import_catalog", str(DATA / "patrons.csv"))
    with pytest.raises(CommandError, match="Cannot read"):
        run("import_catalog", str(DATA / "no-such-file.csv"))


def test_strict_fails_the_command_and_imports_nothing(tmp_path):
    with pytest.raises(CommandError, match="nothing imported"):
        run(
            "import_catalog",
            str(DATA / "goodreads_library_export.csv"),
            "--strict",
            "--report",
            str(tmp_path / "r.csv"),
        )
    assert Book.objects.count() == 0


@pytest.mark.parametrize("format", ["csv", "json"])
def test_export_import_export_gives_the_same_file(tmp_path, format):
    call_command(
        "import_catalog", str(DATA / "shelfmark_catalog.csv"), stdout=StringIO(), stderr=StringIO()
    )
    first, second = tmp_path / f"first.{format}", tmp_path / f"second.{format}"
    call_command("export_catalog", "--format", format, "--output", str(first), stderr=StringIO())
    Copy.objects.all().delete()
    Book.objects.all().delete()

    call_command("import_catalog", str(first), stdout=StringIO(), stderr=StringIO())
    call_command("export_catalog", "--format", format, "--output", str(second), stderr=StringIO())

    assert first.read_bytes() == second.read_bytes()
    assert Book.objects.count() > 10


def test_a_marcxml_export_reads_back_to_the_same_catalog(tmp_path):
    call_command(
        "import_catalog", str(DATA / "shelfmark_catalog.csv"), stdout=StringIO(), stderr=StringIO()
    )
    marc, before, after = tmp_path / "c.xml", tmp_path / "before.json", tmp_path / "after.json"
    call_command("export_catalog", "--format", "marcxml", "--output", str(marc), stderr=StringIO())
    call_command("export_catalog", "--format", "json", "--output", str(before), stderr=StringIO())
    Copy.objects.all().delete()
    Book.objects.all().delete()

    call_command("import_catalog", str(marc), stdout=StringIO(), stderr=StringIO())
    call_command("export_catalog", "--format", "json", "--output", str(after), stderr=StringIO())

    assert before.read_bytes() == after.read_bytes()


PERL_CSV = (
    "title,subtitle,authors,isbn,pages\n"
    "Perl,the complete reference,Martin C. Brown,9780072126532,1179\n"
    "Perl,programmer's reference,Martin C. Brown,,\n"
)


def test_two_books_with_one_title_and_author_are_two_books_and_reported(tmp_path):
    source = tmp_path / "perl.csv"
    source.write_text(PERL_CSV)

    out = run("import_catalog", str(source), "--report", str(tmp_path / "errors.csv"))

    assert "2 created, 0 updated, 0 skipped (already there), 0 failed" in out
    assert "Warning (1): Possible duplicate of a book already in the catalog" in out
    assert sorted(Book.objects.values_list("subtitle", "isbn")) == [
        ("programmer's reference", None),
        ("the complete reference", "9780072126532"),
    ]


def test_update_leaves_the_other_books_subtitle_and_isbn_alone(tmp_path):
    complete, programmers = tmp_path / "complete.csv", tmp_path / "programmers.csv"
    header, first, second = PERL_CSV.splitlines()
    complete.write_text(f"{header}\n{first}\n")
    programmers.write_text(f"{header}\n{second}\n")
    report = ["--report", str(tmp_path / "errors.csv")]
    run("import_catalog", str(complete), *report)

    out = run("import_catalog", str(programmers), "--on-duplicate", "update", *report)

    assert "1 created, 0 updated, 0 skipped" in out
    book = Book.objects.get(isbn="9780072126532")
    assert (book.subtitle, book.pages) == ("the complete reference", 1179)


HOLDINGS_CSV = "title,call_number,location\nEmma,823.7 AUS,Stacks\nDune,SF HER,\n"


def test_holdings_without_barcodes_come_in_without_copies_by_default(tmp_path):
    source = tmp_path / "holdings.csv"
    source.write_text(HOLDINGS_CSV)
    report = tmp_path / "errors.csv"

    out = run("import_catalog", str(source), "--report", str(report))

    assert "2 created" in out
    assert "Warning (2): Holding without a barcode: no copy made (import with --barcodes" in out
    assert Book.objects.count() == 2
    assert Copy.objects.count() == 0
    rows = list(csv.reader(report.open(encoding="utf-8")))
    assert rows[1][3:] == ["call number 823.7 AUS, location Stacks", "warning"]


def test_barcodes_generate_makes_copies_once_however_often_the_file_is_run(tmp_path):
    source = tmp_path / "holdings.csv"
    source.write_text(HOLDINGS_CSV)
    report = ["--report", str(tmp_path / "errors.csv")]

    out = run("import_catalog", str(source), "--barcodes", "generate:main-", *report)
    again = run("import_catalog", str(source), "--barcodes", "generate:MAIN-", *report)

    assert "Warning (2): Barcode generated for a holding without one" in out
    assert ImportRun.objects.first().options["barcodes"] == "generate:MAIN-"
    assert sorted(Copy.objects.values_list("barcode", "book__title", "call_number")) == [
        ("MAIN-000001", "Emma", "823.7 AUS"),
        ("MAIN-000002", "Dune", "SF HER"),
    ]
    assert "0 created, 0 updated, 2 skipped" in again


@pytest.mark.parametrize("option", ["generated", "generate:", "generate:A B"])
def test_a_bad_barcodes_option_is_refused_with_the_reason(tmp_path, option):
    source = tmp_path / "holdings.csv"
    source.write_text(HOLDINGS_CSV)

    with pytest.raises(CommandError, match="--barcodes"):
        run("import_catalog", str(source), "--barcodes", option)

    assert ImportRun.objects.count() == 0
