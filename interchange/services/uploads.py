"""Imports from the staff website: an uploaded file becomes a preview (a dry run, run by the
background worker), which staff confirm as the real import or cancel.

The life of an upload:

- ``import_preview_create`` stores the file (default storage, under MEDIA_ROOT, which web and
  worker containers share) and queues a dry run of it (``ImportRun`` with ``dry_run``).
- The worker runs ``import_execute`` (``interchange.tasks.run_import``): it claims the queued
  run, opens the stored file with the format and encoding asked for, and runs the import
  service, which saves counts and progress on the run after each batch, so the run's page can
  show them while it goes on.
- ``import_confirm`` turns a finished preview into the real run (the same stored file, the same
  options but ``dry_run``) and queues it; the preview's row goes, its file stays with the run.
  ``import_cancel`` deletes a preview and its file.
- A run whose worker died stays RUNNING; ``import_requeue`` starts it again from the start,
  which is safe because imports match what is already in the catalog instead of adding it again.

A run and its task are queued in one transaction: with the database task backend the task's
row commits with the run's, so a worker never sees one without the other.
"""

from __future__ import annotations

import datetime
import importlib
import importlib.util
import logging
import os
from collections.abc import Callable
from typing import Any, BinaryIO, cast

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from interchange.formats import open_catalog_source, open_patron_source
from interchange.models import ImportKind, ImportRun, ImportStatus
from interchange.records import SourceError
from interchange.selectors import STALLED_AFTER, run_is_stalled
from interchange.services.imports import catalog_import
from shelfmark.errors import Conflict
from shelfmark.transactions import lock_row

logger = logging.getLogger(__name__)

PATRON_SERVICE = "interchange.services.patrons"

ImportService = Callable[..., ImportRun]


def patron_imports_available() -> bool:
    """Whether this version has the patron import service (it arrives on its own branch)."""
    return importlib.util.find_spec(PATRON_SERVICE) is not None


def import_source_open(
    file: BinaryIO, *, kind: str, format: str, encoding: str | None, size: int | None
) -> Any:
    """The file opened by the reader for ``kind``; ``SourceError`` when it refuses the file as a
    whole (the message says why, for a librarian). Reads only the file's first bytes."""
    if kind == ImportKind.PATRONS:
        return open_patron_source(file, encoding=encoding, size=size)
    return open_catalog_source(file, format=format, encoding=encoding, size=size)


def import_source_check(
    file: BinaryIO, *, kind: str, format: str, encoding: str | None, size: int | None
) -> None:
    """Raise ``SourceError`` if the reader refuses the file as a whole: when opening it (format,
    encoding, header) or at its first record (a JSON export of another version, a MARCXML
    doctype). Bad records further in are the preview's to list, not a refusal."""
    source = import_source_open(file, kind=kind, format=format, encoding=encoding, size=size)
    next(iter(source.records()), None)


def import_preview_create(
    *,
    upload: UploadedFile,
    kind: str,
    format: str,
    encoding: str,
    on_duplicate: str,
    user: User | None,
    barcodes: str = "",
) -> ImportRun:
    """Store ``upload`` and queue a dry run of it: the preview staff confirm or cancel.
    ``barcodes``: "" or "generate:PREFIX" (``catalog.services.bulk.barcodes_option``), which the
    worker's run honours as the command's ``--barcodes`` does."""
    options = {
        "on_duplicate": on_duplicate,
        "barcodes": barcodes,
        "dry_run": True,
        "strict": False,
        # What was asked for; the run's own format and encoding become what the reader found.
        "format": format,
        "encoding": encoding,
    }
    name = os.path.basename(upload.name or "") or "upload"
    run = ImportRun(
        kind=kind,
        status=ImportStatus.QUEUED,
        created_by=user,
        source_name=name[:255],
        options=options,
        size=upload.size,
        last_progress_at=timezone.now(),
    )
    with transaction.atomic():
        # The storage makes the name unique (and safe), so two uploads of one name both stay.
        run.file.save(name[-100:], upload, save=False)
        run.save()
        _enqueue(run)
    return run


def import_confirm(*, preview_id: int, user: User | None) -> ImportRun:
    """The real import of a finished preview: the same file and options, queued; the preview's
    row is deleted (its file now belongs to the new run)."""
    with transaction.atomic():
        preview = lock_row(ImportRun, preview_id)
        if not preview.options.get("dry_run"):
            raise Conflict("This is an import, not a preview: there is nothing to confirm.")
        if preview.status != ImportStatus.DONE:
            raise Conflict(
                "Only a finished preview can be confirmed: wait until it is done, or upload the "
                "file again."
            )
        run = ImportRun.objects.create(
            kind=preview.kind,
            status=ImportStatus.QUEUED,
            created_by=user,
            source_name=preview.source_name,
            file=preview.file.name,
            format=preview.format,
            encoding=preview.encoding,
            mapping=preview.mapping,
            options={**preview.options, "dry_run": False},
            size=preview.size,
            last_progress_at=timezone.now(),
        )
        preview.delete()  # its problems go with it (cascade); the file is the run's
        _enqueue(run)
    return run


