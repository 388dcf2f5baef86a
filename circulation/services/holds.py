"""Holds: a patron's place in a book's queue, the hold shelf, and expiry.

Lock order, shared by every circulation service so that two of them cannot deadlock:
patron → book (the book's row is its queue's lock) → copy → loan → hold.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import Book, Copy, CopyStatus, LoanType
from catalog.services import copy_circulation_move_locked
from circulation.models import (
    ACTIVE_HOLD_STATUSES,
    EventKind,
    Hold,
    HoldStatus,
    Patron,
    not_suspended,
)
from circulation.policy import calendar_annotations, calendar_from, next_open_day
from circulation.services.events import event_record
from circulation.services.standing import check_patron_in_good_standing
from shelfmark.errors import Conflict, InvalidInput
from shelfmark.formats import long_date
from shelfmark.transactions import lock_row, service_transaction

# How far ahead a hold may be suspended: a holiday, a term abroad; not for ever.
MAX_SUSPENSION = datetime.timedelta(days=365)


@service_transaction
def hold_place(*, patron: Patron, book: Book, actor: Any = None) -> Hold:
    """Put ``patron`` in ``book``'s queue (first come, first served)."""
    patron = lock_row(Patron, patron.pk, no_key=True)
    book = lock_row(Book, book.pk, no_key=True)  # the queue's lock: one place per number
    today = timezone.localdate()
    check_patron_in_good_standing(patron, today)
    if Hold.objects.filter(patron=patron, book=book, status__in=ACTIVE_HOLD_STATUSES).exists():
        raise Conflict(
            _("%(name)s already holds '%(title)s'.") % {"name": patron.name, "title": book.title},
            code="already_held",
        )
    if patron.loans.filter(copy__book=book, checked_in_at__isnull=True).exists():
        raise Conflict(
            _("%(name)s has '%(title)s' on loan already.")
            % {"name": patron.name, "title": book.title},
            code="book_on_loan_to_patron",
        )
    active = Hold.objects.filter(patron=patron, status__in=ACTIVE_HOLD_STATUSES).count()
    if active >= patron.category.max_holds:
        raise Conflict(
            ngettext(
                "%(name)s has %(count)d hold, the most a %(category)s patron may have at once; "
                "it must be collected or cancelled first.",
                "%(name)s has %(count)d holds, the most a %(category)s patron may have at "
                "once; one must be collected or cancelled first.",
                active,
            )
            % {"name": patron.name, "count": active, "category": patron.category.name},
            code="max_holds",
        )
    on_shelf = book.copies.filter(status=CopyStatus.AVAILABLE).exclude(loan_type=LoanType.REFERENCE)
    if not settings.HOLDS_ALLOWED_WHEN_AVAILABLE and on_shelf.exists():
        raise Conflict(
            _("A copy of '%(title)s' is on the shelf now: borrow it instead of placing a hold.")
            % {"title": book.title},
            code="copy_on_shelf",
        )
    last = Hold.objects.filter(book=book).aggregate(last=Max("sequence"))["last"] or 0
    hold = Hold.objects.create(
        patron=patron, book=book, sequence=last + 1, placed_at=timezone.now()
    )
    event_record(
        EventKind.HOLD_PLACED,
        actor=actor,
        patron=patron,
        book=book,
        hold=hold,
        to_state=HoldStatus.WAITING,
    )
    return hold


@service_transaction
def hold_cancel(*, hold: Hold, actor: Any = None) -> Hold:
    """Take a waiting or ready hold out of the queue; a copy set aside for it goes to the next
    patron waiting, or back to the shelf."""
    lock_row(Book, hold.book_id, no_key=True)
    if hold.copy_id is not None:
        lock_row(Copy, hold.copy_id, no_key=True)
    hold = lock_row(Hold, hold.pk, no_key=True)
    if hold.status not in ACTIVE_HOLD_STATUSES:
        raise Conflict(_closed(hold.status), code="hold_closed")
    _close(hold, HoldStatus.CANCELLED, EventKind.HOLD_CANCELLED, actor=actor)
    return hold


