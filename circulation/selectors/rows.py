"""Circulation's rows as the API reads them: patron categories, patrons, loans and holds, who
may see which, a patron's own summary, and what circulation adds to a book's rows.

Each resource is a ``RowShape`` (shelfmark.rows): one ``.values()`` query per page, with related
columns joined in and computed ones as annotations (a loan's ``overdue``, a hold's queue
``position``), and a ``represent`` step that only renames and orders keys. So every list page and
every detail is one query.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import Book, Copy, CopyStatus, LoanType
from circulation.models import (
    ACTIVE_HOLD_STATUSES,
    Hold,
    HoldStatus,
    Loan,
    Patron,
    PatronCategory,
)
from circulation.policy import fines_enabled, general_max_loans
from circulation.refusals import Refusal, Standing, patron_blocks
from circulation.selectors import waiting_position
from circulation.selectors.fines import balances
from shelfmark.rows import Row, RowShape, Viewer, add_counts


def _keys(*names: str | tuple[str, str]) -> Callable[..., list[Row]]:
    """A ``represent`` step that gives each row exactly these keys, in this order; a pair
    ``(column, key)`` renames a column (``("patron_id", "patron")``)."""
    pairs = [(name, name) if isinstance(name, str) else name for name in names]

    def represent(rows: list[Row], *, viewer: Viewer = None) -> list[Row]:
        return [{key: row[column] for column, key in pairs} for row in rows]

    return represent


def _columns(*names: str | tuple[str, str]) -> tuple[str, ...]:
    return tuple(name if isinstance(name, str) else name[0] for name in names)


def _is_staff(viewer: Viewer) -> bool:
    return bool(viewer is not None and viewer.is_authenticated and viewer.is_staff)


def _signed_in(viewer: Viewer) -> bool:
    return bool(viewer is not None and viewer.is_authenticated)


# --- Patron categories -------------------------------------------------------------------------

CATEGORY_FIELDS = (
    "id",
    "name",
    "loan_period_days",
    "max_loans",
    "max_renewals",
    "max_holds",
    "hold_pickup_days",
    "overdue_blocks",
    "card_valid_months",
    "fine_per_day",
    "fine_grace_days",
    "fine_max_per_loan",
    "fines_block_at",
)
_MONEY = ("fine_per_day", "fine_max_per_loan", "fines_block_at")


def _money_as_text(rows: list[Row], *, viewer: Viewer = None) -> list[Row]:
    """Sums of money as text ("0.25"), as the schema's decimals say: a float loses cents."""
    for row in rows:
        for name in _MONEY:
            if row[name] is not None:
                row[name] = str(row[name])
    return rows


CATEGORY_ROWS = RowShape(columns=CATEGORY_FIELDS, represent=_money_as_text)


def categories() -> QuerySet[PatronCategory]:
    return PatronCategory.objects.all()


def category_get(category_id: int) -> PatronCategory | None:
    return PatronCategory.objects.filter(pk=category_id).first()


# --- Patrons -----------------------------------------------------------------------------------

_PATRON_KEYS: Sequence[str | tuple[str, str]] = (
    "id",
    "card_number",
    "name",
    "email",
    "phone",
    "language",
    ("category_id", "category"),
    "expires_on",
    "blocked",
    "block_reason",
    ("user_id", "user"),
)
# What the patron's ``blocks`` are read from, beside the keys.
STANDING_COLUMNS = (
    "category_name",
    "category_max_loans",
    "category_overdue_blocks",
    "category_fines_block_at",
)


def standing_annotations() -> dict[str, Any]:
    return {
        "category_name": F("category__name"),
        "category_max_loans": F("category__max_loans"),
        "category_overdue_blocks": F("category__overdue_blocks"),
        "category_fines_block_at": F("category__fines_block_at"),
    }


def patron_blocks_of(rows: Sequence[Row], today: datetime.date) -> dict[int, list[Refusal]]:
    """Every reason each patron of ``rows`` (patron columns and ``STANDING_COLUMNS``) cannot
    borrow today (circulation.refusals.patron_blocks): two queries for the page, their loans
    and the loan limits."""
    if not rows:
        return {}
    loans = {
        counts["patron_id"]: counts
        for counts in Loan.objects.filter(
            patron_id__in=[row["id"] for row in rows], checked_in_at__isnull=True
        )
        .values("patron_id")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
    }
    limits = general_max_loans({row["category_id"]: row["category_max_loans"] for row in rows})
    owed = balances([row["id"] for row in rows]) if fines_enabled() else {}
    blocks = {}
    for row in rows:
        counts = loans.get(row["id"], {"open": 0, "overdue": 0})
        standing = standing_of(
            row,
            loans_open=counts["open"],
            loans_overdue=counts["overdue"],
            max_loans=limits[row["category_id"]],
            fines_owed=owed.get(row["id"], Decimal(0)),
        )
        blocks[row["id"]] = patron_blocks(standing, today)
    return blocks


