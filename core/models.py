"""The tables of the project's shared machinery.

Both were circulation's until the schedule and the Idempotency-Key table became every app's
(core/migrations/0001_initial.py took them over without touching the database). They keep the
names circulation gave them: renaming a table takes a lock and breaks, for the length of a
deploy, every process still running the code before it (the worker's schedule runner, a desk
scan with an Idempotency-Key), to change nothing but a name.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shelfmark.idempotency import IdempotencyKeyBase


class ScheduledJob(models.Model):
    """When a periodic job (core.schedule) is next due. Schedule runners claim a run by
    moving ``next_run_at`` forward with a conditional UPDATE: with several runners, exactly one
    of them enqueues each run."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    last_task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")
        db_table = "circulation_scheduledjob"  # its first name (see above)
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IdempotencyKey(IdempotencyKeyBase):
    """The answers to requests sent with an Idempotency-Key (the API's checkouts, check-ins,
    renewals, holds, new patrons; the desk's scans): the project's table of them
    (settings.IDEMPOTENCY_KEY_MODEL). The code that uses it is the project's
    (shelfmark.idempotency); any app's view may use it."""

    class Meta(IdempotencyKeyBase.Meta):
        db_table = "circulation_idempotencykey"  # its first name (see above)
        verbose_name = _("idempotency key")
