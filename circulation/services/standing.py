"""Whether a patron may borrow or hold now: the refusals every circulation service shares
(circulation.refusals holds the rules and their messages)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q

from circulation.models import Loan, Patron
from circulation.policy import terms_for
from circulation.refusals import Standing, card_refusals
from shelfmark.errors import Conflict


def check_patron_in_good_standing(patron: Patron, today: datetime.date) -> None:
    """Refuse a blocked patron or an expired card (409, each with its own code)."""
    for refusal in card_refusals(patron, today):
        raise Conflict(refusal.message, code=refusal.code)


def patron_standing(patron: Patron, today: datetime.date, *, loan_type: str = "") -> Standing:
    """``patron``'s card and loans as the refusals read them; the loan limit is the one for
    ``loan_type`` (every loan type: ``""``). One query for the loans, one for the rules."""
    loans = Loan.objects.filter(patron=patron, checked_in_at__isnull=True).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today))
    )
    return Standing(
        name=patron.name,
        category_name=patron.category.name,
        blocked=patron.blocked,
        block_reason=patron.block_reason,
        expires_on=patron.expires_on,
        overdue_blocks=patron.category.overdue_blocks,
        loans_open=loans["open"],
        loans_overdue=loans["overdue"],
        max_loans=terms_for(patron.category, loan_type).max_loans,
    )
