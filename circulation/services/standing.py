"""Whether a patron may borrow or hold now: the refusals every circulation service shares."""

from __future__ import annotations

import datetime

from circulation.models import Loan, Patron
from shelfmark.errors import Conflict


def check_patron_in_good_standing(patron: Patron, today: datetime.date) -> None:
    """Refuse a blocked patron or an expired card (409, each with its own code)."""
    if patron.blocked:
        raise Conflict(
            f"{patron.name}'s card is blocked: {patron.block_reason}", code="patron_blocked"
        )
    if patron.expires_on is not None and patron.expires_on < today:
        raise Conflict(
            f"{patron.name}'s card expired on {patron.expires_on:%Y-%m-%d}; renew the card first.",
            code="card_expired",
        )


def overdue_loans(patron: Patron, today: datetime.date) -> int:
    return Loan.objects.filter(patron=patron, checked_in_at__isnull=True, due_on__lt=today).count()


def check_no_overdue_when_it_blocks(patron: Patron, today: datetime.date) -> None:
    """Refuse a patron with an overdue loan when their category says overdue loans block."""
    if patron.category.overdue_blocks:
        count = overdue_loans(patron, today)
        if count:
            raise Conflict(
                f"{patron.name} has {count} overdue loan(s); they must be returned first.",
                code="has_overdue_loans",
            )