def standing_of(
    row: Row,
    *,
    loans_open: int,
    loans_overdue: int,
    max_loans: int,
    fines_owed: Decimal = Decimal(0),
) -> Standing:
    """A patron row (its fields and ``STANDING_COLUMNS``), its loans and its fines owed, as
    the refusals read them."""
    return Standing(
        name=row["name"],
        category_name=row["category_name"],
        blocked=row["blocked"],
        block_reason=row["block_reason"],
        expires_on=row["expires_on"],
        overdue_blocks=row["category_overdue_blocks"],
        loans_open=loans_open,
        loans_overdue=loans_overdue,
        max_loans=max_loans,
        fines_owed=fines_owed,
        fines_block_at=row["category_fines_block_at"] if fines_enabled() else None,
    )


def _patrons_represent(rows: list[Row], *, viewer: Viewer = None) -> list[Row]:
    blocks = patron_blocks_of(rows, timezone.localdate())
    shaped = _keys(*_PATRON_KEYS)(rows, viewer=viewer)
    for row in shaped:
        row["blocks"] = [refusal.as_dict(viewer) for refusal in blocks[row["id"]]]
    return shaped


# Staff's notes on a patron are not here: a patron reads their own record through the API.
PATRON_ROWS = RowShape(
    columns=(*_columns(*_PATRON_KEYS), *STANDING_COLUMNS),
    annotations=standing_annotations,
    represent=_patrons_represent,
)


def patrons_visible_to(viewer: Viewer) -> QuerySet[Patron]:
    """Every patron for staff; for anyone else their own record, if their login has one."""
    return Patron.objects.all() if _is_staff(viewer) else own_patron(viewer)


def own_patron(viewer: Viewer) -> QuerySet[Patron]:
    """The patron record linked to the signed-in ``viewer``'s login (none, or one)."""
    if not _signed_in(viewer):
        return Patron.objects.none()
    return Patron.objects.filter(user_id=viewer.pk)


def patron_of(viewer: Viewer) -> Patron | None:
    return own_patron(viewer).first()


def patron_search(patrons: QuerySet[Patron], query: str) -> QuerySet[Patron]:
    """Patrons whose name, card number or email contains every word of ``query``."""
    for word in query.split():
        patrons = patrons.filter(
            Q(name__icontains=word) | Q(card_number__icontains=word) | Q(email__icontains=word)
        )
    return patrons


# --- Loans -------------------------------------------------------------------------------------

_LOAN_KEYS: Sequence[str | tuple[str, str]] = (
    "id",
    ("patron_id", "patron"),
    ("copy_barcode", "copy"),
    ("copy_book_id", "book"),
    "book_title",
    "checked_out_at",
    "due_on",
    "checked_in_at",
    "renewals",
    "overdue",
    "days_late",
)


def overdue_condition(today: Any = None) -> Q:
    """Open and past its due date, today (the library's local date)."""
    return Q(checked_in_at__isnull=True, due_on__lt=today or timezone.localdate())


def _loan_annotations() -> dict[str, Any]:
    return {
        "copy_barcode": F("copy__barcode"),
        "copy_book_id": F("copy__book_id"),
        "book_title": F("copy__book__title"),
        "overdue": ExpressionWrapper(overdue_condition(), output_field=BooleanField()),
    }


LOAN_ROWS = RowShape(
    columns=_columns(*_LOAN_KEYS), annotations=_loan_annotations, represent=_keys(*_LOAN_KEYS)
)


def loans_visible_to(viewer: Viewer) -> QuerySet[Loan]:
    """Every loan for staff; for anyone else the loans of their own patron record."""
    if _is_staff(viewer):
        return Loan.objects.all()
    if not _signed_in(viewer):
        return Loan.objects.none()
    return Loan.objects.filter(patron__user_id=viewer.pk)


# --- Holds -------------------------------------------------------------------------------------

_HOLD_KEYS: Sequence[str | tuple[str, str]] = (
    "id",
    ("patron_id", "patron"),
    ("book_id", "book"),
    "book_title",
    "position",
    "status",
    "placed_at",
    "suspended_until",
    "pickup_by",
    ("copy_barcode", "copy"),
)


def _hold_annotations() -> dict[str, Any]:
    return {
        "book_title": F("book__title"),
        # A place in the queue only while waiting (waiting_position counts the waiting holds
        # up to this one's number, whatever this one's own status).
        "position": Case(
            When(status=HoldStatus.WAITING, then=waiting_position()),
            default=Value(None),
            output_field=IntegerField(),
        ),
        "copy_barcode": F("copy__barcode"),
    }


