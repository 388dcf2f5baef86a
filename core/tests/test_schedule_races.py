"""The schedule under concurrent runners, on PostgreSQL: real threads with their own
connections, released together by a barrier (shelfmark.testing.races)."""

from __future__ import annotations

import datetime
from functools import partial

import pytest
from django_tasks_db.models import DBTaskResult

from core.models import ScheduledJob
from core.schedule import SCHEDULE, schedule_prepare, schedule_tick
from shelfmark.testing.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RUNS = 8
T0 = datetime.datetime(2026, 3, 10, 9, 0, 0, tzinfo=datetime.UTC)


def test_several_schedule_runners_enqueue_each_run_once():
    schedule_prepare(now=T0)

    outcomes = race(
        *(partial(schedule_prepare, now=T0) for _ in range(3)),
        *(partial(schedule_tick, now=T0) for _ in range(RUNS)),
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    enqueued = [e.name for batch in outcomes[3:] for e in batch]
    assert sorted(enqueued) == sorted(job.name for job in SCHEDULE)
    assert DBTaskResult.objects.count() == len(SCHEDULE)
    assert ScheduledJob.objects.count() == len(SCHEDULE)
