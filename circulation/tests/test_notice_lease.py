"""A notice whose run was killed while sending it (circulation.services.notices): left
``sending``, it is sent once by the first run after the lease (NOTICE_SEND_LEASE_SECONDS), not
before; each notice's email has one Message-ID, whatever the attempt.

The kill is a mail backend that raises what no ``except Exception`` catches, before or after the
mail server took the message: the run stops there, as a killed process does, with its claim
committed and nothing written after it.
"""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.mail.utils import DNS_NAME
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from circulation.models import Notice, NoticeStatus
from circulation.notices import MAX_SEND_ATTEMPTS
from circulation.selectors.notices import notices_due
from circulation.services.notices import notices_send
from circulation.tests.factories import PatronFactory
from circulation.tests.notice_helpers import TODAY, days, lend
from shelfmark.tests import test_settings

run = test_settings.run  # its fixture: a fresh Python in a chosen environment
LOCAL = test_settings.LOCAL

CLAIMED = datetime.datetime.combine(TODAY, datetime.time(10), tzinfo=datetime.UTC)


class Killed(BaseException):  # not an Exception: nothing the run does catches it
    """The process killed (SIGKILL) while the email was on its way."""


class KilledBeforeTheServerTookIt(BaseEmailBackend):
    def send_messages(self, messages):
        raise Killed


class KilledAfterTheServerTookIt(LocmemBackend):
    def send_messages(self, messages):
        super().send_messages(messages)  # in mail.outbox: the patron has it
        raise Killed


class Refused(LocmemBackend):
    """A mail server that refuses every message; mail.outbox keeps what was offered."""

    def send_messages(self, messages):
        super().send_messages(messages)
        raise ConnectionRefusedError("no server")


def backend(cls) -> str:
    return f"{__name__}.{cls.__name__}"


def lease(settings) -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.NOTICE_SEND_LEASE_SECONDS)


def at_moment(moment: datetime.datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def patron():
    return PatronFactory(name="Ada Reader", card_number="C-1", email="ada@example.org")


def killed_run(settings, cls=KilledBeforeTheServerTookIt, at: datetime.datetime = CLAIMED):
    """A run at ``at`` killed while sending its first notice."""
    email_backend = settings.EMAIL_BACKEND
    settings.EMAIL_BACKEND = backend(cls)
    try:
        with at_moment(at), pytest.raises(Killed):
            notices_send(today=TODAY)
    finally:
        settings.EMAIL_BACKEND = email_backend


def send_at(moment: datetime.datetime):
    with at_moment(moment):
        return notices_send(today=TODAY)


# --- Sent once after the lease -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_notice_killed_mid_send_is_sent_once_after_the_lease_not_before(settings, patron):
    lend(patron, on=TODAY - days(19))
    killed_run(settings)
    notice = Notice.objects.get()
    assert (notice.status, notice.attempts, notice.claimed_at) == (
        NoticeStatus.SENDING,
        1,
        CLAIMED,
    )
    assert mail.outbox == []

    # Within the lease the claim may still be a run at work: no run takes it.
    almost = CLAIMED + lease(settings) - datetime.timedelta(seconds=1)
    with at_moment(almost):
        due = notices_due(
            TODAY,
            due_soon_days=settings.NOTICE_DUE_SOON_DAYS,
            overdue_reminders=settings.NOTICE_OVERDUE_REMINDERS,
            overdue_interval_days=settings.NOTICE_OVERDUE_INTERVAL_DAYS,
        )
        assert due == []
    assert send_at(CLAIMED + datetime.timedelta(seconds=1)).sent == []
    assert send_at(almost).sent == []
    assert mail.outbox == []

    after = CLAIMED + lease(settings) + datetime.timedelta(seconds=1)
    result = send_at(after)

    (message,) = mail.outbox
    assert message.to == ["ada@example.org"]
    assert message.subject == "Due soon: Middlemarch"
    assert [n.pk for n in result.sent] == [notice.pk]
    assert result.recovered == 1
    assert result.summary()[1] == (
        "  1 of those sent had been left by a run that stopped while sending them."
    )
    assert result.as_dict()["sent"] == {"due_soon": 1}
    assert result.as_dict()["sent_after_a_stopped_run"] == 1
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.claimed_at, notice.sent_at) == (
        NoticeStatus.SENT,
        2,  # the claim again is an attempt
        after,
        after,
    )
    later = send_at(after + lease(settings) * 10)
    assert (later.sent, later.failed, len(mail.outbox)) == ([], [], 1)