HOLD_ROWS = RowShape(
    columns=_columns(*_HOLD_KEYS), annotations=_hold_annotations, represent=_keys(*_HOLD_KEYS)
)


def holds_visible_to(viewer: Viewer) -> QuerySet[Hold]:
    """Every hold for staff; for anyone else the holds of their own patron record."""
    if _is_staff(viewer):
        return Hold.objects.all()
    if not _signed_in(viewer):
        return Hold.objects.none()
    return Hold.objects.filter(patron__user_id=viewer.pk)


# --- A patron's own summary (/me/) -------------------------------------------------------------


def patron_summary(patrons: QuerySet[Patron]) -> dict[str, Any] | None:
    """The record of the one patron in ``patrons``, their open loans (soonest due first) and
    active holds (oldest first): three queries. The lists are short, bounded by the category's
    limits."""
    row = PATRON_ROWS.rows(patrons).first()
    if row is None:
        return None
    loans = LOAN_ROWS.rows(
        Loan.objects.filter(patron_id=row["id"], checked_in_at__isnull=True)
    ).order_by("due_on", "id")
    holds = HOLD_ROWS.rows(
        Hold.objects.filter(patron_id=row["id"], status__in=ACTIVE_HOLD_STATUSES)
    ).order_by("placed_at", "id")
    return {"patron": row, "loans": list(loans), "holds": list(holds)}


# --- What circulation adds to a book (catalog.extensions) --------------------------------------

BOOK_KEYS = ("holds_waiting", "can_place_hold")


def _waiting_count() -> Coalesce:
    waiting = (
        Hold.objects.filter(book=OuterRef("pk"), status=HoldStatus.WAITING)
        .order_by()
        .values("book")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(waiting, output_field=IntegerField()), Value(0))


def book_circulation_add(rows: list[Row], *, viewer: Viewer = None) -> None:
    """Fill in ``holds_waiting`` (the book's queue) and ``can_place_hold`` for a page of book
    rows: whether the signed-in viewer's patron record could place a hold on the book now, by
    the rules ``hold_place`` applies; None for a viewer without a patron record (anonymous
    visitors, staff accounts).

    One query for an anonymous viewer, two for a signed-in one (their patron record, then the
    page), whatever the page's size.
    """
    if not rows:
        return
    patron = (
        Patron.objects.select_related("category")
        .filter(user_id=viewer.pk)
        .annotate(
            active_holds=Coalesce(
                Subquery(
                    Hold.objects.filter(patron=OuterRef("pk"), status__in=ACTIVE_HOLD_STATUSES)
                    .order_by()
                    .values("patron")
                    .annotate(n=Count("pk"))
                    .values("n"),
                    output_field=IntegerField(),
                ),
                Value(0),
            )
        )
        .first()
        if _signed_in(viewer)
        else None
    )
    books = Book.objects.filter(pk__in=[row["id"] for row in rows])
    if patron is None:
        # One grouped look-up in the waiting queue's index for the page's books.
        add_counts(
            rows,
            table=Hold._meta.db_table,
            per="book_id",
            counts={"holds_waiting": "count(*)"},
            where="status = %s",
            params=[HoldStatus.WAITING.value],
        )
        for row in rows:
            row["can_place_hold"] = None
        return
    lendable_on_shelf = Copy.objects.filter(
        book=OuterRef("pk"), status=CopyStatus.AVAILABLE
    ).exclude(loan_type=LoanType.REFERENCE)
    facts = {
        book["pk"]: book
        for book in books.annotate(
            waiting=_waiting_count(),
            held=Exists(
                Hold.objects.filter(
                    book=OuterRef("pk"), patron=patron, status__in=ACTIVE_HOLD_STATUSES
                )
            ),
            borrowed=Exists(
                Loan.objects.filter(
                    copy__book=OuterRef("pk"), patron=patron, checked_in_at__isnull=True
                )
            ),
            on_shelf=Exists(lendable_on_shelf),
        ).values("pk", "waiting", "held", "borrowed", "on_shelf")
    }
    today = timezone.localdate()
    may_hold = (
        not patron.blocked
        and (patron.expires_on is None or patron.expires_on >= today)
        and patron.active_holds < patron.category.max_holds
    )
    for row in rows:
        book = facts.get(row["id"])
        row["holds_waiting"] = book["waiting"] if book else 0
        row["can_place_hold"] = bool(
            may_hold
            and book
            and not book["held"]
            and not book["borrowed"]
            and (settings.HOLDS_ALLOWED_WHEN_AVAILABLE or not book["on_shelf"])
        )
