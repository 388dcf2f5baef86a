"""interchange.tasks.execute_import (and the service it wraps, execution.import_execute): a
queued run is claimed once, read from the stored file and finished DONE or FAILED with a
message, never left RUNNING."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connections
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from catalog.models import Book
from circulation.models import Patron
from circulation.tests.factories import PatronCategoryFactory
from interchange import tasks
from interchange.models import ImportKind, ImportRun, ImportStatus
from interchange.services import execution, imports, uploads

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent / "data"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def queued(sample: str | None, *, kind: str = ImportKind.CATALOG, **options) -> ImportRun:
    run = ImportRun(
        kind=kind,
        source_name=sample or "gone.csv",
        options={"dry_run": False, "on_duplicate": "skip", "format": "auto", **options},
    )
    if sample is not None:
        content = (DATA / sample).read_bytes()
        run.size = len(content)
        run.file.save(Path(sample).name, ContentFile(content), save=False)
    run.save()
    return run


def run_now(run: ImportRun) -> ImportRun:
    tasks.execute_import.call(run.pk)
    run.refresh_from_db()
    return run


def test_a_queued_run_is_imported_from_its_stored_file():
    run = queued("goodreads_library_export.csv")

    result = tasks.execute_import.call(run.pk)

    run.refresh_from_db()
    assert run.status == ImportStatus.DONE
    assert (run.records, run.created, run.failed) == (13, 12, 1)
    assert run.bytes_read == run.size
    assert run.mapping["Title"] == "title"
    assert run.started_at is not None
    assert run.finished_at is not None
    assert run.last_progress_at is not None
    assert run.last_progress_at >= run.started_at
    assert Book.objects.count() == 12
    assert result == {
        "run": run.pk,
        "status": "done",
        "records": 13,
        "created": 12,
        "updated": 0,
        "skipped": 0,
        "failed": 1,
        "warnings": 0,
        "message": "",
    }


def test_each_batch_tells_the_run_is_alive(monkeypatch):
    monkeypatch.setattr(imports, "BATCH_SIZE", 4)
    seen = []
    heartbeat = execution._heartbeat

    def spy(run):
        heartbeat(run)
        seen.append(ImportRun.objects.values_list("records", "last_progress_at").get(pk=run.pk))

    monkeypatch.setattr(execution, "_heartbeat", spy)

    run_now(queued("goodreads_library_export.csv"))

    assert [records for records, _ in seen] == [4, 8, 12, 13]
    times = [at for _, at in seen]
    assert None not in times
    assert times == sorted(at for at in times if at is not None)


def test_a_run_is_run_once_whatever_the_number_of_tasks():
    run = queued("goodreads_library_export.csv")
    run_now(run)

    second = tasks.execute_import.call(run.pk)

    assert second == {"run": run.pk, "status": "not queued"}
    assert ImportRun.objects.get(pk=run.pk).records == 13
    assert tasks.execute_import.call(987654) == {"run": 987654, "status": "not queued"}


def test_a_run_another_process_holds_is_not_run_here(runs_alive, caplog):
    run = runs_alive(queued("goodreads_library_export.csv"))
    # Another worker's thread, as far as the lock is concerned: this test's thread holds it.
    outcome: list[dict] = []

    def another_worker() -> None:
        try:
            outcome.append(tasks.execute_import.call(run.pk))
        finally:
            connections.close_all()

    thread = threading.Thread(target=another_worker)

    with caplog.at_level(logging.WARNING, logger="interchange.services.execution"):
        thread.start()
        thread.join(60)

    assert outcome == [{"run": run.pk, "status": "not queued"}]
    assert ImportRun.objects.get(pk=run.pk).status == ImportStatus.QUEUED
    assert f"Import {run.pk} is held by another process: not run here." in caplog.messages


def test_a_missing_file_fails_the_run_with_a_message():
    run = queued("goodreads_library_export.csv")
    run.file.storage.delete(str(run.file.name))

    run = run_now(run)

    assert run.status == ImportStatus.FAILED
    assert "The uploaded file is no longer on the server" in run.message
    assert run.finished_at is not None


def test_a_run_without_a_file_fails_too():
    run = run_now(queued(None))

    assert run.status == ImportStatus.FAILED
    assert "Upload the file again" in run.message


def test_a_file_the_reader_refuses_fails_the_run_with_the_readers_message():
    run = run_now(queued("broken/no_title_column.csv"))

    assert run.status == ImportStatus.FAILED
    assert run.message.startswith("No title column: the file's header row has")


def test_a_file_broken_further_in_fails_with_the_readers_message():
    # (The upload form reads the first record too; a file stored otherwise meets the reader's
    # refusal only here.)
    run = run_now(queued("broken/json_newer_version.json"))

    assert run.status == ImportStatus.FAILED
    assert run.message.startswith("This catalog export has version 2")
    assert "records were read before; fix the file and upload it again" in run.message
    assert "Interrupted" not in run.message


def test_a_crash_fails_the_run_and_the_task(monkeypatch):
    def crash(source, run, importer, **kwargs):
        run.status = ImportStatus.RUNNING
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(execution, "import_records", crash)
    run = queued("goodreads_library_export.csv")

    with pytest.raises(RuntimeError):
        tasks.execute_import.call(run.pk)

    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert "unexpected error" in run.message


def test_a_crash_inside_the_import_service_keeps_its_message(monkeypatch):
    def broken_batch(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(imports, "books_import_checked", broken_batch)
    run = queued("goodreads_library_export.csv")

    with pytest.raises(RuntimeError):
        tasks.execute_import.call(run.pk)

    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert "(RuntimeError: disk on fire)" in run.message


def test_patron_runs_go_to_the_patron_service():
    for name in ("Adult", "Staff", "Child"):
        PatronCategoryFactory(name=name)

    run = run_now(queued("patrons.csv", kind=ImportKind.PATRONS))

    assert run.status == ImportStatus.DONE, run.message
    assert (run.records, run.created, run.failed) == (4, 4, 0)
    assert sorted(Patron.objects.values_list("card_number", flat=True)) == [
        "P0001",
        "P0002",
        "P0003",
        "P0004",
    ]
    assert run.mapping["Card Number"] == "card_number"


# --- With the real worker ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_runs_an_uploaded_preview(settings):
    # The project's backend: the task waits in the database until a worker takes it.
    upload = SimpleUploadedFile(
        "catalog.csv", (DATA / "shelfmark_catalog.csv").read_bytes(), content_type="text/csv"
    )
    run = uploads.import_preview_create(
        upload=upload, kind="catalog", format="auto", encoding="", on_duplicate="skip", user=None
    )
    assert ImportRun.objects.get(pk=run.pk).status == ImportStatus.QUEUED
    assert DBTaskResult.objects.get().task_path == "interchange.tasks.execute_import"

    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)

    run.refresh_from_db()
    assert run.status == ImportStatus.DONE, run.message
    assert run.records > 0
    assert run.created > 0
    assert Book.objects.count() == 0  # a preview
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL


def test_the_immediate_backend_runs_a_preview_at_once(settings):
    settings.TASKS = IMMEDIATE
    upload = SimpleUploadedFile("catalog.csv", (DATA / "shelfmark_catalog.csv").read_bytes())

    run = uploads.import_preview_create(
        upload=upload, kind="catalog", format="auto", encoding="", on_duplicate="skip", user=None
    )

    run.refresh_from_db()
    assert run.status == ImportStatus.DONE
    assert run.options["dry_run"] is True
