"""Running a queued import (the worker's side of a website import, through the task
``interchange.tasks.execute_import``): claim the run, open its stored file with the reader for
its kind, and run it (``interchange.services.imports.import_records``), in the language of the
person who queued it (the task's): the report's lines and the run's message are kept in it."""

from __future__ import annotations

import logging
from typing import BinaryIO, cast

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from interchange.models import ImportRun, ImportStatus
from interchange.records import SourceError
from interchange.run_locks import run_lock
from interchange.services.imports import import_records
from interchange.services.kinds import importer_for, source_open

logger = logging.getLogger(__name__)


def import_execute(*, run_id: int, language: str = "") -> ImportRun | None:
    """Run the queued run ``run_id`` (the worker's side), its report and message in ``language``
    ("": the site's ``LANGUAGE_CODE``). None when it is not queued any more: another worker took
    it (a run queued again), or it was cancelled. Whatever goes wrong, the run ends DONE or
    FAILED with a message, never left RUNNING."""
    # The run's lock first, then the claim: a RUNNING run always has its lock held by a live
    # process, until that process ends (run_locks).
    with run_lock(run_id) as taken:
        if not taken:
            # A run queued again by hand while the process it had (hung) still lives: it stays
            # queued, and stalled after STALLED_AFTER, until that process has ended.
            logger.warning("Import %s is held by another process: not run here.", run_id)
            return None
        now = timezone.now()
        # The claim: only one worker's UPDATE finds the run still queued.
        claimed = ImportRun.objects.filter(pk=run_id, status=ImportStatus.QUEUED).update(
            status=ImportStatus.RUNNING, started_at=now, last_progress_at=now
        )
        if not claimed:
            logger.info("Import %s is not queued (any more): nothing to do.", run_id)
            return None
        run = ImportRun.objects.get(pk=run_id)
        with translation.override(language or settings.LANGUAGE_CODE):
            return _execute(run)


def _execute(run: ImportRun) -> ImportRun:
    options = run.options or {}
    try:
        file = run.file.open("rb")
    except (OSError, ValueError):  # ValueError: the run has no file at all
        return _fail(
            run,
            _(
                "The uploaded file is no longer on the server (MEDIA_ROOT must be the same "
                "folder for the website and the worker). Upload the file again."
            ),
        )
    with file:
        try:
            source = source_open(
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
            return import_records(source, run, importer_for(run), progress=_heartbeat)
        except SourceError as error:
            # Broken further in than the reader looks when it opens the file. The service
            # marked the run failed; the reader's own words say best what to fix.
            run.refresh_from_db()
            return _fail(
                run,
                ngettext(
                    "%(error)s (%(count)s record was read before; fix the file and upload it "
                    "again.)",
                    "%(error)s (%(count)s records were read before; fix the file and upload it "
                    "again.)",
                    run.records,
                )
                % {"error": error, "count": number_format(run.records, force_grouping=True)},
            )
        except Exception:
            # The service marked the run failed and logged why; make sure, and let the
            # worker record the task as failed too.
            ImportRun.objects.filter(pk=run.pk, status=ImportStatus.RUNNING).update(
                status=ImportStatus.FAILED,
                finished_at=timezone.now(),
                message=_("The import stopped on an unexpected error; the server's log has it."),
            )
            raise


def _heartbeat(run: ImportRun) -> None:
    """After each batch: the run is alive (the service saved its counts already). Set on the
    object too, which the service saves whole when it finishes."""
    run.last_progress_at = timezone.now()
    ImportRun.objects.filter(pk=run.pk).update(last_progress_at=run.last_progress_at)


def _fail(run: ImportRun, message: str) -> ImportRun:
    run.status, run.message, run.finished_at = ImportStatus.FAILED, message, timezone.now()
    run.save()
    return run
