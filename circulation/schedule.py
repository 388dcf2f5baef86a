"""The periodic work, and the runner that enqueues it on time.

``SCHEDULE`` says what runs how often. ``schedule_tick`` enqueues each periodic task whose time
has come; `manage.py run_schedule` calls it every few seconds (with ``--worker`` it also runs
the tasks, in the same process). Runs fall on fixed marks of the clock (every 15 minutes: at
:00, :15, :30, :45 UTC; daily: at midnight UTC), and each mark is enqueued once, whatever the
number of runners: a runner claims it by moving the job's ``next_run_at`` past it with a
conditional UPDATE, which only one runner's UPDATE matches. Marks missed while nothing ran are
not made up: the tasks catch up by themselves (all that is due today is sent today).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks.base import Task

from circulation import tasks
from circulation.models import ScheduledJob

EPOCH = datetime.datetime(2000, 1, 3, tzinfo=datetime.UTC)  # a Monday, midnight UTC


@dataclass(frozen=True)
class Periodic:
    name: str
    task: Task[[], Any]
    every: datetime.timedelta

    def next_mark(self, now: datetime.datetime) -> datetime.datetime:
        """The first mark of this job's clock after ``now``."""
        marks_passed = (now - EPOCH) // self.every
        return EPOCH + (marks_passed + 1) * self.every


SCHEDULE: list[Periodic] = [
    # Often, so a patron hears that their hold is ready soon after the copy is checked in.
    Periodic("send_notices", tasks.send_notices, datetime.timedelta(minutes=15)),
    Periodic("expire_holds", tasks.expire_holds, datetime.timedelta(hours=1)),
    Periodic("purge_old_records", tasks.purge_old_records, datetime.timedelta(days=1)),
]


def schedule_register(job: Periodic) -> None:
    """Add another app's periodic work (from its ``AppConfig.ready()``: interchange's purge),
    so one schedule runner and one worker do it all. Registering a name twice keeps the first."""
    if all(existing.name != job.name for existing in SCHEDULE):
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
