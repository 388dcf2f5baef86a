"""The periodic work, and the runner that enqueues it on time.

Each app registers its own periodic jobs with ``schedule_register`` from its
``AppConfig.ready()`` (circulation: notices and hold expiry; interchange: its purge; core: the
purge of old task results and Idempotency-Key answers), so this module names no app and one
runner and one worker do all of it. ``schedule_tick`` enqueues each job whose time has come;
`manage.py run_schedule` calls it every few seconds (with ``--worker`` it also runs the tasks,
in the same process). Runs fall on fixed marks of the clock (every 15 minutes: at :00, :15,
:30, :45 UTC; daily: at midnight UTC), and each mark is enqueued once, whatever the number of
runners: a runner claims it by moving the job's ``next_run_at`` past it with a conditional
UPDATE, which only one runner's UPDATE matches. Marks missed while nothing ran are not made up:
the tasks catch up by themselves (all that is due today is sent today).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks.base import Task

from core.models import ScheduledJob

EPOCH = datetime.datetime(2000, 1, 3, tzinfo=datetime.UTC)  # a Monday, midnight UTC


@dataclass(frozen=True)
class Periodic:
    """A job of the schedule: ``task`` (which takes no arguments) enqueued ``every`` so often.
    ``name`` is its row in ScheduledJob, so it outlives a move of the task to another module."""

    name: str
    task: Task[[], Any]
    every: datetime.timedelta

    def next_mark(self, now: datetime.datetime) -> datetime.datetime:
        """The first mark of this job's clock after ``now``."""
        marks_passed = (now - EPOCH) // self.every
        return EPOCH + (marks_passed + 1) * self.every


# Filled by the apps' AppConfig.ready(), in INSTALLED_APPS order (which is the order a tick
# enqueues what is due at the same mark).
SCHEDULE: list[Periodic] = []


def schedule_register(job: Periodic) -> None:
    """Add an app's periodic job to the schedule. Registering the same job again changes
    nothing (ready() may run twice); another job under a name already taken is a mistake that
    would silently never run, so it raises."""
    for existing in SCHEDULE:
        if existing.name == job.name:
            if existing != job:
                raise ValueError(
                    f"The schedule already has a job named {job.name!r} ({existing}); "
                    "give this one another name."
                )
            return
    SCHEDULE.append(job)


@dataclass(frozen=True)
class Enqueued:
    name: str
    task_id: str


def schedule_prepare(*, now: datetime.datetime | None = None) -> None:
    """Give every job of ``SCHEDULE`` its row, due at once when it is new."""
    now = now or timezone.now()
    ScheduledJob.objects.bulk_create(
        [ScheduledJob(name=job.name, next_run_at=now) for job in SCHEDULE],
        ignore_conflicts=True,  # another runner made them; theirs stand
    )


def schedule_tick(*, now: datetime.datetime | None = None) -> list[Enqueued]:
    """Enqueue each job whose time has come and that no other runner enqueued for this mark."""
    now = now or timezone.now()
    due = set(ScheduledJob.objects.filter(next_run_at__lte=now).values_list("name", flat=True))
    enqueued = []
    for job in SCHEDULE:
        if job.name in due:
            task_id = _claim_and_enqueue(job, now)
            if task_id is not None:
                enqueued.append(Enqueued(job.name, task_id))
    return enqueued


def _claim_and_enqueue(job: Periodic, now: datetime.datetime) -> str | None:
    # The claim and the task row commit together: a crash in between enqueues nothing and
    # leaves the mark to claim again.
    with transaction.atomic():
        claimed = ScheduledJob.objects.filter(name=job.name, next_run_at__lte=now).update(
            next_run_at=job.next_mark(now), last_enqueued_at=now
        )
        if not claimed:
            return None  # another runner was first
        result = job.task.enqueue()
        ScheduledJob.objects.filter(name=job.name).update(last_task_id=str(result.id))
        return str(result.id)
