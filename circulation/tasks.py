"""Circulation's background work, as tasks of Django's Tasks API (the django-tasks backport
until Django 6, where ``django_tasks`` becomes ``django.tasks``).

The schedule (circulation.schedule) enqueues them at their intervals and a worker runs them
(`manage.py run_schedule --worker`, or `manage.py db_worker`). Each is safe to run at any time
and any number of times, also at once: the cron commands (`manage.py send_notices`,
`expire_holds`, `purge_old_records`) call the same functions directly. Their results are JSON,
kept with the task (the admin's Tasks Database Backend section) until purged.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from circulation.services import holds_expire
from circulation.services.notices import notices_send
from shelfmark.idempotency import idempotency_keys_purge

logger = logging.getLogger(__name__)

# Finished tasks' results are kept this long, for a look in the admin.
TASK_RESULTS_KEEP_DAYS = 14


@task()
def send_notices() -> dict[str, Any]:
    """Email the notices due today: due soon, overdue reminders, holds ready."""
    run = notices_send()
    logger.info("\n".join(run.summary()))  # the worker's log says what went out, and what not
    return run.as_dict()


@task()
def expire_holds() -> dict[str, Any]:
    """Expire ready holds past their pickup deadline; their copies go to the next in line."""
    return expire_holds_now()


@task()
def purge_old_records() -> dict[str, int]:
    """Delete what is only kept for a while."""
    return purge_old_records_now()


def expire_holds_now(today: datetime.date | None = None) -> dict[str, Any]:
    expired = holds_expire(today=today)
    if expired:
        logger.info("Holds expired: %d.", len(expired))
    return {
        "expired": len(expired),
        "holds": [
            f"'{h.book.title}' for {h.patron.name} (card {h.patron.card_number})" for h in expired
        ],
    }


def purge_old_records_now(now: datetime.datetime | None = None) -> dict[str, int]:
    cutoff = (now or timezone.now()) - datetime.timedelta(days=TASK_RESULTS_KEEP_DAYS)
    purged, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    # The Idempotency-Key answers (the API's and the desk's), kept 24 hours (shelfmark.idempotency).
    keys = idempotency_keys_purge(now=now)
    return {"task_results": purged, "idempotency_keys": keys}
