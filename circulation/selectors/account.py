"""The reads of patrons' self-service (circulation/views/account.py and feed.py): their
account, what a book's page offers them, and their calendar feed. Every read is scoped to one
patron; nothing here returns another patron's rows."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Q

from catalog.models import Copy, CopyStatus, LoanType
from circulation.models import ACTIVE_HOLD_STATUSES, CalendarFeed, Hold, HoldStatus, Loan, Patron
from circulation.policy import terms_for
from circulation.selectors import waiting_position
from shelfmark.rows import Row


def _rows(values: Iterable[Any]) -> list[Row]:
    """A ``.values()`` query's dicts as plain rows (the stubs type each as a fixed TypedDict,
    and the views add keys)."""
    return [dict(row) for row in values]


def patron_of(user: Any) -> Patron | None:
    """The patron record linked to a signed-in login (None: anonymous, or no library card)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Patron.objects.select_related("category").filter(user_id=user.pk).first()


def account_loans(patron: Patron, today: datetime.date) -> list[Row]:
    """The patron's open loans, soonest due first, with the renewals their terms allow: one
    query, plus one per loan type among them (the lending rules)."""
    rows = _rows(
        Loan.objects.filter(patron=patron, checked_in_at__isnull=True)
        .order_by("due_on", "id")
        .values(
            "id",
            "due_on",
            "checked_out_at",
            "renewals",
            "copy__barcode",
            "copy__loan_type",
            "copy__book_id",
            "copy__book__title",
        )
    )
    max_renewals: dict[str, int] = {}
    for row in rows:
        loan_type = row["copy__loan_type"]
        if loan_type not in max_renewals:
            max_renewals[loan_type] = terms_for(patron.category, loan_type).max_renewals
        row["max_renewals"] = max_renewals[loan_type]
        row["overdue"] = row["due_on"] < today
        row["due_in_days"] = (row["due_on"] - today).days
    return rows


def account_holds(patron: Patron) -> list[Row]:
    """The patron's active holds with their place in the queue: one query."""
    return _rows(
        Hold.objects.filter(patron=patron, status__in=ACTIVE_HOLD_STATUSES)
        .annotate(queue_position=waiting_position())
        .order_by("placed_at", "id")
        .values(
            "id",
            "status",
            "placed_at",
            "pickup_by",
            "suspended_until",
            "queue_position",
            "book_id",
            "book__title",
        )
    )


def book_hold_panel(book: Row, user: Any, today: datetime.date) -> Row:
    """What a book's page says about holds to ``user``: how many wait, and for a patron whether
    they can place one (or why not). The hold service decides for real when they press the
    button; this only spares them a button that would be refused.

    ``book`` is the page's book row, which already carries ``holds_waiting`` (the catalog
    extension, ``rows.book_circulation_add``, with ``can_place_hold``), so a visitor without a
    card costs no query here, a patron who may place a hold one, and a patron who may not up to
    five (who they are, their hold, and why not)."""
    book_id = book["id"]
    panel: Row = {"book_id": book_id, "holds_waiting": book["holds_waiting"], "patron": None}
    if book["can_place_hold"] is None:  # anonymous, or a login without a library card
        return panel
    patron = patron_of(user)
    if patron is None:  # the card was unlinked since the row was read
        return panel
    panel["patron"] = patron
    if book["can_place_hold"]:
        panel.update(my_hold=None, refusal="", can_place_hold=True)
        return panel
    mine = (
        Hold.objects.filter(patron=patron, book_id=book_id, status__in=ACTIVE_HOLD_STATUSES)
        .annotate(queue_position=waiting_position())
        .values("id", "status", "pickup_by", "queue_position")
        .first()
    )
    panel["my_hold"] = mine
    reason = ""
    if mine is not None:
        reason = "held"
    elif patron.blocked:
        reason = "blocked"
    elif patron.expires_on is not None and patron.expires_on < today:
        reason = "expired"
    else:
        on_loan = Loan.objects.filter(
            patron=patron, copy__book_id=book_id, checked_in_at__isnull=True
        ).exists()
        active = Hold.objects.filter(patron=patron, status__in=ACTIVE_HOLD_STATUSES).count()
        on_shelf = (
            Copy.objects.filter(book_id=book_id, status=CopyStatus.AVAILABLE)
            .exclude(loan_type=LoanType.REFERENCE)
            .exists()
        )
        if on_loan:
            reason = "on_loan"
        elif active >= patron.category.max_holds:
            reason = "max_holds"
        elif on_shelf and not settings.HOLDS_ALLOWED_WHEN_AVAILABLE:
            reason = "on_shelf"
    panel["refusal"] = reason
    panel["can_place_hold"] = reason == ""
    return panel


def feed_for_secret_hash(secret_hash: str) -> Patron | None:
    feed = CalendarFeed.objects.select_related("patron").filter(secret_hash=secret_hash).first()
    return feed.patron if feed else None


def feed_created_at(patron: Patron) -> datetime.datetime | None:
    return CalendarFeed.objects.filter(patron=patron).values_list("created_at", flat=True).first()


def feed_entries(patron: Patron) -> tuple[list[Row], list[Row]]:
    """What the calendar feed shows: open loans' due dates, ready holds' pickup deadlines."""
    loans = _rows(
        Loan.objects.filter(patron=patron, checked_in_at__isnull=True)
        .order_by("due_on", "id")
        .values("id", "due_on", "renewals", "copy__barcode", "copy__book__title")
    )
    holds = _rows(
        Hold.objects.filter(Q(patron=patron) & Q(status=HoldStatus.READY))
        .order_by("pickup_by", "id")
        .values("id", "pickup_by", "book__title", "copy__barcode")
    )
    return loans, holds
