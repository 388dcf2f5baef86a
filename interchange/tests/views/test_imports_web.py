"""The staff website's imports (interchange/views/imports.py): upload → preview (a dry run the
worker makes; run at once here) → confirm → done, refused files, who may, progress, stalled
runs, the error report and the list."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from catalog.models import Book, Copy
from circulation.models import Patron
from circulation.tests.factories import PatronCategoryFactory
from interchange.models import ImportKind, ImportProblem, ImportRun, ImportStatus
from interchange.views import imports as views
from shelfmark.tests.test_csp import SITE_POLICY, assert_no_inline_code, policy

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data"
GOODREADS = DATA / "goodreads_library_export.csv"
NEW = "/staff/imports/new/"
LIST = "/staff/imports/"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _media_and_tasks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # The worker's part runs at once, inside the request (the real worker has its own test in
    # interchange/tests/test_tasks.py).
    settings.TASKS = IMMEDIATE


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def user_with(username: str, *, staff: bool = True, permissions: tuple[str, ...] = ()):
    user = get_user_model().objects.create_user(username=username, is_staff=staff)
    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def librarian():
    user = get_user_model().objects.create_user(username="desk", is_staff=True)
    user.groups.add(Group.objects.get(name="Librarians"))
    return user


@pytest.fixture
def desk(librarian) -> Client:
    return client_for(librarian)


def upload(path: Path, *, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="text/csv")


def post_file(client: Client, path: Path, **fields):
    data = {"kind": "catalog", "format": "auto", "encoding": "", "on_duplicate": "skip"}
    data.update(fields)
    return client.post(NEW, {**data, "file": upload(path)})


def report_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


# --- Upload → preview → confirm → done --------------------------------------------------------


def test_upload_preview_confirm_and_done(desk, librarian, settings):
    assert desk.get(NEW).status_code == 200

    response = post_file(desk, GOODREADS)

    preview = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/staff/imports/{preview.pk}/"
    # The dry run ran (in the worker): counted, nothing changed.
    assert preview.status == ImportStatus.DONE
    assert preview.options == {
        "on_duplicate": "skip",
        "barcodes": "",
        "dry_run": True,
        "strict": False,
        "format": "auto",
        "encoding": "",
    }
    assert (preview.records, preview.created, preview.updated, preview.failed) == (13, 12, 0, 1)
    assert (preview.format, preview.encoding) == ("goodreads", "utf-8")
    assert preview.mapping["ISBN13"] == "isbn"
    assert preview.mapping["Bookshelves"] == "(ignored)"
    assert preview.created_by == librarian
    assert preview.source_name == "goodreads_library_export.csv"
    assert Book.objects.count() == 0
    assert [p.read_bytes() for p in stored_files(settings)] == [GOODREADS.read_bytes()]

    page = desk.get(f"/staff/imports/{preview.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Preview of goodreads_library_export.csv" in html
    assert "goodreads, utf-8" in html
    assert "Would be created</th><td>12</td>" in html
    assert "Would fail</th><td>1</td>" in html
    assert "13 records read; they would give:" in html
    assert "The record with problems will be left out; fix it in the file" in html
    assert "1 problem." in html
    assert "<td>Author l-f</td><td>(ignored)</td>" in html
    assert "has a wrong check digit" in html  # the first problems, listed
    assert "Confirm import" in html
    assert 'http-equiv="refresh"' not in html  # finished: no more refreshing

    report = desk.get(f"/staff/imports/{preview.pk}/errors.csv")
    assert report["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="goodreads_library_export.errors.csv"' in report["Content-Disposition"]
    rows = report_rows(report)
    assert rows[0] == ["line_or_record", "field", "reason", "value", "severity"]
    assert rows[1:] == [
        [
            "7",
            "isbn",
            "'9789044621645' has a wrong check digit: check it was typed correctly.",
            "9789044621645",
            "error",
        ]
    ]

    confirmed = desk.post(f"/staff/imports/{preview.pk}/confirm/")

    run = ImportRun.objects.get()
    assert confirmed.status_code == 302
    assert confirmed["Location"] == f"/staff/imports/{run.pk}/"
    assert run.pk != preview.pk  # the preview made way for the real run
    assert run.file.name == preview.file.name  # the same stored file
    assert run.options["dry_run"] is False
    assert run.status == ImportStatus.DONE
    assert (run.records, run.created, run.updated, run.failed) == (13, 12, 0, 1)
    assert Book.objects.count() == 12
    assert run.problems.count() == 1

    html = desk.get(f"/staff/imports/{run.pk}/").content.decode()
    assert "Import of goodreads_library_export.csv" in html
    assert "Created</th><td>12</td>" in html
    assert "Confirm import" not in html
    assert "Download the report (CSV)" in html
    assert report_rows(desk.get(f"/staff/imports/{run.pk}/errors.csv"))[1][:2] == ["7", "isbn"]


def test_update_and_an_explicit_format_and_encoding_are_kept_for_the_real_run(desk):
    post_file(desk, DATA / "latin1.csv", format="csv", encoding="latin-1", on_duplicate="update")
    preview = ImportRun.objects.get()
    assert preview.status == ImportStatus.DONE, preview.message
    assert (preview.format, preview.encoding) == ("csv", "iso8859-1")  # the codec's own name

    desk.post(f"/staff/imports/{preview.pk}/confirm/")

    run = ImportRun.objects.get()
    assert run.options["on_duplicate"] == "update"
    assert (run.options["format"], run.options["encoding"]) == ("csv", "latin-1")
    assert run.created == preview.created > 0
    assert Book.objects.count() == preview.created


def test_holdings_without_barcodes_get_generated_ones_when_asked(desk, tmp_path):
    holdings = tmp_path / "holdings.csv"
    holdings.write_text("title,call_number,location\nEmma,823.7 AUS,Stacks\nDune,SF HER,\n")

    post_file(desk, holdings, barcodes="generate", barcode_prefix="br-")
    preview = ImportRun.objects.get()
    html = desk.get(f"/staff/imports/{preview.pk}/").content.decode()
    desk.post(f"/staff/imports/{preview.pk}/confirm/")

    assert preview.options["barcodes"] == "generate:BR-"
    assert "copies with new barcodes (BR-000001, …)" in html
    assert "Barcode generated for a holding without one" in html
    run = ImportRun.objects.get()
    assert run.options["barcodes"] == "generate:BR-"
    assert sorted(Copy.objects.values_list("barcode", "book__title")) == [
        ("BR-000001", "Emma"),
        ("BR-000002", "Dune"),
    ]


def test_by_default_holdings_without_barcodes_are_listed_not_copied(desk, tmp_path):
    holdings = tmp_path / "holdings.csv"
    holdings.write_text("title,call_number\nEmma,823.7 AUS\n")

    post_file(desk, holdings)
    preview = ImportRun.objects.get()
    html = desk.get(f"/staff/imports/{preview.pk}/").content.decode()

    assert preview.options["barcodes"] == ""
    assert (preview.created, preview.failed, preview.warnings) == (1, 0, 1)
    assert "no copy; listed in the report" in html
    assert "Holding without a barcode: no copy made" in html


def test_a_bad_barcode_prefix_is_refused_on_the_form(desk, tmp_path):
    holdings = tmp_path / "holdings.csv"
    holdings.write_text("title,call_number\nEmma,823.7 AUS\n")

    response = post_file(desk, holdings, barcodes="generate", barcode_prefix="A/B")

    assert response.status_code == 400
    assert "letters A to Z, digits and hyphens only" in response.content.decode()
    assert ImportRun.objects.count() == 0


def test_cancel_deletes_the_preview_and_its_file(desk, settings):
    post_file(desk, GOODREADS)
    preview = ImportRun.objects.get()
    assert stored_files(settings)

    response = desk.post(f"/staff/imports/{preview.pk}/cancel/")

    assert response.status_code == 302
    assert response["Location"] == LIST
    assert not ImportRun.objects.exists()
    assert not ImportProblem.objects.exists()
    assert stored_files(settings) == []
    assert Book.objects.count() == 0


def test_a_confirmed_run_cannot_be_confirmed_or_cancelled(desk):
    post_file(desk, GOODREADS)
    desk.post(f"/staff/imports/{ImportRun.objects.get().pk}/confirm/")
    run = ImportRun.objects.get()

    again = desk.post(f"/staff/imports/{run.pk}/confirm/", follow=True)
    cancel = desk.post(f"/staff/imports/{run.pk}/cancel/", follow=True)

    assert "This is an import, not a preview" in again.content.decode()
    assert "Only a preview can be cancelled" in cancel.content.decode()
    assert ImportRun.objects.get() == run
    assert Book.objects.count() == 12  # imported once


def test_a_preview_not_finished_cannot_be_confirmed(desk):
    preview = ImportRun.objects.create(
        source_name="x.csv", status=ImportStatus.RUNNING, options={"dry_run": True}
    )
    preview.last_progress_at = timezone.now()
    preview.save()

    response = desk.post(f"/staff/imports/{preview.pk}/confirm/", follow=True)

    assert "Only a finished preview can be confirmed" in response.content.decode()
    assert ImportRun.objects.get() == preview


# --- Refused files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        ("no_title_column.csv", "No title column"),
        ("empty.csv", "The submitted file is empty"),  # Django's own check
        ("whitespace_only.csv", "The file is empty. Check that you chose the right file."),
        ("binary_noise.csv", "This does not look like a text file"),
        ("xml_not_marc.xml", "not MARCXML"),
        # Refused at the first record, not when opened.
        ("json_newer_version.json", "This catalog export has version 2"),
        ("marc_xml_external_entity.xml", "declares a document type"),
    ],
)
def test_a_file_the_reader_refuses_is_refused_on_the_form(desk, settings, sample, message):
    response = post_file(desk, DATA / "broken" / sample)

    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert 'class="errors"' in html
    assert not ImportRun.objects.exists()
    assert stored_files(settings) == []


def test_the_readers_whole_message_is_shown(desk):
    html = post_file(desk, DATA / "broken" / "no_title_column.csv").content.decode()

    assert "the file&#x27;s header row has &quot;Name&quot;, &quot;Writer&quot;" in html


def test_an_unknown_encoding_is_refused_on_the_form(desk):
    response = post_file(desk, GOODREADS, encoding="klingon-8")

    assert response.status_code == 400
    assert (
        "&#x27;klingon-8&#x27; is not a text encoding Shelfmark knows" in response.content.decode()
    )
    assert not ImportRun.objects.exists()


def test_an_unknown_format_or_missing_file_is_refused(desk):
    response = desk.post(NEW, {"kind": "catalog", "format": "excel", "on_duplicate": "skip"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert "This field is required" in response.content.decode()


def test_a_file_over_the_limit_is_refused_before_it_is_read(desk, settings):
    settings.IMPORT_MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("big.csv", b"title\n" + b"A book\n" * 200_000)  # 1.4 MB

    response = desk.post(NEW, {"kind": "catalog", "format": "auto", "file": big})

    assert response.status_code == 413
    assert "the website takes files of up to 1 MB" in response.content.decode()
    assert not ImportRun.objects.exists()
    assert stored_files(settings) == []


def test_a_file_just_over_the_limit_is_refused_by_the_form(desk, settings):
    settings.IMPORT_MAX_UPLOAD_MB = 1
    limit = 1024 * 1024
    just_over = SimpleUploadedFile("big.csv", b"title\n" + b"x" * (limit - 1))

    response = desk.post(
        NEW, {"kind": "catalog", "format": "auto", "on_duplicate": "skip", "file": just_over}
    )

    assert response.status_code == 400
    assert "The file is 1.0 MB; the website takes files of up to 1 MB" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_a_patron_file_goes_through_preview_and_confirm(desk):
    for name in ("Adult", "Staff", "Child"):
        PatronCategoryFactory(name=name)

    post_file(desk, DATA / "patrons.csv", kind="patrons")
    preview = ImportRun.objects.get()
    assert (preview.kind, preview.status, preview.created) == ("patrons", "done", 4)
    assert Patron.objects.count() == 0
    html = desk.get(f"/staff/imports/{preview.pk}/").content.decode()
    assert "Preview of patrons.csv" in html
    assert "<td>Card Number</td><td>card_number</td>" in html
    assert "Books already in the catalog" not in html

    desk.post(f"/staff/imports/{preview.pk}/confirm/")

    run = ImportRun.objects.get()
    assert (run.kind, run.status, run.created) == ("patrons", "done", 4)
    assert Patron.objects.count() == 4


# --- Who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [LIST, NEW, "/staff/imports/{run}/", "/staff/imports/{run}/errors.csv"]
)
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    run = ImportRun.objects.create(source_name="x.csv")

    response = client.get(path.format(run=run.pk))

    assert response.status_code == 302
    assert response["Location"].startswith("/account/sign-in/?next=/staff/imports/")


@pytest.mark.parametrize(
    ("staff", "permissions"),
    [
        (False, ()),  # a patron's login
        (False, ("catalog.add_book", "catalog.add_copy")),  # not staff, whatever its rights
        (True, ()),
        (True, ("catalog.add_book",)),  # books without copies is not enough
        (True, ("catalog.add_copy", "catalog.change_book")),
    ],
)
def test_accounts_without_the_permissions_get_a_page_that_says_why(staff, permissions):
    client = client_for(user_with("someone", staff=staff, permissions=permissions))
    run = ImportRun.objects.create(source_name="x.csv")

    for path in (LIST, NEW, f"/staff/imports/{run.pk}/", f"/staff/imports/{run.pk}/errors.csv"):
        response = client.get(path)
        html = response.content.decode()
        assert response.status_code == 403, path
        assert "Not for this account" in html
        assert "catalog.add_book" in html
        assert "catalog.add_copy" in html
    assert client.post(f"/staff/imports/{run.pk}/cancel/").status_code == 403
    assert ImportRun.objects.filter(pk=run.pk).exists()


def test_staff_with_the_catalog_rights_see_catalog_imports_only():
    client = client_for(
        user_with("cataloguer", permissions=("catalog.add_book", "catalog.add_copy"))
    )
    books = ImportRun.objects.create(source_name="books.csv", kind=ImportKind.CATALOG)
    patrons = ImportRun.objects.create(source_name="members.csv", kind=ImportKind.PATRONS)

    listing = client.get(LIST).content.decode()
    form = client.get(NEW).content.decode()
    patron_page = client.get(f"/staff/imports/{patrons.pk}/")

    assert "books.csv" in listing
    assert "members.csv" not in listing
    assert 'value="patrons"' not in form
    assert client.get(f"/staff/imports/{books.pk}/").status_code == 200
    assert patron_page.status_code == 403
    assert "circulation.add_patron" in patron_page.content.decode()


def test_the_librarian_sees_both_kinds_and_the_navigation_link(desk):
    form = desk.get(NEW).content.decode()
    home = desk.get("/").content.decode()

    assert 'value="catalog"' in form
    assert 'value="patrons"' in form
    assert 'href="/staff/imports/">Imports</a>' in home


def test_patrons_and_anonymous_visitors_get_no_navigation_link(client, patron_user):
    assert "/staff/imports/" not in client.get("/").content.decode()
    assert "/staff/imports/" not in client_for(patron_user).get("/").content.decode()


def test_an_unknown_run_is_a_404(desk):
    assert desk.get("/staff/imports/999999/").status_code == 404
    assert desk.post("/staff/imports/999999/confirm/").status_code == 404


# --- Progress, stalled runs ---------------------------------------------------------------------


# The test's ``runs_alive``: running_run's RUNNING runs have a live process, as in real use.
_alive: list[Callable[[ImportRun], ImportRun]] = []


@pytest.fixture(autouse=True)
def _runs_alive(runs_alive):
    _alive.append(runs_alive)
    yield
    _alive.pop()


def running_run(**fields) -> ImportRun:
    now = timezone.now()
    values = {
        "source_name": "big.mrc",
        "status": ImportStatus.RUNNING,
        "size": 4000,
        "bytes_read": 1000,
        "records": 300,
        "created": 250,
        "skipped": 40,
        "failed": 10,
        "started_at": now,
        "last_progress_at": now,
        "options": {"dry_run": False, "on_duplicate": "skip"},
    }
    values.update(fields)
    run = ImportRun.objects.create(**values)
    return _alive[-1](run) if run.status == ImportStatus.RUNNING else run


def test_a_running_run_shows_its_progress_and_refreshes_itself(desk):
    run = running_run()

    response = desk.get(f"/staff/imports/{run.pk}/")
    html = response.content.decode()

    assert '<progress id="progress-bar" max="100" value="25">' in html
    assert 'records read: <span data-field="records">300</span>;' in html
    assert '<span data-field="created">250</span> created' in html
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    assert 'src="/static/interchange/imports.js"' in html
    assert f'data-url="/staff/imports/{run.pk}/progress/"' in html
    assert "Confirm import" not in html
    assert policy(response) == SITE_POLICY
    assert_no_inline_code(response)


def test_the_progress_endpoint_reads_the_run_row(desk):
    run = running_run()

    first = desk.get(f"/staff/imports/{run.pk}/progress/")
    ImportRun.objects.filter(pk=run.pk).update(bytes_read=3000, records=900)
    second = desk.get(f"/staff/imports/{run.pk}/progress/").json()

    assert first["Cache-Control"] == "no-store"
    assert first.json() == {
        "id": run.pk,
        "status": "running",
        "status_label": "Running",
        "finished": False,
        "stalled": False,
        "abandoned": False,
        "bytes_read": 1000,
        "size": 4000,
        "percent": 25,
        "records": 300,
        "created": 250,
        "updated": 0,
        "skipped": 40,
        "failed": 10,
        "warnings": 0,
        "message": "",
    }
    assert (second["percent"], second["records"]) == (75, 900)


def test_counts_on_a_finished_runs_page_are_proper_plurals(desk):
    finished = {"status": ImportStatus.DONE, "finished_at": timezone.now()}
    one = running_run(records=1, created=0, skipped=0, failed=1, **finished)
    ImportProblem.objects.create(run=one, number=2, reason="no title")
    many = running_run(records=40, created=37, skipped=0, failed=3, **finished)
    for number in (2, 5, 9):
        ImportProblem.objects.create(run=many, number=number, reason="no title")
    for run in (one, many):
        run.options["dry_run"] = True
        run.save()

    html = desk.get(f"/staff/imports/{one.pk}/").content.decode()
    assert "1 record read; they would give:" in html
    assert "1 problem." in html
    assert "The record with problems will be left out; fix it in the file" in html
    html = desk.get(f"/staff/imports/{many.pk}/").content.decode()
    assert "40 records read; they would give:" in html
    assert "3 problems." in html
    assert "The 3 records with problems will be left out; fix them in the file" in html


def test_dates_on_the_imports_pages_are_the_sites_short_format(desk):
    uploaded = datetime.datetime(2026, 12, 27, 14, 5, tzinfo=datetime.UTC)
    run = running_run()
    ImportRun.objects.filter(pk=run.pk).update(created_at=uploaded)

    assert "Sun 27 Dec 2026 14:05" in desk.get(LIST).content.decode()
    assert "<dd>Sun 27 Dec 2026 14:05" in desk.get(f"/staff/imports/{run.pk}/").content.decode()


def test_a_queued_run_of_unknown_size_shows_a_bar_without_a_value(desk):
    run = running_run(status=ImportStatus.QUEUED, size=None, bytes_read=0, records=0)

    html = desk.get(f"/staff/imports/{run.pk}/").content.decode()

    assert '<progress id="progress-bar" max="100">working</progress>' in html
    assert "Waiting for the worker" in html


def test_a_run_whose_worker_ended_is_stalled_at_once_and_runs_again(desk):
    run = running_run(status=ImportStatus.QUEUED)
    run.file.save("goodreads.csv", ContentFile(GOODREADS.read_bytes()))
    # As a killed worker left it: running, and no process holds its lock (interchange.run_locks).
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.RUNNING)

    html = desk.get(f"/staff/imports/{run.pk}/").content.decode()
    assert "Stalled: run it again" in html
    assert "The worker running it stopped before it finished." in html
    assert "Nothing has moved" not in html
    progress = desk.get(f"/staff/imports/{run.pk}/progress/").json()
    assert (progress["stalled"], progress["abandoned"]) == (True, True)

    assert desk.post(f"/staff/imports/{run.pk}/run-again/").status_code == 302
    run.refresh_from_db()
    assert (run.status, run.records, run.created) == (ImportStatus.DONE, 13, 12)


def test_a_stalled_run_says_so_and_runs_again_from_the_start(desk, librarian):
    long_ago = timezone.now() - datetime.timedelta(minutes=20)
    run = running_run(last_progress_at=long_ago, started_at=long_ago)
    run.file.save("goodreads.csv", ContentFile(GOODREADS.read_bytes()))
    ImportProblem.objects.create(run=run, number=3, reason="left from the dead run")

    html = desk.get(f"/staff/imports/{run.pk}/").content.decode()
    assert "Stalled: run it again" in html
    assert "Nothing has moved for 15 minutes: the worker running it has probably stopped" in html
    assert 'http-equiv="refresh"' not in html
    assert desk.get(f"/staff/imports/{run.pk}/progress/").json()["stalled"] is True
    assert "stalled" in desk.get(LIST).content.decode()

    response = desk.post(f"/staff/imports/{run.pk}/run-again/")

    run.refresh_from_db()
    assert response.status_code == 302
    assert run.status == ImportStatus.DONE
    # Counted again from the top, not added to the dead run's counts.
    assert (run.records, run.created, run.failed) == (13, 12, 1)
    assert list(run.problems.values_list("number", flat=True)) == [7]
    assert Book.objects.count() == 12


def test_a_run_that_moves_cannot_be_run_again(desk):
    run = running_run()

    response = desk.post(f"/staff/imports/{run.pk}/run-again/", follow=True)

    assert "can be run again" in response.content.decode()
    run.refresh_from_db()
    assert (run.status, run.records) == (ImportStatus.RUNNING, 300)


def test_a_failed_run_shows_its_message_and_runs_again(desk):
    run = running_run(status=ImportStatus.FAILED, message="The uploaded file is no longer there.")

    html = desk.get(f"/staff/imports/{run.pk}/").content.decode()

    assert "The import stopped" in html
    assert "The uploaded file is no longer there." in html
    assert "Run it again" in html
    desk.post(f"/staff/imports/{run.pk}/run-again/")
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED  # still no file: failed again, not stuck
    assert "no longer on the server" in run.message


# --- The error report ---------------------------------------------------------------------------


def test_the_error_report_streams_every_problem(desk):
    run = running_run(status=ImportStatus.DONE, source_name="Old Catalog (2019).csv")
    ImportProblem.objects.bulk_create(
        ImportProblem(run=run, number=n, field="year", reason=f"bad year {n}", value=f'="{n}"')
        for n in range(2, 5002)
    )
    ImportProblem.objects.create(run=running_run(), number=1, reason="another run's")

    response = desk.get(f"/staff/imports/{run.pk}/errors.csv")

    assert response.streaming
    assert 'filename="old-catalog-2019.errors.csv"' in response["Content-Disposition"]
    rows = report_rows(response)
    assert len(rows) == 1 + 5000
    # A value a spreadsheet would run as a formula is shown as text (a leading apostrophe).
    assert rows[1] == ["2", "year", "bad year 2", '\'="2"', "error"]
    assert rows[-1] == ["5001", "year", "bad year 5001", '\'="5001"', "error"]


def test_a_run_without_problems_has_an_empty_report(desk):
    run = running_run(status=ImportStatus.DONE)

    assert report_rows(desk.get(f"/staff/imports/{run.pk}/errors.csv")) == [
        ["line_or_record", "field", "reason", "value", "severity"]
    ]
    assert "No problems." in desk.get(f"/staff/imports/{run.pk}/").content.decode()


# --- The list -----------------------------------------------------------------------------------


def test_the_list_shows_who_when_what_and_the_counts_newest_first(desk, librarian):
    older = running_run(status=ImportStatus.DONE, source_name="older.csv", created_by=librarian)
    newer = running_run(
        status=ImportStatus.DONE, source_name="newer.csv", options={"dry_run": True}
    )

    response = desk.get(LIST)
    html = response.content.decode()

    assert response.status_code == 200
    assert html.index("newer.csv") < html.index("older.csv")
    assert f'href="/staff/imports/{newer.pk}/">newer.csv</a> <span class="muted">(preview)' in html
    assert f'href="/staff/imports/{older.pk}/">older.csv</a></th>' in html
    assert '<td data-label="Who">desk</td>' in html
    assert '<td data-label="Created">250</td>' in html
    assert "preview ready" in html
    assert_no_inline_code(response)


def test_the_list_is_paged(desk, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for number in range(5):
        running_run(status=ImportStatus.DONE, source_name=f"file-{number}.csv")

    first = desk.get(LIST)
    names = [f"file-{n}.csv" for n in range(5)]
    html = first.content.decode()
    assert [name in html for name in names] == [False, False, False, True, True]
    older = first.context["next_url"]
    second = desk.get(older).content.decode()
    assert [name in second for name in names] == [False, True, True, False, False]
    assert desk.get(LIST, {"cursor": "garbage"}).status_code == 302


def test_the_list_reads_in_a_fixed_number_of_queries(desk, librarian, django_assert_num_queries):
    for number in range(2):
        running_run(status=ImportStatus.DONE, source_name=f"{number}.csv", created_by=librarian)
    desk.get(LIST)  # the session and the user's permissions, cached on the request anyway

    with django_assert_num_queries(5) as few:
        desk.get(LIST)
    for number in range(20):
        running_run(
            status=ImportStatus.DONE, source_name=f"more-{number}.csv", created_by=librarian
        )
    with django_assert_num_queries(len(few.captured_queries)):
        desk.get(LIST)


def test_an_empty_list_invites_to_import(desk):
    html = desk.get(LIST).content.decode()

    assert "No imports yet." in html


# --- Content-Security-Policy --------------------------------------------------------------------


def test_the_pages_have_the_site_policy_and_no_inline_code(desk):
    post_file(desk, GOODREADS)
    preview = ImportRun.objects.get()

    for path in (NEW, LIST, f"/staff/imports/{preview.pk}/"):
        response = desk.get(path)
        assert policy(response) == SITE_POLICY, path
        assert_no_inline_code(response)
    refused = post_file(desk, DATA / "broken" / "empty.csv")
    assert_no_inline_code(refused)


def test_a_long_file_name_is_kept_for_people_and_shortened_for_storage(desk, settings):
    name = "catalogue-" + "x" * 180 + ".csv"
    content = GOODREADS.read_bytes()

    desk.post(
        NEW,
        {
            "kind": "catalog",
            "format": "auto",
            "on_duplicate": "skip",
            "file": SimpleUploadedFile(name, content),
        },
    )

    run = ImportRun.objects.get()
    assert run.source_name == name
    assert run.file.name is not None
    assert len(run.file.name) <= 100
    assert run.file.name.endswith(".csv")
    assert run.status == ImportStatus.DONE
