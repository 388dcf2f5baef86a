"""Lending: checkout, check-in and renewal.

Lock order (shared with circulation.services.holds): patron → book → copy → loan → hold. Two
desks lending one copy serialize on the copy's row, and the partial unique index on open loans
is the last line: no interleaving lends a copy twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.models import Book, Copy, CopyStatus, LoanType
from catalog.rules import clean_barcode
from catalog.services import copy_circulation_move
from circulation.models import EventKind, Hold, HoldStatus, Loan, Patron
from circulation.policy import due_date, terms_for
from circulation.rules import clean_card_number
from circulation.services.events import event_record
from circulation.services.holds import trap_hold
from circulation.services.standing import (
    check_no_overdue_when_it_blocks,
    check_patron_in_good_standing,
)
from shelfmark.errors import Conflict, InvalidInput, NotFound, RuleError
from shelfmark.transactions import lock_row, service_transaction


@dataclass(frozen=True)
class CheckinResult:
    """What a check-in did: the loan it closed (None if the copy was not on loan), the hold it
    set the copy aside for (None if nobody waits), and a sentence for the desk."""

    copy: Copy
    loan: Loan | None
    hold: Hold | None
    message: str


def _patron_for_card(card_number: str) -> Patron:
    try:
        card = clean_card_number(card_number)
    except RuleError as error:
        raise InvalidInput(str(error), field="patron") from None
    patron = (
        Patron.objects.select_for_update(no_key=True, of=("self",))
        .select_related("category")
        .filter(card_number=card)
        .first()
    )
    if patron is None:
        raise NotFound(f"No patron has card number {card}.", code="unknown_card")
    return patron


def _copy_pk_for_barcode(barcode: str) -> tuple[int, int]:
    try:
        code = clean_barcode(barcode)
    except RuleError as error:
        raise InvalidInput(str(error), field="copy") from None
    found = Copy.objects.filter(barcode=code).values_list("pk", "book_id").first()
    if found is None:
        raise NotFound(f"No copy has barcode {code}.", code="unknown_barcode")
    return found


def _open_loan(copy: Copy) -> Loan | None:
    return (
        Loan.objects.select_for_update(no_key=True, of=("self",))
        .select_related("patron")
        .filter(copy=copy, checked_in_at__isnull=True)
        .first()
    )


@service_transaction
def loan_checkout(*, card_number: str, barcode: str, actor: Any = None) -> Loan:
    """Lend the copy with ``barcode`` to the patron with ``card_number``."""
    patron = _patron_for_card(card_number)  # locked: one checkout at a time per patron
    copy_pk, _book_pk = _copy_pk_for_barcode(barcode)
    copy = lock_row(Copy, copy_pk, no_key=True)
    now = timezone.now()
    today = timezone.localdate(now)
    check_patron_in_good_standing(patron, today)
    check_no_overdue_when_it_blocks(patron, today)
    hold = _check_copy_lendable(copy, patron)
    terms = terms_for(patron.category, copy.loan_type)
    open_loans = Loan.objects.filter(patron=patron, checked_in_at__isnull=True).count()
    if open_loans >= terms.max_loans:
        raise Conflict(
            f"{patron.name} has {open_loans} loan(s), the most a {patron.category.name} patron "
            "may have at once.",
            code="max_loans",
        )
    try:
        with transaction.atomic():
            loan = Loan.objects.create(
                copy=copy,
                patron=patron,
                checked_out_at=now,
                due_on=due_date(today, terms.loan_period_days),
            )
    except IntegrityError:  # the unique index, should the locks ever be bypassed
        raise Conflict(f"Copy {copy.barcode} was just lent.", code="copy_on_loan") from None
    if hold is not None:
        hold.status = HoldStatus.COLLECTED
        hold.closed_at = now
        hold.save(update_fields=["status", "closed_at"])
        event_record(
            EventKind.HOLD_COLLECTED,
            actor=actor,
            patron=patron,
            copy=copy,
            hold=hold,
            from_state=HoldStatus.READY,
            to_state=HoldStatus.COLLECTED,
            at=now,
        )
    copy_circulation_move(copy=copy, status=CopyStatus.ON_LOAN)
    event_record(
        EventKind.CHECKOUT,
        actor=actor,
        patron=patron,
        copy=copy,
        loan=loan,
        from_state=copy.status,
        to_state=CopyStatus.ON_LOAN,
        note=f"due {loan.due_on:%Y-%m-%d}",
        at=now,
    )
    return loan


def _check_copy_lendable(copy: Copy, patron: Patron) -> Hold | None:
    """Refuse a copy that cannot go to ``patron`` now; a hold of theirs it satisfies, if any."""
    if copy.loan_type == LoanType.REFERENCE:
        raise Conflict(
            f"Copy {copy.barcode} is not for loan (reference).", code="copy_not_for_loan"
        )
    if copy.status == CopyStatus.ON_LOAN:
        loan = _open_loan(copy)
        if loan is not None and loan.patron_id == patron.pk:
            raise Conflict(
                f"Copy {copy.barcode} is already on loan to {patron.name} (due "
                f"{loan.due_on:%Y-%m-%d}).",
                code="already_on_loan_to_patron",
            )
        raise Conflict(f"Copy {copy.barcode} is on loan to another patron.", code="copy_on_loan")
    if copy.status == CopyStatus.ON_HOLD_SHELF:
        hold = (
            Hold.objects.select_for_update(no_key=True)
            .filter(copy=copy, status=HoldStatus.READY)
            .first()
        )
        if hold is not None and hold.patron_id == patron.pk:
            return hold
        raise Conflict(
            f"Copy {copy.barcode} is on the hold shelf for another patron.",
            code="copy_on_hold_shelf",
        )
    if copy.status != CopyStatus.AVAILABLE:
        raise Conflict(
            f"Copy {copy.barcode} is {CopyStatus(copy.status).label.lower()}; it cannot be lent.",
            code="copy_unavailable",
        )
    return None


@service_transaction
def loan_checkin(*, barcode: str, actor: Any = None) -> CheckinResult:
    """Take a copy back. A copy that was not on loan is no error: the result says so. Either
    way, if a patron waits for the book, the copy goes to the hold shelf for the first one."""
    copy_pk, book_pk = _copy_pk_for_barcode(barcode)
    lock_row(Book, book_pk, no_key=True)  # the book's queue, before the copy (lock order)
    copy = lock_row(Copy, copy_pk, no_key=True)
    if copy.book_id != book_pk:
        raise Conflict(
            f"Copy {copy.barcode} was moved to another book just now; scan it again.",
            code="concurrent_change",
        )
    now = timezone.now()
    loan = _open_loan(copy)
    if loan is not None:
        loan.checked_in_at = now
        loan.days_late = max(0, (timezone.localdate(now) - loan.due_on).days)
        loan.save(update_fields=["checked_in_at", "days_late"])
        copy = copy_circulation_move(copy=copy, status=CopyStatus.AVAILABLE)
        event_record(
            EventKind.CHECKIN,
            actor=actor,
            patron=loan.patron,
            copy=copy,
            loan=loan,
            from_state=CopyStatus.ON_LOAN,
            to_state=CopyStatus.AVAILABLE,
            note=f"{loan.days_late} day(s) late" if loan.days_late else "",
            at=now,
        )
    if copy.status == CopyStatus.ON_HOLD_SHELF:
        hold = Hold.objects.filter(copy=copy, status=HoldStatus.READY).first()
        return CheckinResult(
            copy=copy,
            loan=loan,
            hold=hold,
            message=f"Copy {copy.barcode} is already on the hold shelf"
            + (f" for {hold.patron.name}." if hold else "."),
        )
    if copy.status != CopyStatus.AVAILABLE:
        label = CopyStatus(copy.status).label.lower()
        return CheckinResult(
            copy=copy,
            loan=None,
            hold=None,
            message=f"Copy {copy.barcode} is {label}, not on loan: nothing to check in. Change "
            "its status in the catalog when it is back in use.",
        )
    hold = trap_hold(copy, actor=actor)
    returned = "Checked in" if loan else f"Copy {copy.barcode} was not on loan"
    if hold is not None:
        message = (
            f"{returned}. Put it on the hold shelf for {hold.patron.name} (card "
            f"{hold.patron.card_number}), to pick up by {hold.pickup_by:%Y-%m-%d}."
        )
    else:
        message = f"{returned}. Back to the shelf."
    return CheckinResult(copy=copy, loan=loan, hold=hold, message=message)


@service_transaction
def loan_renew(*, loan: Loan, actor: Any = None) -> Loan:
    """Give an open loan a new due date, counted from today (never earlier than the current
    one)."""
    copy = lock_row(Copy, loan.copy_id, no_key=True)
    loan = lock_row(Loan, loan.pk, no_key=True)
    if loan.checked_in_at is not None:
        raise Conflict(
            "This loan was checked in already; it cannot be renewed.", code="loan_closed"
        )
    patron = Patron.objects.select_related("category").get(pk=loan.patron_id)
    today = timezone.localdate()
    if patron.blocked:
        raise Conflict(
            f"{patron.name}'s card is blocked: {patron.block_reason}", code="patron_blocked"
        )
    if loan.due_on < today and patron.category.overdue_blocks:
        raise Conflict(
            f"This loan was due on {loan.due_on:%Y-%m-%d}; an overdue loan cannot be renewed. "
            "Return it.",
            code="loan_overdue",
        )
    terms = terms_for(patron.category, copy.loan_type)
    if loan.renewals >= terms.max_renewals:
        raise Conflict(
            f"This loan has been renewed {loan.renewals} time(s), the most allowed.",
            code="max_renewals",
        )
    waiting = Hold.objects.filter(book_id=copy.book_id, status=HoldStatus.WAITING).exclude(
        patron=patron
    )
    if waiting.exists():
        raise Conflict(
            "Another patron is waiting for this book; it cannot be renewed.", code="book_held"
        )
    before = loan.due_on
    loan.due_on = max(loan.due_on, due_date(today, terms.loan_period_days))
    loan.renewals += 1
    loan.save(update_fields=["due_on", "renewals"])
    event_record(
        EventKind.RENEW,
        actor=actor,
        patron=patron,
        copy=copy,
        loan=loan,
        from_state=f"due {before:%Y-%m-%d}",
        to_state=f"due {loan.due_on:%Y-%m-%d}",
    )
    return loan
