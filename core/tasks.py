"""The project's own periodic work, as a task of Django's Tasks API (the django-tasks backport
until Django 6): purging what every app's background work and retried requests leave behind.
Registered on the schedule by core's AppConfig; `manage.py purge_old_records` runs the same
function for cron."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from shelfmark.idempotency import idempotency_keys_purge

# Finished tasks' results are kept this long, for a look in the admin.
TASK_RESULTS_KEEP_DAYS = 14


@task()
def purge_old_records() -> dict[str, int]:
    """Delete what is only kept for a while."""
    return purge_old_records_now()


def purge_old_records_now(now: datetime.datetime | None = None) -> dict[str, int]:
    cutoff = (now or timezone.now()) - datetime.timedelta(days=TASK_RESULTS_KEEP_DAYS)
    purged, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    # The Idempotency-Key answers (the API's and the desk's), kept 24 hours (shelfmark.idempotency).
    keys = idempotency_keys_purge(now=now)
    return {"task_results": purged, "idempotency_keys": keys}
