"""Which notices are due on a given day (circulation.notices explains the notices).

- Due soon: an open loan due within ``NOTICE_DUE_SOON_DAYS`` days (0: on the due date), unless it
  was already that close to its due date when it was lent (the patron heard the date at the desk).
- Overdue: reminder 1 the day after the due date; reminder n (up to ``NOTICE_OVERDUE_REMINDERS``)
  ``NOTICE_OVERDUE_INTERVAL_DAYS`` after the due date's reminder n-1 and not before
  due date + 1 + (n-1) x interval, so a schedule that was stopped for weeks sends the next
  reminder, never the missed ones at once.
- Hold ready: a hold on the hold shelf, until its pickup deadline.

A notice is due once per loan and due date (a renewal gives a loan a new one), or per hold and
pickup date (a hold sent back to the queue and ready again is news again). One
already logged is not due again, unless it has attempts left and its email failed, or the run
that claimed it stopped before saying how it went (still ``sending`` after the lease,
``NOTICE_SEND_LEASE_SECONDS``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from catalog.models import BookAuthor
from circulation.models import (
    OVERDUE_NOTICES,
    Hold,
    HoldStatus,
    Loan,
    Notice,
    NoticeKind,
    NoticeStatus,
    Patron,
)
from circulation.notices import MAX_SEND_ATTEMPTS


@dataclass(frozen=True)
class DueNotice:
    """A notice to send: about a loan (and the due date it is about) or a hold."""

    kind: NoticeKind
    patron: Patron
    loan: Loan | None = None
    hold: Hold | None = None

    @property
    def due_on(self) -> datetime.date | None:
        """The date the notice is about: the loan's due date, or the hold's pickup date."""
        if self.loan is not None:
            return self.loan.due_on
        return self.hold.pickup_by if self.hold is not None else None

    @property
    def title(self) -> str:
        if self.loan is not None:
            return self.loan.copy.book.title
        assert self.hold is not None
        return self.hold.book.title


def lease_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    """A notice claimed before this (``now`` less ``NOTICE_SEND_LEASE_SECONDS``) and still
    ``sending`` was abandoned: the run that claimed it stopped before it could say how the email
    went."""
    return (now or timezone.now()) - datetime.timedelta(seconds=settings.NOTICE_SEND_LEASE_SECONDS)


def failed_with_attempts_left() -> Q:
    """A logged notice whose email failed, with attempts left."""
    return Q(status=NoticeStatus.FAILED, attempts__lt=MAX_SEND_ATTEMPTS)


def abandoned(cutoff: datetime.datetime) -> Q:
    """A logged notice claimed before ``cutoff`` (``lease_cutoff``) and still ``sending``, with
    attempts left: the run that claimed it stopped."""
    return Q(status=NoticeStatus.SENDING, claimed_at__lt=cutoff, attempts__lt=MAX_SEND_ATTEMPTS)


def abandoned_for_good(cutoff: datetime.datetime) -> Q:
    """A logged notice claimed before ``cutoff`` and still ``sending`` on its last attempt: the
    run that claimed it stopped, and no run will claim it again."""
    return Q(status=NoticeStatus.SENDING, claimed_at__lt=cutoff, attempts__gte=MAX_SEND_ATTEMPTS)


def retryable(cutoff: datetime.datetime) -> Q:
    """A logged notice that may be sent again: failed or abandoned, with attempts left."""
    return failed_with_attempts_left() | abandoned(cutoff)


def _may_send_again(notice: Notice, cutoff: datetime.datetime) -> bool:
    """``retryable`` for a notice in hand."""
    return notice.attempts < MAX_SEND_ATTEMPTS and (
        notice.status == NoticeStatus.FAILED
        or (notice.status == NoticeStatus.SENDING and notice.claimed_at < cutoff)
    )


def _authors(path: str) -> Prefetch:
    """A book's authors in title-page order, for the notices' {{ author }}."""
    return Prefetch(path, BookAuthor.objects.select_related("author").order_by("position"))


def _open_loans() -> QuerySet[Loan]:
    return (
        Loan.objects.filter(checked_in_at__isnull=True)
        .select_related("patron", "copy__book")
        .prefetch_related(_authors("copy__book__book_authors"))
        .order_by("due_on", "pk")
    )


def due_soon_notices(today: datetime.date, days: int, cutoff: datetime.datetime) -> list[DueNotice]:
    settled = Notice.objects.filter(
        loan=OuterRef("pk"), kind=NoticeKind.DUE_SOON, due_on=OuterRef("due_on")
    ).exclude(retryable(cutoff))
    loans = _open_loans().filter(
        due_on__gte=today, due_on__lte=today + datetime.timedelta(days=days)
    )
    return [
        DueNotice(kind=NoticeKind.DUE_SOON, patron=loan.patron, loan=loan)
        for loan in loans.filter(~Exists(settled))
        if timezone.localdate(loan.checked_out_at) < loan.due_on - datetime.timedelta(days=days)
    ]


def overdue_notices(
    today: datetime.date, reminders: int, interval_days: int, cutoff: datetime.datetime
) -> list[DueNotice]:
    if reminders == 0:
        return []
    loans = list(_open_loans().filter(due_on__lt=today))
    logged: dict[int, list[Notice]] = {}
    for notice in Notice.objects.filter(
        loan__in=[loan.pk for loan in loans], kind__in=OVERDUE_NOTICES
    ).order_by("kind"):
        logged.setdefault(notice.loan_id or 0, []).append(notice)
    interval = datetime.timedelta(days=interval_days)
    due = []
    for loan in loans:
        sent = [n for n in logged.get(loan.pk, []) if n.due_on == loan.due_on]
        kind = _next_reminder(loan, sent, today, reminders, interval, cutoff)
        if kind is not None:
            due.append(DueNotice(kind=kind, patron=loan.patron, loan=loan))
    return due


def _next_reminder(
    loan: Loan,
    sent: list[Notice],
    today: datetime.date,
    reminders: int,
    interval: datetime.timedelta,
    cutoff: datetime.datetime,
) -> NoticeKind | None:
    """The reminder ``loan`` is due today, if any; ``sent`` are its overdue notices so far (for
    its current due date), in order."""
    if sent:
        last = sent[-1]
        if _may_send_again(last, cutoff):
            return NoticeKind(last.kind)  # try that one again
        number = OVERDUE_NOTICES.index(NoticeKind(last.kind)) + 2
        if last.notice_date > today - interval:
            return None
    else:
        number = 1
    if number > reminders:
        return None
    if today < loan.due_on + datetime.timedelta(days=1) + (number - 1) * interval:
        return None
    return OVERDUE_NOTICES[number - 1]


def hold_ready_notices(today: datetime.date, cutoff: datetime.datetime) -> list[DueNotice]:
    settled = Notice.objects.filter(
        hold=OuterRef("pk"), kind=NoticeKind.HOLD_READY, due_on=OuterRef("pickup_by")
    ).exclude(retryable(cutoff))
    holds = (
        Hold.objects.filter(status=HoldStatus.READY, pickup_by__gte=today)
        .filter(~Exists(settled))
        .select_related("patron", "book")
        .prefetch_related(_authors("book__book_authors"))
        .order_by("ready_at", "pk")
    )
    return [DueNotice(kind=NoticeKind.HOLD_READY, patron=hold.patron, hold=hold) for hold in holds]


def notices_due(
    today: datetime.date,
    *,
    due_soon_days: int,
    overdue_reminders: int,
    overdue_interval_days: int,
    cutoff: datetime.datetime | None = None,
) -> list[DueNotice]:
    """Every notice due on ``today``: due soon, overdue reminders, holds ready; with those
    abandoned before ``cutoff`` (default: ``lease_cutoff()``, now less the lease) again."""
    cutoff = cutoff or lease_cutoff()
    return [
        *due_soon_notices(today, due_soon_days, cutoff),
        *overdue_notices(today, overdue_reminders, overdue_interval_days, cutoff),
        *hold_ready_notices(today, cutoff),
    ]
