"""circulation.services.notices and circulation.selectors.notices: which notices go out when,
each once, to whom; patrons without an email address; failed emails."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core import mail

from circulation import services
from circulation.models import Notice, NoticeKind, NoticeStatus, NoticeTemplate
from circulation.notices import MAX_SEND_ATTEMPTS
from circulation.services.notices import notices_send
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from circulation.tests.notice_helpers import TODAY, at, days, lend, ready_hold

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _notice_settings(settings):
    settings.NOTICE_DUE_SOON_DAYS = 2
    settings.NOTICE_OVERDUE_REMINDERS = 3
    settings.NOTICE_OVERDUE_INTERVAL_DAYS = 7


@pytest.fixture
def patron():
    return PatronFactory(name="Ada Reader", card_number="C-1", email="ada@example.org")


def sent_on(today) -> list[tuple[str, str]]:
    """Send what is due on ``today``; (kind, recipient) of each email that went out."""
    before = len(mail.outbox)
    notices_send(today=today)
    kinds = {n.subject: n.kind for n in Notice.objects.all()}
    return [(kinds[m.subject], m.to[0]) for m in mail.outbox[before:]]


# --- Due soon -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due_in", "sent"),
    [(3, False), (2, True), (1, True), (0, True), (-1, False)],
    ids=["3-days-out", "2-days", "1-day", "due-today", "overdue-instead"],
)
def test_due_soon_within_the_window_of_days_before_the_due_date(patron, due_in, sent):
    lend(patron, on=TODAY + days(due_in) - days(21))

    kinds = [kind for kind, _ in sent_on(TODAY)]

    assert (NoticeKind.DUE_SOON in kinds) is sent


def test_due_soon_says_when_and_what(patron):
    loan = lend(patron, on=TODAY - days(19), title="Middlemarch")

    notices_send(today=TODAY)

    (message,) = mail.outbox
    assert message.to == ["ada@example.org"]
    assert message.subject == "Due soon: Middlemarch"
    assert "Dear Ada Reader," in message.body
    assert '"Middlemarch" by George Eliot' in message.body
    assert f"(copy {loan.copy.barcode})" in message.body
    assert "Thursday 12 March 2026" in message.body
    notice = Notice.objects.get()
    assert (notice.kind, notice.loan, notice.due_on, notice.status) == (
        NoticeKind.DUE_SOON,
        loan,
        loan.due_on,
        NoticeStatus.SENT,
    )
    assert (notice.subject, notice.body, notice.email) == (
        message.subject,
        message.body,
        "ada@example.org",
    )
    assert notice.sent_at is not None


def test_due_soon_days_is_a_setting(patron, settings):
    settings.NOTICE_DUE_SOON_DAYS = 5
    lend(patron, on=TODAY + days(5) - days(21))

    assert sent_on(TODAY) == [(NoticeKind.DUE_SOON, "ada@example.org")]


def test_no_due_soon_for_a_loan_that_was_that_short_from_the_start(patron):
    short = PatronCategoryFactory(name="Two days", loan_period_days=2)
    patron.category = short
    patron.save()
    lend(patron, on=TODAY)  # due in 2 days: the desk said so at checkout

    assert sent_on(TODAY) == []
    assert sent_on(TODAY + days(1)) == []


def test_a_renewed_loan_is_due_soon_again_for_its_new_due_date(patron):
    loan = lend(patron, on=TODAY - days(19))
    assert [k for k, _ in sent_on(TODAY)] == [NoticeKind.DUE_SOON]
    with at(TODAY + days(1)):
        loan = services.loan_renew(loan=loan)
    assert loan.due_on == TODAY + days(22)

    assert sent_on(TODAY + days(1)) == []
    assert [k for k, _ in sent_on(loan.due_on - days(2))] == [NoticeKind.DUE_SOON]
    assert Notice.objects.filter(kind=NoticeKind.DUE_SOON).count() == 2


def test_returned_loans_get_no_notices(patron):
    loan = lend(patron, on=TODAY - days(30))
    with at(TODAY - days(1)):
        services.loan_checkin(barcode=loan.copy.barcode)

    assert sent_on(TODAY) == []


# --- Overdue ----------------------------------------------------------------------------------


def test_three_overdue_reminders_spaced_by_the_interval(patron):
    loan = lend(patron, on=TODAY - days(21))  # due today
    due = loan.due_on

    assert sent_on(due) == [(NoticeKind.DUE_SOON, "ada@example.org")]  # not overdue yet
    assert sent_on(due + days(1)) == [(NoticeKind.OVERDUE_1, "ada@example.org")]
    for day in range(2, 8):
        assert sent_on(due + days(day)) == [], day
    assert sent_on(due + days(8)) == [(NoticeKind.OVERDUE_2, "ada@example.org")]
    assert sent_on(due + days(14)) == []
    assert sent_on(due + days(15)) == [(NoticeKind.OVERDUE_3, "ada@example.org")]
    assert sent_on(due + days(22)) == []
    assert sent_on(due + days(100)) == []  # three at most
    body = mail.outbox[-1].body
    assert "This is our last reminder" in body
    assert "15 days ago" in body


def test_the_first_reminder_says_one_day_in_the_singular(patron):
    loan = lend(patron, on=TODAY - days(21))

    assert sent_on(loan.due_on + days(1)) == [(NoticeKind.OVERDUE_1, "ada@example.org")]
    body = mail.outbox[-1].body
    assert "was due back on Tuesday 10 March 2026, 1 day ago." in body


def test_notices_are_signed_with_the_librarys_name_and_site_url(patron, settings):
    settings.LIBRARY_NAME = "Riverside Library"
    settings.SITE_URL = "https://library.example.org"
    lend(patron, on=TODAY - days(19))

    notices_send(today=TODAY)

    (message,) = mail.outbox
    assert message.body.endswith("Thank you,\nRiverside Library\nhttps://library.example.org\n")
    assert "127.0.0.1" not in message.body


def test_reminders_are_spaced_from_the_last_one_sent_after_a_stop(patron):
    loan = lend(patron, on=TODAY - days(21))

    # Nothing ran for a month: one reminder, not three at once.
    assert sent_on(loan.due_on + days(30)) == [(NoticeKind.OVERDUE_1, "ada@example.org")]
    assert sent_on(loan.due_on + days(31)) == []
    assert sent_on(loan.due_on + days(36)) == []
    assert sent_on(loan.due_on + days(37)) == [(NoticeKind.OVERDUE_2, "ada@example.org")]


def test_the_interval_and_the_number_of_reminders_are_settings(patron, settings):
    settings.NOTICE_OVERDUE_INTERVAL_DAYS = 3
    settings.NOTICE_OVERDUE_REMINDERS = 2
    due = lend(patron, on=TODAY - days(21)).due_on

    sent = [(day, kind) for day in range(1, 30) for kind, _ in sent_on(due + days(day))]

    assert sent == [(1, NoticeKind.OVERDUE_1), (4, NoticeKind.OVERDUE_2)]


def test_no_overdue_reminders_when_set_to_zero(patron, settings):
    settings.NOTICE_OVERDUE_REMINDERS = 0
    lend(patron, on=TODAY - days(30))

    assert sent_on(TODAY) == []


def test_overdue_reminders_count_again_after_a_renewal(patron):
    staff = PatronCategoryFactory(name="No block", overdue_blocks=False)
    patron.category = staff
    patron.save()
    loan = lend(patron, on=TODAY - days(30))  # overdue since 9 days
    assert [k for k, _ in sent_on(TODAY)] == [NoticeKind.OVERDUE_1]
    with at(TODAY):
        loan = services.loan_renew(loan=loan)

    assert [k for k, _ in sent_on(loan.due_on + days(1))] == [NoticeKind.OVERDUE_1]
    assert Notice.objects.filter(loan=loan, kind=NoticeKind.OVERDUE_1).count() == 2


# --- Holds ----------------------------------------------------------------------------------


def test_hold_ready_once(patron):
    hold = ready_hold(patron, on=TODAY - days(1))

    assert sent_on(TODAY) == [(NoticeKind.HOLD_READY, "ada@example.org")]
    message = mail.outbox[-1]
    body = str(message.body)
    assert message.subject == "Ready to collect: Persuasion"
    assert f"by {hold.pickup_by:%A} {hold.pickup_by.day} {hold.pickup_by:%B %Y}" in body
    assert "(C-1)" in body
    assert sent_on(TODAY) == []
    assert sent_on(TODAY + days(1)) == []


def test_no_hold_ready_notice_once_collected_expired_or_past_its_deadline(patron):
    ready_hold(patron, on=TODAY - days(8), title="Past its deadline")  # pickup by TODAY - 1
    collected = ready_hold(patron, on=TODAY - days(2), title="Collected")
    with at(TODAY - days(1)):
        services.loan_checkout(card_number="C-1", barcode=collected.copy.barcode)

    assert sent_on(TODAY) == []


# --- Exactly once, and who cannot be emailed ------------------------------------------------


def test_repeated_runs_send_each_notice_once(patron):
    lend(patron, on=TODAY - days(19), title="Due soon")
    lend(PatronFactory(email="ben@example.org"), on=TODAY - days(25), title="Overdue")
    ready_hold(PatronFactory(email="cy@example.org"), on=TODAY, title="Ready")

    first = notices_send(today=TODAY)
    again = [notices_send(today=TODAY) for _ in range(3)]

    assert len(first.sent) == 3
    assert len(mail.outbox) == 3
    assert all(not run.sent and not run.no_email and not run.failed for run in again)
    assert Notice.objects.count() == 3


def test_a_patron_without_an_email_is_skipped_and_reported_once():
    nobody = PatronFactory(name="Dmitri Volkov", card_number="C-4", email="")
    lend(nobody, on=TODAY - days(25), title="Heart of Darkness")

    run = notices_send(today=TODAY)

    assert mail.outbox == []
    assert run.sent == []
    assert [n.patron for n in run.no_email] == [nobody]
    assert run.summary()[1] == (
        "  no email address: First overdue reminder to Dmitri Volkov (card C-4) about "
        "'Heart of Darkness'"
    )
    notice = Notice.objects.get()
    assert (notice.status, notice.email, notice.attempts) == (NoticeStatus.NO_EMAIL, "", 0)
    assert notices_send(today=TODAY).no_email == []  # reported once, not every run
    assert run.as_dict()["no_email"] == [
        "First overdue reminder to Dmitri Volkov (card C-4) about 'Heart of Darkness'"
    ]


def test_a_failed_email_is_tried_again_then_given_up(patron):
    lend(patron, on=TODAY - days(19))

    with mock.patch(
        "django.core.mail.EmailMessage.send", side_effect=ConnectionRefusedError("no server")
    ):
        runs = [notices_send(today=TODAY) for _ in range(MAX_SEND_ATTEMPTS + 1)]

    assert [len(run.failed) for run in runs] == [1] * MAX_SEND_ATTEMPTS + [0]
    notice = Notice.objects.get()
    assert (notice.status, notice.attempts) == (NoticeStatus.FAILED, MAX_SEND_ATTEMPTS)
    assert notice.error == "ConnectionRefusedError: no server"
    assert "failed: Due soon to Ada Reader" in "\n".join(runs[0].summary())
    assert notices_send(today=TODAY).sent == []


def test_a_failed_email_is_sent_on_the_next_run(patron):
    lend(patron, on=TODAY - days(19))
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("timed out")):
        notices_send(today=TODAY)

    run = notices_send(today=TODAY)

    assert len(run.sent) == 1
    assert len(mail.outbox) == 1
    notice = Notice.objects.get()
    assert (notice.status, notice.attempts, notice.error) == (NoticeStatus.SENT, 2, "")


# --- Templates in use ------------------------------------------------------------------------


def test_notices_use_the_wording_staff_gave_them(patron):
    services.notice_template_update(
        kind=NoticeKind.DUE_SOON,
        subject="Back by {{ due_on|date:'j M' }}, {{ patron_name }}?",
        body="{{ title|upper }} ({{ days_left }} days left)",
    )
    lend(patron, on=TODAY - days(19), title="Middlemarch")

    notices_send(today=TODAY)

    (message,) = mail.outbox
    assert message.subject == "Back by 12 Mar, Ada Reader?"
    assert message.body == "MIDDLEMARCH (2 days left)\n"


def test_a_template_broken_outside_the_admin_falls_back_to_the_default(patron):
    NoticeTemplate.objects.filter(kind=NoticeKind.DUE_SOON).update(body="{% load i18n %}oops")
    lend(patron, on=TODAY - days(19))

    run = notices_send(today=TODAY)

    assert mail.outbox[0].subject == "Due soon: Middlemarch"
    assert "Dear Ada Reader," in mail.outbox[0].body
    assert len(run.warnings) == 1
    assert run.warnings[0].startswith("the template 'Due soon' has problems")


def test_names_are_not_html_escaped_in_plain_text_emails():
    patron = PatronFactory(name="Liam O'Brien & Co <x>", email="liam@example.org")
    lend(patron, on=TODAY - days(19), title="Q&A")

    notices_send(today=TODAY)

    assert "Dear Liam O'Brien & Co <x>," in mail.outbox[0].body
    assert mail.outbox[0].subject == "Due soon: Q&A"


def test_the_run_summary_counts_by_kind(patron):
    lend(patron, on=TODAY - days(19))
    lend(patron, on=TODAY - days(22))
    ready_hold(patron, on=TODAY)

    run = notices_send(today=TODAY)

    assert run.summary()[0] == (
        "Notices for 2026-03-10: 3 sent (1 due soon, 1 first overdue reminder, 1 hold ready), "
        "0 not sent for want of an email address, 0 failed."
    )
    assert run.as_dict()["sent"] == {"due_soon": 1, "overdue_1": 1, "hold_ready": 1}
