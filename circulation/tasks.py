"""Circulation's background work, as tasks of Django's Tasks API (the django-tasks backport
until Django 6, where ``django_tasks`` becomes ``django.tasks``).

Circulation's AppConfig puts them on the project's schedule (core.schedule), which enqueues
them at their intervals, and a worker runs them (`manage.py run_schedule --worker`, or
`manage.py db_worker`). Each is safe to run at any time and any number of times, also at once:
the cron commands (`manage.py send_notices`, `expire_holds`) call the same functions directly.
Their results are JSON, kept with the task (the admin's Tasks Database Backend section) until
purged (core.tasks).
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django_tasks import task

from circulation.services import holds_expire
from circulation.services.fines import fines_accrue
from circulation.services.notices import notices_send

logger = logging.getLogger(__name__)


@task()
def send_notices() -> dict[str, Any]:
    """Email the notices due today: due soon, overdue reminders, holds ready."""
    run = notices_send()
    logger.info("\n".join(run.summary()))  # the worker's log says what went out, and what not
    return run.as_dict()


@task()
def accrue_fines() -> dict[str, Any]:
    """Bring every overdue loan's fine up to date (nothing when fines are off)."""
    return {"loans_charged": fines_accrue()}


@task()
def expire_holds() -> dict[str, Any]:
    """Expire ready holds past their pickup deadline; their copies go to the next in line."""
    return expire_holds_now()


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
