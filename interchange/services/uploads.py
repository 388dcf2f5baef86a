"""Imports from the staff website: an uploaded file becomes a preview (a dry run, run by the
background worker), which staff confirm as the real import or cancel.

The life of an upload:

- ``import_preview_create`` stores the file (default storage, under MEDIA_ROOT, which web and
  worker containers share) and queues a dry run of it (``ImportRun`` with ``dry_run``).
- The worker runs ``import_execute`` (``interchange.services.execution``, through the task
  ``interchange.tasks.execute_import``): it claims the queued
  run, opens the stored file with the format and encoding asked for, and runs the import
  service, which saves counts and progress on the run after each batch, so the run's page can
  show them while it goes on.
- ``import_confirm`` turns a finished preview into the real run (the same stored file, the same
  options but ``dry_run``) and queues it; the preview's row goes, its file stays with the run.
  ``import_cancel`` deletes a preview and its file.
- A run whose worker died stays RUNNING; ``import_requeue`` starts it again from the start,
  which is safe because imports match what is already in the catalog instead of adding it again.

The report's lines and the run's message are kept in the language of the person who queued the
run (the request's, which the services are given): the task carries it, and the worker, outside
any request, runs the import in it (``interchange.services.execution``). Without one (the
command line, tasks queued before), the site's ``LANGUAGE_CODE``.

Each of these is a service transaction (``shelfmark.transactions``): a run and its task are
queued in one transaction: with the database task backend the task's
row commits with the run's, so a worker never sees one without the other.
"""

from __future__ import annotations

import datetime
import logging
import os
from typing import BinaryIO

from django.contrib.auth.models import User
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from interchange import tasks
from interchange.models import ImportRun, ImportStatus
from interchange.selectors import (
    STALLED_AFTER,
    run_is_abandoned,
    run_is_stalled,
    runs_abandoned,
)
from interchange.services.kinds import source_open
from shelfmark.errors import Conflict
from shelfmark.storage import removed_unless_saved
from shelfmark.transactions import lock_row, service_transaction

logger = logging.getLogger(__name__)


def import_source_check(
    file: BinaryIO, *, kind: str, format: str, encoding: str | None, size: int | None
) -> None:
    """Raise ``SourceError`` if the reader refuses the file as a whole: when opening it (format,
    encoding, header) or at its first record (a JSON export of another version, a MARCXML
    doctype). Bad records further in are the preview's to list, not a refusal."""
    source = source_open(file, kind=kind, format=format, encoding=encoding, size=size)
    next(iter(source.records()), None)


@service_transaction
def import_preview_create(
    *,
    upload: UploadedFile,
    kind: str,
    format: str,
    encoding: str,
    on_duplicate: str,
    user: User | None,
    barcodes: str = "",
    language: str = "",
) -> ImportRun:
    """Store ``upload`` and queue a dry run of it: the preview staff confirm or cancel.
    ``barcodes``: "" or "generate:PREFIX" (``catalog.services.bulk.barcodes_option``), which the
    worker's run honours as the command's ``--barcodes`` does. ``language``: the one the run's
    report and message are written in ("": the site's)."""
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
    # The storage makes the name unique (and safe), so two uploads of one name both stay.
    with removed_unless_saved(run.file):
        run.file.save(name[-100:], upload, save=False)
        run.save()
        _enqueue(run, language)
    return run