def _closed(status: str) -> str:
    """Why a closed hold (collected, cancelled or expired) cannot be changed."""
    if status == HoldStatus.COLLECTED:
        return _("This hold is already collected.")
    if status == HoldStatus.CANCELLED:
        return _("This hold is already cancelled.")
    if status == HoldStatus.EXPIRED:
        return _("This hold is already expired.")
    return _("This hold is already closed (%(status)s).") % {"status": status}


def holds_expire(*, today: datetime.date | None = None) -> list[Hold]:
    """Expire every ready hold whose pickup deadline has passed, each in its own transaction;
    its copy goes to the next patron waiting or back to the shelf. Safe to run at any time and
    as often as liked: a hold expires once."""
    today = today or timezone.localdate()
    expired = []
    for hold in Hold.objects.filter(status=HoldStatus.READY, pickup_by__lt=today).order_by("pk"):
        done = _expire_one(hold, today)
        if done is not None:
            expired.append(done)
    return expired


@service_transaction
def _expire_one(hold: Hold, today: datetime.date) -> Hold | None:
    lock_row(Book, hold.book_id, no_key=True)
    if hold.copy_id is not None:
        lock_row(Copy, hold.copy_id, no_key=True)
    hold = lock_row(Hold, hold.pk, no_key=True)
    if hold.status != HoldStatus.READY or hold.pickup_by is None or hold.pickup_by >= today:
        return None  # collected or cancelled meanwhile
    _close(hold, HoldStatus.EXPIRED, EventKind.HOLD_EXPIRED, actor=None)
    return hold


def _close(hold: Hold, status: HoldStatus, kind: EventKind, *, actor: Any) -> None:
    """Close an active hold (the caller holds the locks); pass a ready hold's copy on."""
    was = hold.status
    copy = hold.copy
    hold.status = status
    hold.closed_at = timezone.now()
    hold.save(update_fields=["status", "closed_at"])
    event_record(
        kind,
        actor=actor,
        patron=hold.patron,
        book=hold.book,
        copy=copy,
        hold=hold,
        from_state=was,
        to_state=status,
    )
    if was == HoldStatus.READY and copy is not None:
        copy_pass_on(copy, actor=actor)


def copy_pass_on(copy: Copy, *, actor: Any) -> Hold | None:
    """A copy leaving the hold shelf (its hold closed) goes to the next patron waiting, or
    back to the shelf. The caller holds the book's and the copy's locks."""
    hold = trap_hold(copy, actor=actor)
    if hold is None:
        copy_circulation_move_locked(copy=copy, status=CopyStatus.AVAILABLE)
    return hold


def hold_requeue(hold: Hold, *, actor: Any) -> None:
    """A ready hold whose copy was lent to someone else (a librarian's override) goes back to
    waiting, at its place in the queue: its number never changed, so it is served first when
    the next copy comes back. The caller holds the book's lock and lends the copy."""
    copy = hold.copy
    hold.status = HoldStatus.WAITING
    hold.copy = None
    hold.ready_at = None
    hold.pickup_by = None
    hold.save(update_fields=["status", "copy", "ready_at", "pickup_by"])
    event_record(
        EventKind.HOLD_REQUEUED,
        actor=actor,
        patron=hold.patron,
        book=hold.book,
        copy=copy,
        hold=hold,
        from_state=HoldStatus.READY,
        to_state=HoldStatus.WAITING,
    )


