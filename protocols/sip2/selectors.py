"""The reads SIP2 answers need: a patron by card, their standing, charged and hold items, a
copy's circulation. Each is a fixed, small number of queries, whatever the patron has; the
standing is the desk's own (circulation.selectors.desk.patron_summary), so a kiosk and the desk
give the same reasons a patron cannot borrow."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Q

from catalog.models import Copy
from catalog.rules import clean_barcode
from circulation.models import ACTIVE_HOLD_STATUSES, Hold, HoldStatus, Loan, Patron, not_suspended
from circulation.policy import fines_enabled
from circulation.rules import clean_card_number
from circulation.selectors import desk
from circulation.selectors.fines import patron_balance
from shelfmark.errors import RuleError
from shelfmark.rows import Row


def patron_by_card(card_number: str) -> Patron | None:
    """The patron whose card says ``card_number`` (cleaned as the services clean it), with
    their login and category, or None: one query."""
    try:
        card = clean_card_number(card_number)
    except RuleError:
        return None
    return Patron.objects.select_related("user", "category").filter(card_number=card).first()


def patron_summary(patron_pk: int, today: datetime.date) -> Row | None:
    """The desk's summary of a patron: loan counts and ``blocks``, every reason they cannot
    borrow today."""
    return desk.patron_summary(patron_pk, today)


def fines_owed(patron_pk: int) -> Decimal | None:
    """What the patron owes, or None where the library charges no fines."""
    return patron_balance(patron_pk) if fines_enabled() else None


def charged_items(patron_pk: int) -> list[Row]:
    """The patron's open loans, soonest due first: barcode, title, due date. One query."""
    loans = Loan.objects.filter(patron_id=patron_pk, checked_in_at__isnull=True)
    return [
        dict(row)
        for row in loans.order_by("due_on", "id").values(
            "due_on", "copy__barcode", "copy__book__title"
        )
    ]


def hold_items(patron_pk: int) -> list[Row]:
    """The patron's active holds, oldest first: status, the copy set aside (ready ones) and the
    title. One query."""
    holds = Hold.objects.filter(patron_id=patron_pk, status__in=ACTIVE_HOLD_STATUSES)
    return [
        dict(row)
        for row in holds.order_by("placed_at", "id").values(
            "status", "pickup_by", "copy__barcode", "book__title"
        )
    ]


def item(barcode: str, today: datetime.date) -> Row | None:
    """A copy as a kiosk asks about it: status, title, locations, the due date of its open
    loan, the patrons waiting for its book and, on the hold shelf, the pickup deadline. Three
    queries; None for an unknown barcode."""
    try:
        code = clean_barcode(barcode)
    except RuleError:
        return None
    waiting = Q(book__holds__status=HoldStatus.WAITING) & not_suspended(today, "book__holds__")
    found = (
        Copy.objects.filter(barcode=code)
        .annotate(queue=Count("book__holds", filter=waiting))
        .values("id", "barcode", "status", "location", "call_number", "book__title", "queue")
        .first()
    )
    if found is None:
        return None
    row: Row = dict(found)
    row["due_on"] = (
        Loan.objects.filter(copy_id=row["id"], checked_in_at__isnull=True)
        .values_list("due_on", flat=True)
        .first()
    )
    row["pickup_by"] = (
        Hold.objects.filter(copy_id=row["id"], status=HoldStatus.READY)
        .values_list("pickup_by", flat=True)
        .first()
    )
    return row


def open_loan(patron_pk: int, barcode: str) -> Loan | None:
    """The patron's open loan of the copy with ``barcode``, or None: one query."""
    try:
        code = clean_barcode(barcode)
    except RuleError:
        return None
    return (
        Loan.objects.select_related("copy__book")
        .filter(patron_id=patron_pk, copy__barcode=code, checked_in_at__isnull=True)
        .first()
    )


def copy_exists(barcode: str) -> bool:
    try:
        code = clean_barcode(barcode)
    except RuleError:
        return False
    return Copy.objects.filter(barcode=code).exists()


def copy_title(barcode: str) -> str:
    """The title of the copy ``barcode`` names ('' for none)."""
    return desk.copy_title(barcode)
