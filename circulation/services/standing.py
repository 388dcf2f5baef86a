"""Whether a patron may borrow or hold now: the refusals every circulation service shares
(circulation.refusals holds the rules and their messages)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Expression, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from circulation.models import Loan, Patron
from circulation.policy import fines_enabled
from circulation.refusals import Standing, card_refusals
from shelfmark.errors import Conflict


def check_patron_in_good_standing(patron: Patron, today: datetime.date) -> None:
    """Refuse a blocked patron or an expired card (409, each with its own code)."""
    for refusal in card_refusals(patron, today):
        raise Conflict(refusal.message, code=refusal.code)


def open_loan_counts(patron: Patron, today: datetime.date) -> dict[str, Expression]:
    """``patron``'s open and overdue loans as annotations (``loans_open``, ``loans_overdue``)
    of any query, for a service that reads them in a statement it runs anyway. Read after the
    patron's row is locked (checkouts lock it first), so no loan of theirs can be missed."""
    open_loans = Loan.objects.filter(patron=patron, checked_in_at__isnull=True).order_by()

    def count(loans: QuerySet[Loan]) -> Expression:
        counted = loans.values("patron").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted), Value(0))

    return {
        "loans_open": count(open_loans),
        "loans_overdue": count(open_loans.filter(due_on__lt=today)),
    }


def standing_of(
    patron: Patron,
    *,
    loans_open: int,
    loans_overdue: int,
    max_loans: int,
    fines_owed: Decimal = Decimal(0),
) -> Standing:
    """``patron``'s standing from counts, a loan limit and fines owed read already."""
    return Standing(
        name=patron.name,
        category_name=patron.category.name,
        blocked=patron.blocked,
        block_reason=patron.block_reason,
        expires_on=patron.expires_on,
        overdue_blocks=patron.category.overdue_blocks,
        loans_open=loans_open,
        loans_overdue=loans_overdue,
        max_loans=max_loans,
        fines_owed=fines_owed,
        fines_block_at=patron.category.fines_block_at if fines_enabled() else None,
    )