def import_cancel(*, preview_id: int, now: datetime.datetime | None = None) -> None:
    """Delete a preview and its stored file. A preview being run is left alone unless stalled:
    its worker would write the row back when it finishes."""
    with transaction.atomic():
        preview = lock_row(ImportRun, preview_id)
        if not preview.options.get("dry_run"):
            raise Conflict("Only a preview can be cancelled; an import stays in the history.")
        if preview.status == ImportStatus.RUNNING and not run_is_stalled(preview, now=now):
            raise Conflict("The preview is being made: wait until it is done, then cancel it.")
        name = preview.file.name
        preview.delete()
        # A name another run still holds (none should: confirming deletes the preview) stays.
        shared = bool(name) and ImportRun.objects.filter(file=name).exists()
    if name and not shared:
        preview.file.storage.delete(name)


def import_requeue(*, run_id: int, now: datetime.datetime | None = None) -> ImportRun:
    """Run a stalled or failed run again, from the start of its file: books imported before
    are matched, not added twice. Its counts and problems start again too."""
    now = now or timezone.now()
    with transaction.atomic():
        run = lock_row(ImportRun, run_id)
        if not (run.status == ImportStatus.FAILED or run_is_stalled(run, now=now)):
            raise Conflict(
                "Only a failed run, or one with no progress for "
                f"{int(STALLED_AFTER.total_seconds() // 60)} minutes, can be run again."
            )
        run.problems.all().delete()
        run.status = ImportStatus.QUEUED
        run.started_at = run.finished_at = None
        run.bytes_read = run.records = run.created = run.updated = run.skipped = run.failed = 0
        run.message = ""
        run.last_progress_at = now
        run.save()
        _enqueue(run)
    return run


def import_execute(*, run_id: int) -> ImportRun | None:
    """Run the queued run ``run_id`` (the worker's side). None when it is not queued any more:
    another worker took it (a run queued again), or it was cancelled. Whatever goes wrong, the
    run ends DONE or FAILED with a message, never left RUNNING."""
    now = timezone.now()
    # The claim: only one worker's UPDATE finds the run still queued.
    claimed = ImportRun.objects.filter(pk=run_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=now, last_progress_at=now
    )
    if not claimed:
        logger.info("Import %s is not queued (any more): nothing to do.", run_id)
        return None
    run = ImportRun.objects.get(pk=run_id)
    options = run.options or {}
    service = _service(run.kind)
    if service is None:
        return _fail(run, "Patron imports are not available in this version of Shelfmark.")
    try:
        file = run.file.open("rb")
    except (OSError, ValueError):  # ValueError: the run has no file at all
        return _fail(
            run,
            "The uploaded file is no longer on the server (MEDIA_ROOT must be the same folder "
            "for the website and the worker). Upload the file again.",
        )
    with file:
        try:
            source = import_source_open(
                cast(BinaryIO, file),
                kind=run.kind,
                format=options.get("format") or "auto",
                encoding=options.get("encoding") or None,
                size=run.size,
            )
        except SourceError as error:
            return _fail(run, str(error))
        run.mapping = dict(source.mapping)
        try:
            return service(source, run, progress=_heartbeat)
        except SourceError as error:
            # Broken further in than the reader looks when it opens the file. The service
            # marked the run failed; the reader's own words say best what to fix.
            run.refresh_from_db()
            return _fail(
                run, f"{error} ({run.records:,} records were read before; fix the file and "
                "upload it again.)"
            )  # fmt: skip
        except Exception:
            # The service marked the run failed and logged why; make sure, and let the
            # worker record the task as failed too.
            ImportRun.objects.filter(pk=run.pk, status=ImportStatus.RUNNING).update(
                status=ImportStatus.FAILED,
                finished_at=timezone.now(),
                message="The import stopped on an unexpected error; the server's log has it.",
            )
            raise


def _service(kind: str) -> ImportService | None:
    if kind == ImportKind.PATRONS:
        if not patron_imports_available():
            return None
        patrons: ImportService = importlib.import_module(PATRON_SERVICE).patrons_import
        return patrons
    return catalog_import


def _heartbeat(run: ImportRun) -> None:
    """After each batch: the run is alive (the service saved its counts already). Set on the
    object too, which the service saves whole when it finishes."""
    run.last_progress_at = timezone.now()
    ImportRun.objects.filter(pk=run.pk).update(last_progress_at=run.last_progress_at)


def _fail(run: ImportRun, message: str) -> ImportRun:
    run.status, run.message, run.finished_at = ImportStatus.FAILED, message, timezone.now()
    run.save()
    return run


def _enqueue(run: ImportRun) -> None:
    # Imported here: the task module imports this one.
    from interchange import tasks

    tasks.run_import.enqueue(run.pk)