@service_transaction
def import_confirm(*, preview_id: int, user: User | None, language: str = "") -> ImportRun:
    """The real import of a finished preview: the same file and options, queued; the preview's
    row is deleted (its file now belongs to the new run). ``language``: the one the run's report
    and message are written in ("": the site's)."""
    preview = lock_row(ImportRun, preview_id)
    if not preview.options.get("dry_run"):
        raise Conflict(_("This is an import, not a preview: there is nothing to confirm."))
    if preview.status != ImportStatus.DONE:
        raise Conflict(
            _(
                "Only a finished preview can be confirmed: wait until it is done, or upload the "
                "file again."
            )
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
    _enqueue(run, language)
    return run


def import_cancel(*, preview_id: int, now: datetime.datetime | None = None) -> None:
    """Delete a preview and its stored file. A preview being run is left alone unless stalled:
    its worker would write the row back when it finishes."""
    storage, name = _preview_delete(preview_id=preview_id, now=now)
    if name:  # once the row's deletion is committed: a refused cancel keeps its file
        storage.delete(name)


@service_transaction
def _preview_delete(*, preview_id: int, now: datetime.datetime | None) -> tuple[Storage, str]:
    """Delete the preview's row; its file's storage and name, "" when another run holds it."""
    preview = lock_row(ImportRun, preview_id)
    if not preview.options.get("dry_run"):
        raise Conflict(_("Only a preview can be cancelled; an import stays in the history."))
    if preview.status == ImportStatus.RUNNING and not run_is_stalled(preview, now=now):
        raise Conflict(_("The preview is being made: wait until it is done, then cancel it."))
    name = preview.file.name
    preview.delete()
    # A name another run still holds (none should: confirming deletes the preview) stays.
    shared = bool(name) and ImportRun.objects.filter(file=name).exists()
    return preview.file.storage, "" if shared else (name or "")


@service_transaction
def import_requeue(
    *, run_id: int, now: datetime.datetime | None = None, language: str = ""
) -> ImportRun:
    """Run a stalled or failed run again, from the start of its file: books imported before
    are matched, not added twice. Its counts and problems start again too, in ``language`` ("":
    the site's)."""
    now = now or timezone.now()
    run = lock_row(ImportRun, run_id)
    if not (run.status == ImportStatus.FAILED or run_is_stalled(run, now=now)):
        minutes = int(STALLED_AFTER.total_seconds() // 60)
        raise Conflict(
            ngettext(
                "Only a failed run, or one with no progress for %(minutes)d minute, can be run "
                "again.",
                "Only a failed run, or one with no progress for %(minutes)d minutes, can be run "
                "again.",
                minutes,
            )
            % {"minutes": minutes}
        )
    _queue_again(run, now=now, language=language)
    return run


# How often a run whose worker ended before it finished is run again (``imports_recover``)
# before it fails: a file that kills its worker each time (out of memory) is not tried forever.
RECOVERIES = 3


def imports_recover(*, now: datetime.datetime | None = None) -> list[int]:
    """Every RUNNING run that no live process runs any more (its worker was killed, its
    container stopped: ``interchange.run_locks``) queued again from the start of its file, as
    ``import_requeue`` does, up to ``RECOVERIES`` times; failed with a message past that, or
    when there is no stored file to run again (an import command's run: its file is the
    caller's). The schedule's ``recover_imports`` calls it every minute. Returns the runs'
    ids."""
    now = now or timezone.now()
    running = ImportRun.objects.filter(status=ImportStatus.RUNNING).values_list("pk", flat=True)
    return [
        run_id
        for run_id in sorted(runs_abandoned(list(running)))
        if _recover(run_id=run_id, now=now)
    ]


@service_transaction
def _recover(*, run_id: int, now: datetime.datetime) -> bool:
    # Under the row's lock, and the run's own checked again: a run that finished meanwhile is
    # no longer RUNNING, and one that is still running holds its lock until it has finished.
    run = lock_row(ImportRun, run_id)
    if not run_is_abandoned(run):
        return False
    recoveries = int((run.options or {}).get("recoveries", 0))
    if not run.file:
        message = _(
            "The process running this import ended before it finished; every batch before is "
            "in. Run the same import again to finish it: what is in already is matched, not "
            "added twice."
        )
    elif recoveries >= RECOVERIES:
        message = _(
            "The worker running this import stopped %(count)d times before it finished; the "
            "server's log may say why. Run it again once that is mended."
        ) % {"count": recoveries + 1}
    else:
        logger.warning("Import %s: its worker ended before it finished; queued again.", run.pk)
        run.options = {**(run.options or {}), "recoveries": recoveries + 1}
        _queue_again(run, now=now, language="")
        return True
    logger.warning("Import %s: its worker ended before it finished; failed.", run.pk)
    run.status, run.message, run.finished_at = ImportStatus.FAILED, message, now
    run.save()
    return True


def _queue_again(run: ImportRun, *, now: datetime.datetime, language: str) -> None:
    """``run`` queued from the start of its file, its counts and problems made again."""
    run.problems.all().delete()
    run.status = ImportStatus.QUEUED
    run.started_at = run.finished_at = None
    run.bytes_read = run.records = run.created = run.updated = run.skipped = run.failed = 0
    run.message = ""
    run.last_progress_at = now
    run.save()
    _enqueue(run, language)


def _enqueue(run: ImportRun, language: str) -> None:
    tasks.execute_import.enqueue(run.pk, language)
