"""circulation.services.loans: checkout, check-in and renewal, every rule and refusal."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from catalog.models import Copy, CopyStatus, LoanType
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import (
    CirculationEvent,
    CirculationRule,
    ClosedWeekday,
    EventKind,
    HoldStatus,
    Loan,
)
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from shelfmark.errors import Conflict, DomainError, InvalidInput, NotFound

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def refused(code: str, call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as error:
        call(**kwargs)
    assert error.value.code == code, error.value.message
    return error.value


@pytest.fixture
def patron():
    return PatronFactory(card_number="CARD-1", name="Ada Reader")


@pytest.fixture
def copy():
    return CopyFactory(barcode="B-1", book=BookFactory(title="Middlemarch"))


def checkout(patron, copy):
    return services.loan_checkout(card_number=patron.card_number, barcode=copy.barcode)


# --- Checkout ------------------------------------------------------------------------------------


def test_checkout_lends_the_copy_until_the_rules_due_date(patron, copy):
    loan = checkout(patron, copy)

    copy.refresh_from_db()
    assert copy.status == CopyStatus.ON_LOAN
    assert (loan.patron, loan.copy, loan.renewals, loan.checked_in_at) == (patron, copy, 0, None)
    assert loan.due_on == TODAY() + datetime.timedelta(days=21)
    event = CirculationEvent.objects.get(kind=EventKind.CHECKOUT)
    assert (event.patron, event.copy, event.book, event.loan) == (patron, copy, copy.book, loan)
    assert (event.from_state, event.to_state) == ("available", "on_loan")


def test_card_and_barcode_are_read_as_scanned(patron, copy):
    loan = services.loan_checkout(card_number="  CARD-1 ", barcode=" B-1")
    assert loan.copy == copy


@pytest.mark.parametrize(
    ("card", "barcode", "error", "code"),
    [
        ("NOPE", "B-1", NotFound, "unknown_card"),
        ("CARD-1", "NOPE", NotFound, "unknown_barcode"),
        ("", "B-1", InvalidInput, "invalid"),
        ("CARD-1", "B 1", InvalidInput, "invalid"),
    ],
)
def test_unknown_or_malformed_card_and_barcode(patron, copy, card, barcode, error, code):
    with pytest.raises(error) as raised:
        services.loan_checkout(card_number=card, barcode=barcode)
    assert raised.value.code == code
    assert not Loan.objects.exists()


def test_a_copy_on_loan_is_refused_and_says_to_whom(patron, copy):
    checkout(patron, copy)
    other = PatronFactory()
    refused("copy_on_loan", checkout, patron=other, copy=copy)
    error = refused("already_on_loan_to_patron", checkout, patron=patron, copy=copy)
    assert "Ada Reader" in error.message
    assert Loan.objects.count() == 1


@pytest.mark.parametrize("status", [CopyStatus.LOST, CopyStatus.DAMAGED, CopyStatus.WITHDRAWN])
def test_an_unavailable_copy_is_refused_with_its_status(patron, status):
    copy = CopyFactory(status=status)
    error = refused("copy_unavailable", checkout, patron=patron, copy=copy)
    assert CopyStatus(status).label.lower() in error.message


def test_a_reference_copy_is_not_for_loan(patron):
    copy = CopyFactory(loan_type=LoanType.REFERENCE)
    refused("copy_not_for_loan", checkout, patron=patron, copy=copy)


def test_a_blocked_patron_or_an_expired_card_is_refused(patron, copy):
    patron.blocked, patron.block_reason = True, "Unpaid fines"
    patron.save()
    error = refused("patron_blocked", checkout, patron=patron, copy=copy)
    assert "Unpaid fines" in error.message

    expired = PatronFactory(expires_on=TODAY() - datetime.timedelta(days=1))
    refused("card_expired", checkout, patron=expired, copy=copy)
    assert not Loan.objects.exists()


def test_at_the_loan_limit_no_more(copy):
    patron = PatronFactory(category=PatronCategoryFactory(name="Child", max_loans=1))
    checkout(patron, CopyFactory())
    refused("max_loans", checkout, patron=patron, copy=copy)


def test_an_overdue_loan_blocks_new_loans_when_the_category_says_so(copy):
    strict = PatronFactory(category=PatronCategoryFactory(name="Strict", overdue_blocks=True))
    lenient = PatronFactory(category=PatronCategoryFactory(name="Lenient", overdue_blocks=False))
    for patron in (strict, lenient):
        loan = checkout(patron, CopyFactory())
        Loan.objects.filter(pk=loan.pk).update(due_on=TODAY() - datetime.timedelta(days=1))

    refused("has_overdue_loans", checkout, patron=strict, copy=copy)
    assert checkout(lenient, copy).patron == lenient


def test_the_most_specific_rule_sets_the_loan_period():
    adult = PatronCategoryFactory(name="Adult", loan_period_days=21)
    staff = PatronCategoryFactory(name="Staff", loan_period_days=28)
    CirculationRule.objects.create(loan_type=LoanType.SHORT, loan_period_days=2)
    CirculationRule.objects.create(category=staff, loan_type=LoanType.SHORT, loan_period_days=7)
    short = [CopyFactory(loan_type=LoanType.SHORT) for _ in range(2)]

    adult_loan = checkout(PatronFactory(category=adult), short[0])
    staff_loan = checkout(PatronFactory(category=staff), short[1])
    normal_loan = checkout(PatronFactory(category=staff), CopyFactory())

    assert adult_loan.due_on == TODAY() + datetime.timedelta(days=2)
    assert staff_loan.due_on == TODAY() + datetime.timedelta(days=7)
    assert normal_loan.due_on == TODAY() + datetime.timedelta(days=28)


def test_a_due_date_on_a_closed_day_moves_to_the_next_open_day(patron, copy):
    natural = TODAY() + datetime.timedelta(days=21)
    ClosedWeekday.objects.create(weekday=natural.weekday())
    ClosedWeekday.objects.create(weekday=(natural.weekday() + 1) % 7)
    assert checkout(patron, copy).due_on == natural + datetime.timedelta(days=2)


def test_the_patron_the_copy_is_set_aside_for_collects_it(patron, copy):
    waiting = services.hold_place(patron=patron, book=_all_out(copy))
    services.loan_checkin(barcode=copy.barcode)
    refused("copy_on_hold_shelf", checkout, patron=PatronFactory(), copy=copy)

    loan = checkout(patron, copy)

    waiting.refresh_from_db()
    assert waiting.status == HoldStatus.COLLECTED
    assert loan.patron == patron
    assert CirculationEvent.objects.filter(kind=EventKind.HOLD_COLLECTED, hold=waiting).exists()


def _all_out(copy: Copy):
    """Lend ``copy`` to someone, so that its book can be held; returns the book."""
    checkout(PatronFactory(), copy)
    return copy.book


# --- Check-in ------------------------------------------------------------------------------------


def test_checkin_closes_the_loan_and_counts_the_days_late(patron, copy):
    loan = checkout(patron, copy)
    Loan.objects.filter(pk=loan.pk).update(due_on=TODAY() - datetime.timedelta(days=3))

    result = services.loan_checkin(barcode=copy.barcode)

    loan.refresh_from_db()
    copy.refresh_from_db()
    assert (result.loan, result.hold) == (loan, None)
    assert loan.checked_in_at is not None
    assert loan.days_late == 3
    assert copy.status == CopyStatus.AVAILABLE
    assert "Back to the shelf" in result.message
    assert CirculationEvent.objects.get(kind=EventKind.CHECKIN).note == "3 days late"


def test_checkin_traps_the_first_hold_in_the_queue(patron, copy):
    book = copy.book
    checkout(PatronFactory(), copy)
    first = services.hold_place(patron=patron, book=book)
    second = services.hold_place(patron=PatronFactory(), book=book)

    result = services.loan_checkin(barcode=copy.barcode)

    first.refresh_from_db()
    copy.refresh_from_db()
    assert result.hold == first
    assert first.status == HoldStatus.READY
    assert first.copy == copy
    assert first.pickup_by == TODAY() + datetime.timedelta(days=7)
    assert copy.status == CopyStatus.ON_HOLD_SHELF
    assert "Ada Reader" in result.message
    assert "CARD-1" in result.message
    second.refresh_from_db()
    assert second.status == HoldStatus.WAITING


def test_checking_in_a_copy_not_on_loan_says_so_and_still_traps_a_hold(patron, copy):
    result = services.loan_checkin(barcode=copy.barcode)
    assert result.loan is None
    assert "was not on loan" in result.message

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.HOLDS_ALLOWED_WHEN_AVAILABLE", True)
        hold = services.hold_place(patron=patron, book=copy.book)
    result = services.loan_checkin(barcode=copy.barcode)
    assert (result.loan, result.hold) == (None, hold)
    again = services.loan_checkin(barcode=copy.barcode)
    assert "already on the hold shelf for Ada Reader" in again.message


@pytest.mark.parametrize("status", [CopyStatus.DAMAGED, CopyStatus.WITHDRAWN])
def test_checking_in_a_damaged_or_withdrawn_copy_changes_nothing(copy, status):
    Copy.objects.filter(pk=copy.pk).update(status=status)
    result = services.loan_checkin(barcode=copy.barcode)
    assert (result.loan, result.found) == (None, False)
    assert CopyStatus(status).label.lower() in result.message
    copy.refresh_from_db()
    assert copy.status == status


def test_checkin_of_an_unknown_barcode_is_not_found():
    refused("unknown_barcode", services.loan_checkin, barcode="NOPE")


# --- Renewal -------------------------------------------------------------------------------------


def test_renewal_sets_a_new_due_date_from_today_and_counts(patron, copy):
    loan = checkout(patron, copy)
    Loan.objects.filter(pk=loan.pk).update(due_on=TODAY() + datetime.timedelta(days=1))

    renewed = services.loan_renew(loan=loan)

    assert renewed.due_on == TODAY() + datetime.timedelta(days=21)
    assert renewed.renewals == 1
    event = CirculationEvent.objects.get(kind=EventKind.RENEW)
    assert event.to_state == f"due {renewed.due_on:%Y-%m-%d}"


def test_renewal_never_shortens_a_loan(patron, copy):
    loan = checkout(patron, copy)
    far = TODAY() + datetime.timedelta(days=60)
    Loan.objects.filter(pk=loan.pk).update(due_on=far)
    assert services.loan_renew(loan=loan).due_on == far


def test_renewals_stop_at_the_limit(patron, copy):
    loan = checkout(patron, copy)
    services.loan_renew(loan=loan)
    services.loan_renew(loan=loan)
    refused("max_renewals", services.loan_renew, loan=loan)


def test_no_renewal_when_someone_else_waits_for_the_book(patron, copy):
    loan = checkout(patron, copy)
    services.hold_place(patron=PatronFactory(), book=copy.book)
    refused("book_held", services.loan_renew, loan=loan)


def test_no_renewal_for_a_blocked_patron_or_an_overdue_loan(patron, copy):
    loan = checkout(patron, copy)
    Loan.objects.filter(pk=loan.pk).update(due_on=TODAY() - datetime.timedelta(days=1))
    refused("loan_overdue", services.loan_renew, loan=loan)

    lenient = PatronFactory(category=PatronCategoryFactory(name="Lenient", overdue_blocks=False))
    other = checkout(lenient, CopyFactory())
    Loan.objects.filter(pk=other.pk).update(due_on=TODAY() - datetime.timedelta(days=1))
    assert services.loan_renew(loan=other).renewals == 1

    services.patron_update(patron=lenient, blocked=True, block_reason="Lost card")
    refused("patron_blocked", services.loan_renew, loan=other)


def test_a_returned_loan_cannot_be_renewed(patron, copy):
    loan = checkout(patron, copy)
    services.loan_checkin(barcode=copy.barcode)
    refused("loan_closed", services.loan_renew, loan=loan)


def test_a_loan_that_vanished_is_not_found(patron, copy):
    loan = checkout(patron, copy)
    loan.pk = 987654
    with pytest.raises(NotFound):
        services.loan_renew(loan=loan)


def test_refusals_change_nothing(patron, copy):
    before = CirculationEvent.objects.count()
    for _ in range(2):
        with pytest.raises(Conflict):
            checkout(patron, CopyFactory(status=CopyStatus.LOST))
    assert CirculationEvent.objects.count() == before
    assert not Loan.objects.exists()
