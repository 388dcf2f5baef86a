"""Fines, when the library charges them (settings.FINES_ENABLED, off by default).

An overdue loan's fine is its patron category's (or circulation rule's) amount per day for the
days the library was open since the due date, nothing within the grace days, up to a maximum
per loan (``circulation.policy.FineTerms``). The ledger (``FineEntry``) only ever grows: the
accrual adds a charge for what a loan's fine grew by since it was last charged, a payment and a
waiver are entries of their own, and the balance is what the charges add up to less the rest.

Accrual runs every hour for the loans still out (``fines_accrue``, on the schedule) and at
check-in for the loan returned (``loan_fine_charge``), each under a lock of the loan's row, so
that two runs at once charge a day once.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from circulation.models import CirculationRule, FineEntry, FineKind, Loan, Patron
from circulation.policy import Calendar, closed_days, fine_terms_for, fines_enabled
from circulation.refusals import money
from circulation.rules import Amount
from circulation.selectors.fines import patron_balance
from shelfmark.errors import Conflict, InvalidInput, NotFound, RuleError
from shelfmark.transactions import service_transaction
from shelfmark.users import signed_in

CENT = Decimal("0.01")
# The largest payment taken at once: a typo of a few extra zeros is refused, not booked.
MOST_AT_ONCE = Decimal("100000")


def fines_refuse_when_disabled() -> None:
    if not fines_enabled():
        raise NotFound(
            _("This library does not charge fines (FINES_ENABLED is off)."), code="fines_disabled"
        )


@dataclass(frozen=True)
class Tariff:
    """What a run of the accrual reads once for all its loans: every circulation rule (a
    library has a handful) and the days the library was closed since the oldest due date."""

    rules: list[CirculationRule]
    calendar: Calendar


def tariff_since(first: datetime.date, today: datetime.date) -> Tariff:
    return Tariff(list(CirculationRule.objects.all()), closed_days(first, today))


def loan_fine_due(loan: Loan, tariff: Tariff, today: datetime.date) -> Decimal:
    """The whole fine ``loan`` has run up by ``today`` (or by its return)."""
    end = timezone.localdate(loan.checked_in_at) if loan.checked_in_at else today
    if end <= loan.due_on:
        return Decimal("0.00")
    terms = fine_terms_for(loan.patron.category, loan.copy.loan_type, tariff.rules)
    if not terms.per_day:
        return Decimal("0.00")
    return terms.fine(tariff.calendar.open_days(loan.due_on, end))


def loan_fine_charge(loan: Loan, *, tariff: Tariff, today: datetime.date) -> FineEntry | None:
    """Charge what ``loan``'s fine grew by since its last charge (None: nothing more). The
    caller holds the loan's row locked (the check-in does), so a day is charged once."""
    due = loan_fine_due(loan, tariff, today)
    charged = FineEntry.objects.filter(loan=loan, kind=FineKind.CHARGE).aggregate(
        total=Sum("amount", default=Decimal(0))
    )["total"]
    more = (due - charged).quantize(CENT)
    if more <= 0:
        return None
    return FineEntry.objects.create(
        patron=loan.patron,
        loan=loan,
        kind=FineKind.CHARGE,
        amount=more,
        note=_("Overdue since %(date)s: %(barcode)s")
        % {"date": f"{loan.due_on:%Y-%m-%d}", "barcode": loan.copy.barcode},
    )


@service_transaction
def loan_fine_accrue(*, loan_id: int, tariff: Tariff, today: datetime.date) -> FineEntry | None:
    """Bring one loan's fine up to date, under a lock of its row."""
    loan = (
        Loan.objects.select_for_update(of=("self",))
        .select_related("patron__category", "copy")
        .filter(pk=loan_id)
        .first()
    )
    return None if loan is None else loan_fine_charge(loan, tariff=tariff, today=today)


def fines_accrue(today: datetime.date | None = None) -> int:
    """Bring every overdue loan's fine up to date (the hourly job); how many were charged.
    Each loan in a transaction of its own: safe to run at any time, late, twice or at once."""
    if not fines_enabled():
        return 0
    today = today or timezone.localdate()
    overdue = Loan.objects.filter(checked_in_at__isnull=True, due_on__lt=today)
    oldest = overdue.aggregate(oldest=Min("due_on"))["oldest"]
    if oldest is None:
        return 0
    tariff = tariff_since(oldest, today)
    charged = 0
    for loan_id in overdue.order_by("id").values_list("id", flat=True).iterator():
        if loan_fine_accrue(loan_id=loan_id, tariff=tariff, today=today) is not None:
            charged += 1
    return charged


PAYMENT = Amount(
    CENT,
    gettext_lazy("The payment must be a number, such as 0.25."),
    gettext_lazy("The payment must be a number with at most two decimals."),
    gettext_lazy("The payment must be from %(minimum)s to %(maximum)s."),
    maximum=MOST_AT_ONCE,
)


def _note(note: str) -> str:
    note = " ".join((note or "").split())
    if len(note) > 500:
        raise InvalidInput(_("A note is at most 500 characters."), field="note")
    return note


@service_transaction
def fine_payment(*, patron: Patron, amount: Any, note: str = "", actor: Any = None) -> FineEntry:
    """Take a payment towards the patron's fines (no more than they owe)."""
    fines_refuse_when_disabled()
    try:
        paid = PAYMENT(amount)
    except RuleError as error:
        raise InvalidInput(str(error), field="amount") from None
    if paid is None:
        raise InvalidInput(_("Say how much is paid."), field="amount")
    patron = Patron.objects.select_for_update(of=("self",)).get(pk=patron.pk)
    owed = patron_balance(patron.pk)
    if paid > owed:
        raise Conflict(
            _("%(name)s owes %(owed)s: a payment of %(paid)s is more than that.")
            % {"name": patron.name, "owed": money(owed), "paid": money(paid)},
            code="payment_exceeds_balance",
            extra={"balance": str(owed)},
        )
    return FineEntry.objects.create(
        patron=patron,
        kind=FineKind.PAYMENT,
        amount=paid,
        note=_note(note),
        created_by=signed_in(actor),
    )


@service_transaction
def fine_waive(*, charge: FineEntry, note: str = "", actor: Any = None) -> FineEntry:
    """Waive what is left of a charge (no more than the patron still owes)."""
    fines_refuse_when_disabled()
    if charge.kind != FineKind.CHARGE:
        raise Conflict(_("Only a charge can be waived."), code="not_a_charge")
    patron = Patron.objects.select_for_update(of=("self",)).get(pk=charge.patron_id)
    waived = FineEntry.objects.filter(charge=charge).aggregate(
        total=Sum("amount", default=Decimal(0))
    )["total"]
    left = min(charge.amount - waived, patron_balance(patron.pk))
    if left <= 0:
        raise Conflict(
            _("Nothing of this charge is left to waive: it was waived or paid already."),
            code="nothing_to_waive",
        )
    return FineEntry.objects.create(
        patron=patron,
        kind=FineKind.WAIVER,
        amount=left.quantize(CENT),
        charge=charge,
        note=_note(note),
        created_by=signed_in(actor),
    )
