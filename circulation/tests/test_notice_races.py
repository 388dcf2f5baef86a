"""Notices under concurrent runs, on PostgreSQL: real threads with their own
connections, released together by a barrier (shelfmark.testing.races)."""

from __future__ import annotations

import datetime
from functools import partial
from unittest import mock

import pytest
from django.core import mail
from django.db.models import F

from circulation.models import Notice, NoticeStatus
from circulation.services.notices import notices_send
from circulation.tests.factories import PatronFactory
from circulation.tests.notice_helpers import TODAY, days, lend, ready_hold
from shelfmark.testing.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RUNS = 8


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


class Killed(BaseException):
    """The process killed while the email was on its way (nothing the run does catches it)."""


def test_concurrent_runs_send_a_notice_left_by_a_killed_run_once(settings):
    lend(PatronFactory(email="ada@example.org"), on=TODAY - days(19))
    with (
        mock.patch("django.core.mail.EmailMessage.send", side_effect=Killed),
        pytest.raises(Killed),
    ):
        notices_send(today=TODAY)
    lease = datetime.timedelta(seconds=settings.NOTICE_SEND_LEASE_SECONDS + 1)
    Notice.objects.update(claimed_at=F("claimed_at") - lease)  # the lease ran out

    runs = race(*(partial(notices_send, today=TODAY) for _ in range(RUNS)))

    assert not [r for r in runs if isinstance(r, Exception)], runs
    assert sum(len(r.sent) for r in runs) == 1
    assert sum(r.recovered for r in runs) == 1
    assert len(mail.outbox) == 1
    notice = Notice.objects.get()
    assert (notice.status, notice.attempts) == (NoticeStatus.SENT, 2)
