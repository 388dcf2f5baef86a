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

from catalog.models import Book, Copy, CopyStatus, LoanType
from catalog.services import copy_circulation_move
from circulation.models import ACTIVE_HOLD_STATUSES, EventKind, Hold, HoldStatus, Patron
from circulation.policy import next_open_day
from circulation.services.events import event_record
from circulation.services.standing import check_patron_in_good_standing
from shelfmark.errors import Conflict
from shelfmark.transactions import lock_row, service_transaction


@service_transaction
def hold_place(*, patron: Patron, book: Book, actor: Any = None) -> Hold:
    """Put ``patron`` in ``book``'s queue (first come, first served)."""
    patron = lock_row(Patron, patron.pk, no_key=True)
    book = lock_row(Book, book.pk, no_key=True)  # the queue's lock: one place per number
    today = timezone.localdate()
    check_patron_in_good_standing(patron, today)
    if Hold.objects.filter(patron=patron, book=book, status__in=ACTIVE_HOLD_STATUSES).exists():
        raise Conflict(f"{patron.name} already holds '{book.title}'.", code="already_held")
    if patron.loans.filter(copy__book=book, checked_in_at__isnull=True).exists():
        raise Conflict(
            f"{patron.name} has '{book.title}' on loan already.", code="book_on_loan_to_patron"
        )
    active = Hold.objects.filter(patron=patron, status__in=ACTIVE_HOLD_STATUSES).count()
    if active >= patron.category.max_holds:
        raise Conflict(
            f"{patron.name} has {active} hold(s), the most a {patron.category.name} patron may "
            "have at once; one must be collected or cancelled first.",
            code="max_holds",
        )
    on_shelf = book.copies.filter(status=CopyStatus.AVAILABLE).exclude(loan_type=LoanType.REFERENCE)
    if not settings.HOLDS_ALLOWED_WHEN_AVAILABLE and on_shelf.exists():
        raise Conflict(
            f"A copy of '{book.title}' is on the shelf now: borrow it instead of placing a hold.",
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
        raise Conflict(f"This hold is already {hold.status}.", code="hold_closed")
    _close(hold, HoldStatus.CANCELLED, EventKind.HOLD_CANCELLED, actor=actor)
    return hold


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
    # A copy set aside for this hold goes to the next patron waiting, or back to the shelf.
    if was == HoldStatus.READY and copy is not None and trap_hold(copy, actor=actor) is None:
        copy_circulation_move(copy=copy, status=CopyStatus.AVAILABLE)


def trap_hold(copy: Copy, *, actor: Any) -> Hold | None:
    """Set ``copy`` aside for the first patron waiting for its book, if any: their hold becomes
    ready with a pickup deadline and the copy goes to the hold shelf. The caller holds the
    book's and the copy's locks; the copy is available or on the hold shelf for a hold that
    was just closed."""
    if copy.loan_type == LoanType.REFERENCE:
        return None  # not for loan, so it cannot satisfy a hold
    hold = (
        Hold.objects.select_for_update(no_key=True)
        .filter(book_id=copy.book_id, status=HoldStatus.WAITING)
        .order_by("sequence")
        .select_related("patron__category")
        .first()
    )
    if hold is None:
        return None
    now = timezone.now()
    days = hold.patron.category.hold_pickup_days
    hold.status = HoldStatus.READY
    hold.copy = copy
    hold.ready_at = now
    hold.pickup_by = next_open_day(timezone.localdate(now) + datetime.timedelta(days=days))
    if copy.status != CopyStatus.ON_HOLD_SHELF:
        copy_circulation_move(copy=copy, status=CopyStatus.ON_HOLD_SHELF)
    hold.save(update_fields=["status", "copy", "ready_at", "pickup_by"])
    event_record(
        EventKind.HOLD_READY,
        actor=actor,
        patron=hold.patron,
        copy=copy,
        hold=hold,
        from_state=HoldStatus.WAITING,
        to_state=HoldStatus.READY,
        note=f"pick up by {hold.pickup_by:%Y-%m-%d}",
    )
    return hold
