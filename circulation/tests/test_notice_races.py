"""Notices and the schedule under concurrent runs, on PostgreSQL: real threads with their own
connections, released together by a barrier (shelfmark.testing.races)."""

from __future__ import annotations

import datetime
from functools import partial
from unittest import mock

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from circulation.models import Notice, NoticeStatus, ScheduledJob
from circulation.schedule import SCHEDULE, schedule_prepare, schedule_tick
from circulation.services.notices import notices_send
from circulation.tests.factories import PatronFactory
from circulation.tests.notice_helpers import TODAY, days, lend, ready_hold
from shelfmark.testing.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RUNS = 8
T0 = datetime.datetime(2026, 3, 10, 9, 0, 0, tzinfo=datetime.UTC)


def test_concurrent_runs_send_each_notice_once():
    for n in range(5):
        patron = PatronFactory(email=f"reader{n}@example.org")
        lend(patron, on=TODAY - days(19), title=f"Due soon {n}")
        lend(patron, on=TODAY - days(30), title=f"Overdue {n}")
        ready_hold(patron, on=TODAY, title=f"Ready {n}")
    lend(PatronFactory(email=""), on=TODAY - days(30), title="Nobody to tell")

    runs = race(*(partial(notices_send, today=TODAY) for _ in range(RUNS)))

    assert not [r for r in runs if isinstance(r, Exception)], runs
    assert sum(len(r.sent) for r in runs) == 15
    assert sum(len(r.no_email) for r in runs) == 1
    assert len(mail.outbox) == 15
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == 15  # no notice twice
    assert Notice.objects.filter(status=NoticeStatus.SENT).count() == 15
    assert Notice.objects.count() == 16


def test_concurrent_runs_retry_a_failed_notice_once():
    lend(PatronFactory(email="ada@example.org"), on=TODAY - days(19))
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("down")):
        notices_send(today=TODAY)

    runs = race(*(partial(notices_send, today=TODAY) for _ in range(RUNS)))

    assert sum(len(r.sent) for r in runs) == 1
    assert len(mail.outbox) == 1
    notice = Notice.objects.get()
    assert (notice.status, notice.attempts) == (NoticeStatus.SENT, 2)


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