@service_transaction
def hold_suspend(*, hold: Hold, until: datetime.date | None, actor: Any = None) -> Hold:
    """Suspend a waiting hold until ``until`` (it keeps its place in the queue, but returned
    copies pass it over; from that day on it is active again by itself), or resume it now
    (``until`` None)."""
    lock_row(Book, hold.book_id, no_key=True)
    hold = lock_row(Hold, hold.pk, no_key=True)
    today = timezone.localdate()
    if hold.status != HoldStatus.WAITING:
        if hold.status == HoldStatus.READY:
            raise Conflict(
                _(
                    "This hold is ready on the hold shelf: it can be collected or cancelled, not "
                    "suspended."
                ),
                code="hold_ready",
            )
        raise Conflict(_closed(hold.status), code="hold_closed")
    suspended = hold.suspended_until is not None and hold.suspended_until > today
    if until is None:
        if hold.suspended_until is not None:
            hold.suspended_until = None
            hold.save(update_fields=["suspended_until"])
            if suspended:
                event_record(
                    EventKind.HOLD_RESUMED,
                    actor=actor,
                    patron=hold.patron,
                    book=hold.book,
                    hold=hold,
                    from_state="suspended",
                    to_state=HoldStatus.WAITING,
                )
        return hold
    if until <= today:
        raise InvalidInput(
            _("The day the hold resumes must be after today."), field="suspended_until"
        )
    latest = today + MAX_SUSPENSION
    if until > latest:
        raise InvalidInput(
            _("A hold can be suspended for a year at most (until %(date)s).")
            % {"date": long_date(latest)},
            field="suspended_until",
        )
    hold.suspended_until = until
    hold.save(update_fields=["suspended_until"])
    event_record(
        EventKind.HOLD_SUSPENDED,
        actor=actor,
        patron=hold.patron,
        book=hold.book,
        hold=hold,
        from_state=HoldStatus.WAITING,
        to_state="suspended",
        note=_("until %(date)s") % {"date": f"{until:%Y-%m-%d}"},
    )
    return hold


def trap_hold(copy: Copy, *, actor: Any) -> Hold | None:
    """Set ``copy`` aside for the first patron waiting for its book (suspended holds passed
    over), if any: their hold becomes ready with a pickup deadline and the copy goes to the
    hold shelf. The caller holds the book's and the copy's locks and read ``copy`` under them;
    the copy is available, on loan (being checked in: it goes straight to the hold shelf), or
    on the hold shelf for a hold that was just closed."""
    if copy.loan_type == LoanType.REFERENCE:
        return None  # not for loan, so it cannot satisfy a hold
    hold = (
        # Only the hold's row is locked (OF): the patron's and the category's rows are read
        # for the pickup deadline and the desk's message, and other check-ins trapping holds
        # for patrons of the same category must not queue behind this one.
        Hold.objects.select_for_update(no_key=True, of=("self",))
        .filter(book_id=copy.book_id, status=HoldStatus.WAITING)
        .filter(not_suspended(timezone.localdate()))  # a suspended hold keeps its place
        .order_by("sequence")
        .select_related("patron__category")
        # The calendar for the pickup day comes with the hold: no statement of its own.
        .annotate(**calendar_annotations(timezone.localdate()))
        .first()
    )
    if hold is None:
        return None
    now = timezone.now()
    days = hold.patron.category.hold_pickup_days
    hold.status = HoldStatus.READY
    hold.copy = copy
    hold.suspended_until = None  # a suspension over by now (a ready hold is never suspended)
    hold.ready_at = now
    hold.pickup_by = next_open_day(
        timezone.localdate(now) + datetime.timedelta(days=days), calendar_from(hold)
    )
    if copy.status != CopyStatus.ON_HOLD_SHELF:
        copy_circulation_move_locked(copy=copy, status=CopyStatus.ON_HOLD_SHELF)
    hold.save(update_fields=["status", "copy", "suspended_until", "ready_at", "pickup_by"])
    event_record(
        EventKind.HOLD_READY,
        actor=actor,
        patron=hold.patron,
        copy=copy,
        hold=hold,
        from_state=HoldStatus.WAITING,
        to_state=HoldStatus.READY,
        note=_("pick up by %(date)s") % {"date": f"{hold.pickup_by:%Y-%m-%d}"},
    )
    return hold
