"""What the interchange app keeps only for a while, deleted daily (``purge_interchange_records``,
which interchange's AppConfig puts on the project's schedule, core.schedule): previews nobody
confirmed, the stored files of finished imports (their runs and error reports stay in the
history), and Open Library answers past their time in the cache."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils import timezone

from interchange.models import ImportRun, ImportStatus, IsbnLookup

PREVIEWS_KEEP = datetime.timedelta(days=2)  # an upload previewed and never confirmed
FILES_KEEP = datetime.timedelta(days=30)  # the uploaded file of a finished import


def interchange_purge(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete what has outlived its use; returns how many of each went."""
    now = now or timezone.now()
    previews = list(
        ImportRun.objects.filter(options__dry_run=True, created_at__lt=now - PREVIEWS_KEEP)
        .exclude(status__in=(ImportStatus.QUEUED, ImportStatus.RUNNING))
        .only("pk", "file")
    )
    names = {run.file.name for run in previews if run.file.name}
    ImportRun.objects.filter(pk__in=[run.pk for run in previews]).delete()
    finished = ImportRun.objects.filter(
        ~Q(file=""),
        status__in=(ImportStatus.DONE, ImportStatus.FAILED),
        finished_at__lt=now - FILES_KEEP,
    )
    names |= set(finished.values_list("file", flat=True))
    files_kept = finished.update(file="")
    # A file another run still names (a confirmed import holds its preview's upload) stays.
    in_use = set(ImportRun.objects.filter(file__in=names).values_list("file", flat=True))
    storage = ImportRun._meta.get_field("file").storage
    deleted_files = 0
    for name in names - in_use:
        storage.delete(name)
        deleted_files += 1
    lookups, _ = IsbnLookup.objects.filter(expires_at__lt=now).delete()
    return {
        "import_previews": len(previews),
        "import_files": deleted_files,
        "finished_imports_without_file": files_kept,
        "isbn_lookups": lookups,
    }