@pytest.mark.django_db
def test_the_notices_the_killed_run_never_reached_go_at_once(settings, patron):
    """A killed run stops at its first notice: the ones after it were never claimed, so the next
    run sends them straight away; the killed one waits for its lease."""
    lend(patron, on=TODAY - days(19), title="Due soon")
    lend(patron, on=TODAY - days(25), title="Overdue")
    killed_run(settings)
    assert Notice.objects.count() == 1

    result = send_at(CLAIMED + datetime.timedelta(minutes=1))

    assert [m.subject for m in mail.outbox] == ["Overdue: Overdue"]
    assert result.recovered == 0
    send_at(CLAIMED + lease(settings) + datetime.timedelta(minutes=1))
    assert sorted(m.subject for m in mail.outbox) == ["Due soon: Due soon", "Overdue: Overdue"]
    assert set(Notice.objects.values_list("status", flat=True)) == {NoticeStatus.SENT}


@pytest.mark.django_db
def test_an_overdue_reminder_killed_mid_send_is_sent_again_not_skipped(settings, patron):
    lend(patron, on=TODAY - days(25))
    killed_run(settings)

    send_at(CLAIMED + lease(settings) + datetime.timedelta(seconds=1))

    assert [m.subject for m in mail.outbox] == ["Overdue: Middlemarch"]
    notice = Notice.objects.get()
    assert (notice.kind, notice.status, notice.attempts) == ("overdue_1", NoticeStatus.SENT, 2)


@pytest.mark.django_db
def test_every_claim_again_is_an_attempt_and_the_last_one_abandoned_is_logged_failed(
    settings, patron
):
    lend(patron, on=TODAY - days(19))
    moment = CLAIMED
    for _ in range(MAX_SEND_ATTEMPTS):
        killed_run(settings, at=moment)
        moment += lease(settings) + datetime.timedelta(seconds=1)

    # Within the lease of the last attempt: left to the run that may still be at work.
    assert send_at(moment - lease(settings)).failed == []
    assert Notice.objects.get().status == NoticeStatus.SENDING

    run = send_at(moment)

    assert run.sent == []
    assert mail.outbox == []
    notice = Notice.objects.get()
    assert (notice.status, notice.attempts) == (NoticeStatus.FAILED, MAX_SEND_ATTEMPTS)
    assert notice.error.startswith("The run sending it stopped before it could say how")
    assert run.failed == [notice]
    assert any("not tried again" in line for line in run.summary())
    # Reported once: the next run has nothing more to say about it.
    later = send_at(moment + datetime.timedelta(hours=1))
    assert (later.sent, later.failed) == ([], [])


@pytest.mark.django_db
def test_a_failed_attempt_then_a_kill_then_sent(settings, patron):
    lend(patron, on=TODAY - days(19))
    settings.EMAIL_BACKEND = backend(Refused)
    send_at(CLAIMED)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    killed_run(settings, at=CLAIMED + datetime.timedelta(minutes=15))

    send_at(
        CLAIMED + datetime.timedelta(minutes=15) + lease(settings) + datetime.timedelta(seconds=1)
    )

    notice = Notice.objects.get()
    assert (notice.status, notice.attempts, notice.error) == (NoticeStatus.SENT, 3, "")
    assert len(mail.outbox) == 2  # the refused one, offered; the one that went


# --- A send that outlasts its lease --------------------------------------------------------------


class SlowerThanTheLease(LocmemBackend):
    """A mail server that answers the first message only after the lease has run out, with
    ``outcome``; meanwhile the next run claims the notice again and sends it."""

    outcome: type[BaseException] | None = None
    other_runs: list = []
    answering_late = False

    def send_messages(self, messages):
        cls = type(self)
        if cls.answering_late:  # the other run's email: taken at once
            return super().send_messages(messages)
        cls.answering_late = True
        lease = datetime.timedelta(seconds=django_settings.NOTICE_SEND_LEASE_SECONDS)
        with at_moment(timezone.now() + lease + datetime.timedelta(seconds=1)):
            cls.other_runs.append(notices_send(today=TODAY))
        if cls.outcome is not None:
            raise cls.outcome("timed out")
        return super().send_messages(messages)


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", [None, TimeoutError], ids=["sent-late", "failed-late"])
def test_a_send_that_outlasts_its_lease_writes_nothing_over_the_run_that_took_it(
    settings, patron, outcome
):
    lend(patron, on=TODAY - days(19))
    settings.EMAIL_BACKEND = backend(SlowerThanTheLease)
    SlowerThanTheLease.outcome, SlowerThanTheLease.other_runs = outcome, []
    SlowerThanTheLease.answering_late = False

    slow = send_at(CLAIMED)

    (other,) = SlowerThanTheLease.other_runs
    assert (len(other.sent), other.recovered, other.warnings) == (1, 1, [])
    notice = Notice.objects.get()
    assert (notice.status, notice.attempts, notice.sent_at) == (
        NoticeStatus.SENT,
        2,
        CLAIMED + lease(settings) + datetime.timedelta(seconds=1),
    )
    (warning,) = slow.warnings
    assert warning.startswith(
        "Due soon to Ada Reader (card C-1) about 'Middlemarch': sending it took longer than "
        f"NOTICE_SEND_LEASE_SECONDS ({settings.NOTICE_SEND_LEASE_SECONDS} s), and another run "
        "claimed it meanwhile"
    )
    if outcome is None:
        assert len(mail.outbox) == 2
        assert "the patron may get it twice (with one Message-ID)" in warning
        assert len(slow.sent) == 1
    else:
        assert len(mail.outbox) == 1
        assert "twice" not in warning
        assert len(slow.failed) == 1


