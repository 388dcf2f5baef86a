"""Fines under concurrent use, on PostgreSQL: two accrual runs at once charge a day once, and
two payments of the whole balance at once take one."""

from __future__ import annotations

import datetime
import functools
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import FineEntry, FineKind, Loan
from circulation.services.fines import fine_payment, fines_accrue
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from shelfmark.errors import Conflict
from shelfmark.testing.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 8


@pytest.fixture(autouse=True)
def fines_on(settings):
    settings.FINES_ENABLED = True


def late_patron():
    category = PatronCategoryFactory(
        name="Racers", fine_per_day=Decimal("0.50"), overdue_blocks=False, max_loans=50
    )
    patron = PatronFactory(category=category)
    copy = CopyFactory(book=BookFactory())
    loan = services.loan_checkout(card_number=patron.card_number, barcode=copy.barcode)
    Loan.objects.filter(pk=loan.pk).update(due_on=timezone.localdate() - datetime.timedelta(days=4))
    return patron, loan


def test_two_accrual_runs_at_once_charge_a_day_once():
    for _ in range(ROUNDS):
        _patron, loan = late_patron()
        race(fines_accrue, fines_accrue)
        charges = FineEntry.objects.filter(loan=loan, kind=FineKind.CHARGE)
        assert sum(charge.amount for charge in charges) == Decimal("2.00")


def test_two_payments_of_the_whole_balance_at_once_take_one():
    for _ in range(ROUNDS):
        patron, _loan = late_patron()
        fines_accrue()
        outcomes = race(*[functools.partial(fine_payment, patron=patron, amount="2.00")] * 2)
        assert sum(isinstance(outcome, FineEntry) for outcome in outcomes) == 1, outcomes
        assert sum(isinstance(outcome, Conflict) for outcome in outcomes) == 1, outcomes
        assert FineEntry.objects.filter(patron=patron, kind=FineKind.PAYMENT).count() == 1
