"""The reads of the staff desk (circulation/views/desk.py): patrons by card or search, a
patron's page, the overdue list and the hold shelf. Rows are plain dicts from ``.values()``;
every list costs a fixed number of queries, whatever its length."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower

from catalog.models import Copy, CopyStatus, LoanType
from circulation.models import (
    ACTIVE_HOLD_STATUSES,
    CirculationEvent,
    EventKind,
    Hold,
    HoldStatus,
    Loan,
    Patron,
    not_suspended,
)
from circulation.policy import fines_enabled, general_max_loans
from circulation.refusals import patron_blocks
from circulation.rules import clean_card_number
from circulation.selectors import waiting_position
from circulation.selectors.fines import patron_balance
from circulation.selectors.rows import STANDING_COLUMNS, standing_annotations, standing_of
from shelfmark.errors import RuleError
from shelfmark.rows import Row

SEARCH_LIMIT = 50
HISTORY_LIMIT = 50
LIST_LIMIT = 200
# Expired holds stay on the hold-shelf list this long: their copy may still sit on the shelf.
EXPIRED_SHOWN_DAYS = 7

PATRON_FIELDS = (
    "id",
    "card_number",
    "name",
    "email",
    "phone",
    "expires_on",
    "blocked",
    "block_reason",
    "notes",
    "language",
    "category_id",
    "category__name",
    *STANDING_COLUMNS,
)


def _rows(values: Iterable[Any]) -> list[Row]:
    """A ``.values()`` query's dicts as plain rows (the stubs type each as a fixed TypedDict,
    and the views add keys)."""
    return [dict(row) for row in values]


def _patron_counts(today: datetime.date) -> dict[str, Count]:
    open_loans = Q(loans__checked_in_at__isnull=True)
    return {
        # Two joins (loans, holds) would multiply each other's rows: count distinct ids.
        "loans_open": Count("loans", filter=open_loans, distinct=True),
        "loans_overdue": Count(
            "loans", filter=open_loans & Q(loans__due_on__lt=today), distinct=True
        ),
        "holds_ready": Count("holds", filter=Q(holds__status=HoldStatus.READY), distinct=True),
    }


def patron_by_card(card_number: str) -> Patron | None:
    """The patron whose card says ``card_number`` (as the services clean it), or None."""
    try:
        card = clean_card_number(card_number)
    except RuleError:
        return None
    return Patron.objects.filter(card_number=card).first()


def patron_card_number(patron_pk: int) -> str | None:
    """The card number of the patron with id ``patron_pk`` (None if there is none), which the
    checkout service takes: one query."""
    return Patron.objects.filter(pk=patron_pk).values_list("card_number", flat=True).first()


def _blocks(patron: Row, *, loans_open: int, loans_overdue: int, today: datetime.date) -> None:
    """``blocks``: every reason the patron cannot borrow today (circulation.refusals), with
    the loan limit for every loan type (one query, for the circulation rules)."""
    category_id = patron["category_id"]
    max_loans = general_max_loans({category_id: patron["category_max_loans"]})[category_id]
    standing = standing_of(
        patron,
        loans_open=loans_open,
        loans_overdue=loans_overdue,
        max_loans=max_loans,
        fines_owed=patron_balance(patron["id"]) if fines_enabled() else Decimal(0),
    )
    patron["blocks"] = patron_blocks(standing, today)
    patron["card_expired"] = any(block.code == "card_expired" for block in patron["blocks"])


def patron_summary(patron_pk: int, today: datetime.date) -> Row | None:
    """What the checkout page shows of its patron, with every reason they cannot borrow now:
    two queries."""
    patron = (
        Patron.objects.filter(pk=patron_pk)
        .annotate(**standing_annotations(), **_patron_counts(today))
        .values(*PATRON_FIELDS, "loans_open", "loans_overdue", "holds_ready")
        .first()
    )
    if patron is not None:
        _blocks(
            patron,
            loans_open=patron["loans_open"],
            loans_overdue=patron["loans_overdue"],
            today=today,
        )
    return patron


def patron_search(query: str, today: datetime.date) -> list[Row]:
    """Patrons whose name or email contains every word of ``query``, or whose card number
    starts with it; at most SEARCH_LIMIT, by name. One query."""
    words = query.split()
    if not words:
        return []
    by_words = Q()
    for word in words:
        by_words &= Q(name__icontains=word) | Q(email__icontains=word)
    card = query.strip()
    patrons = Patron.objects.filter(by_words | Q(card_number__istartswith=card))
    return _rows(
        patrons.annotate(**standing_annotations(), **_patron_counts(today))
        .order_by(Lower("name"), "id")
        .values(*PATRON_FIELDS, "loans_open", "loans_overdue", "holds_ready")[:SEARCH_LIMIT]
    )


def _loan_rows(loans: QuerySet[Loan], today: datetime.date) -> list[Row]:
    rows = _rows(
        loans.values(
            "id",
            "due_on",
            "checked_out_at",
            "renewals",
            "patron_id",
            "patron__name",
            "patron__card_number",
            "patron__email",
            "patron__phone",
            "copy__barcode",
            "copy__book_id",
            "copy__book__title",
        )
    )
    for row in rows:
        row["days_overdue"] = max(0, (today - row["due_on"]).days)
    return rows


def _hold_rows(holds: QuerySet[Hold]) -> list[Row]:
    rows = _rows(
        holds.annotate(queue_position=waiting_position()).values(
            "id",
            "status",
            "placed_at",
            "pickup_by",
            "suspended_until",
            "closed_at",
            "queue_position",
            "book_id",
            "book__title",
            "patron_id",
            "patron__name",
            "patron__card_number",
            "copy__barcode",
            "copy__status",
            "copy__call_number",
            "copy__location",
        )
    )
    for row in rows:  # the copy's status as the page names it, in the reader's language
        status = row["copy__status"]
        row["copy_status_label"] = CopyStatus(status).label if status in CopyStatus else ""
    return rows


def patron_page(patron_pk: int, today: datetime.date) -> Row | None:
    """A patron, every reason they cannot borrow now, their open loans, active holds and
    latest history: five queries."""
    patron = (
        Patron.objects.filter(pk=patron_pk)
        .annotate(**standing_annotations())
        .values(*PATRON_FIELDS, "user__username")
        .first()
    )
    if patron is None:
        return None
    patron["loans"] = _loan_rows(
        Loan.objects.filter(patron_id=patron_pk, checked_in_at__isnull=True).order_by(
            "due_on", "id"
        ),
        today,
    )
    _blocks(
        patron,
        loans_open=len(patron["loans"]),
        loans_overdue=sum(1 for loan in patron["loans"] if loan["days_overdue"]),
        today=today,
    )
    patron["holds"] = _hold_rows(
        Hold.objects.filter(patron_id=patron_pk, status__in=ACTIVE_HOLD_STATUSES).order_by(
            "placed_at", "id"
        )
    )
    kinds = dict(EventKind.choices)
    history = _rows(
        CirculationEvent.objects.filter(patron_id=patron_pk)
        .order_by("-at", "-id")
        .values(
            "id", "at", "kind", "note", "from_state", "to_state",
            "actor__username", "copy__barcode", "book_id", "book__title",
        )[:HISTORY_LIMIT]
    )  # fmt: skip
    for event in history:
        event["kind_label"] = kinds.get(event["kind"], event["kind"])
    patron["history"] = history
    return patron


def overdue_loans(today: datetime.date) -> tuple[list[Row], int]:
    """Open loans past their due date, longest overdue first (at most LIST_LIMIT), and how
    many there are in all: two queries."""
    loans = Loan.objects.filter(checked_in_at__isnull=True, due_on__lt=today)
    rows = _loan_rows(loans.order_by("due_on", "id")[:LIST_LIMIT], today)
    return rows, loans.count() if len(rows) == LIST_LIMIT else len(rows)


def hold_shelf(today: datetime.date) -> dict[str, list[Row]]:
    """The hold shelf as the desk works it, in three lists (three queries):

    - ``ready``: copies on the hold shelf, waiting for their patron (pickup date not passed);
    - ``expired``: copies to take off the hold shelf: ready holds past their pickup date (the
      expiry job has not run yet) and holds expired in the last few days, with where their
      copy is now (on the shelf for the next patron, or back to the stacks);
    - ``to_pull``: the first patron waiting for a book that has a copy on the open shelves
      (a hold placed while a copy was in, or a copy back in the stacks): pull the copy and
      check it in, which puts it on the hold shelf.
    """
    ready = Hold.objects.filter(status=HoldStatus.READY)
    expired_since = today - datetime.timedelta(days=EXPIRED_SHOWN_DAYS)
    expired = Hold.objects.filter(
        Q(status=HoldStatus.READY, pickup_by__lt=today)
        | Q(status=HoldStatus.EXPIRED, closed_at__date__gte=expired_since)
    )
    copy_on_shelf = Copy.objects.filter(book=OuterRef("book"), status=CopyStatus.AVAILABLE).exclude(
        loan_type=LoanType.REFERENCE
    )
    # The first in each book's queue: no waiting hold of the same book comes before it.
    # Suspended holds are passed over, as a check-in passes them over.
    earlier = Hold.objects.filter(
        not_suspended(today),
        book=OuterRef("book"),
        status=HoldStatus.WAITING,
        sequence__lt=OuterRef("sequence"),
    )
    to_pull = Hold.objects.filter(not_suspended(today), status=HoldStatus.WAITING).filter(
        Exists(copy_on_shelf), ~Exists(earlier)
    )
    rows = {
        "ready": _hold_rows(ready.filter(pickup_by__gte=today).order_by("pickup_by", "id")),
        "expired": _hold_rows(expired.order_by("pickup_by", "id")[:LIST_LIMIT]),
        "to_pull": _hold_rows(to_pull.order_by("placed_at", "id")[:LIST_LIMIT]),
    }
    _add_shelf_copies(rows["to_pull"])
    return rows


def _add_shelf_copies(holds: list[Row]) -> None:
    """Where to find a copy for each hold to pull: the copies on the shelf (one query, none
    for an empty list)."""
    copies: dict[int, list[Row]] = {}
    if holds:
        available = (
            Copy.objects.filter(
                book_id__in={hold["book_id"] for hold in holds}, status=CopyStatus.AVAILABLE
            )
            .exclude(loan_type=LoanType.REFERENCE)
            .order_by("barcode")
            .values("book_id", "barcode", "call_number", "location")
        )
        for copy in _rows(available):
            copies.setdefault(copy["book_id"], []).append(copy)
    for hold in holds:
        hold["shelf_copies"] = copies.get(hold["book_id"], [])


def hold_slip(hold_pk: int) -> Row | None:
    """What the printed hold-shelf slip says: whose it is, what, and until when."""
    rows = _hold_rows(Hold.objects.filter(pk=hold_pk, status=HoldStatus.READY))
    return rows[0] if rows else None


def copy_title(barcode: str) -> str:
    """The title of the copy a barcode names ('' for none), for the desk's refusal lines."""
    title = (
        Copy.objects.filter(barcode=barcode.strip()).values_list("book__title", flat=True).first()
    )
    return title or ""


def loan_overrides(loan_pk: int) -> list[str]:
    """The codes of the refusals a loan was lent past (its override events): one query."""
    return list(
        CirculationEvent.objects.filter(loan_id=loan_pk, kind=EventKind.OVERRIDE)
        .order_by("id")
        .values_list("from_state", flat=True)
    )


def queue_position(hold_pk: int) -> int | None:
    """A waiting hold's place in its book's queue (None when it is not waiting): one query."""
    return (
        Hold.objects.filter(pk=hold_pk, status=HoldStatus.WAITING)
        .annotate(position=waiting_position())
        .values_list("position", flat=True)
        .first()
    )