# --- Message-ID ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_notice_has_one_message_id_for_every_attempt(settings, patron):
    settings.SITE_URL = "https://Library.Example.org:8443/catalog"
    lend(patron, on=TODAY - days(19), title="Due soon")
    lend(patron, on=TODAY - days(25), title="Overdue")
    settings.EMAIL_BACKEND = backend(Refused)
    send_at(CLAIMED)  # two refused
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    send_at(CLAIMED + datetime.timedelta(minutes=15))  # both sent

    ids = [m.message()["Message-ID"] for m in mail.outbox]
    assert len(ids) == 4
    assert len(set(ids)) == 2  # one per notice, the same for each attempt
    for notice in Notice.objects.all():
        expected = f"<notice-{notice.pk}.{int(notice.created_at.timestamp())}@library.example.org>"
        assert [i for i in ids if i == expected] == [expected, expected]


@pytest.mark.django_db
def test_the_email_the_server_took_before_the_kill_comes_again_with_its_message_id(
    settings, patron
):
    """The one window left: the mail server has the email, the row does not say so yet."""
    lend(patron, on=TODAY - days(19))
    killed_run(settings, cls=KilledAfterTheServerTookIt)

    send_at(CLAIMED + lease(settings) + datetime.timedelta(seconds=1))

    first, again = mail.outbox
    assert first.message()["Message-ID"] == again.message()["Message-ID"]
    assert (first.subject, first.body) == (again.subject, again.body)


@pytest.mark.django_db
@pytest.mark.parametrize("site_url", ["http://[::1]:8000", ""])
def test_without_a_host_name_the_message_id_has_the_machine_s(settings, patron, site_url):
    settings.SITE_URL = site_url
    lend(patron, on=TODAY - days(19))

    send_at(CLAIMED)

    assert re.fullmatch(
        rf"<notice-\d+\.\d+@{re.escape(str(DNS_NAME))}>", mail.outbox[0].message()["Message-ID"]
    )


# --- The migration -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_takes_the_claim_time_of_notices_logged_before_it(settings, patron):
    """Notices logged before the field was there were claimed when they were logged; one that a
    killed run left sending is sent after the migration."""
    lend(patron, on=TODAY - days(19))
    killed_run(settings)
    executor = MigrationExecutor(connection)
    executor.migrate([("circulation", "0013_loan_use_sip2_permission")])
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE circulation_notice SET created_at = %s",
                [CLAIMED - datetime.timedelta(hours=1)],
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    notice = Notice.objects.get()
    assert notice.claimed_at == notice.created_at == CLAIMED - datetime.timedelta(hours=1)
    send_at(CLAIMED + lease(settings) - datetime.timedelta(minutes=30))
    assert len(mail.outbox) == 1


# --- The setting ---------------------------------------------------------------------------------


def test_the_lease_is_five_minutes_unless_set_and_longer_than_email_timeout(run):
    show = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.NOTICE_SEND_LEASE_SECONDS, s.EMAIL_TIMEOUT)"
    )
    assert run("-c", show, env=LOCAL).stdout.split() == ["300", "20"]
    assert run("-c", show, env={**LOCAL, "NOTICE_SEND_LEASE_SECONDS": "90"}).stdout.split()[0] == (
        "90"
    )

    result = run("-c", show, env={**LOCAL, "NOTICE_SEND_LEASE_SECONDS": "20"})

    assert result.returncode != 0
    assert "NOTICE_SEND_LEASE_SECONDS must be longer than EMAIL_TIMEOUT (20 s)" in result.stderr
