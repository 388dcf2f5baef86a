"""Lending: checkout, check-in and renewal.

Lock order (shared with circulation.services.holds): patron → book → copy → loan → hold. Two
desks lending one copy serialize on the book's row and then the copy's, and the partial unique
index on open loans is the last line: no interleaving lends a copy twice.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterator
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, NoReturn, TypeVar

from django.db import IntegrityError, connection
from django.db.models import F, Func, Model, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import Book, Copy, CopyStatus, LoanType, copy_status_in_sentence
from catalog.rules import clean_barcode
from catalog.services import copy_circulation_move_locked
from circulation.models import (
    ACTIVE_HOLD_STATUSES,
    EventKind,
    Hold,
    HoldStatus,
    Loan,
    Patron,
    PatronCategory,
    not_suspended,
)
from circulation.policy import (
    calendar_annotations,
    calendar_from,
    due_date,
    fines_enabled,
    terms_annotations,
    terms_for,
    terms_from,
)
from circulation.refusals import Refusal, overrides_check, patron_blocks
from circulation.rules import clean_card_number
from circulation.selectors.fines import patron_balance
from circulation.services.events import event_record
from circulation.services.fines import loan_fine_charge, tariff_since
from circulation.services.holds import copy_pass_on, hold_requeue, trap_hold
from circulation.services.standing import open_loan_counts, standing_of
from shelfmark.errors import Conflict, DomainError, InvalidInput, NotFound, RuleError
from shelfmark.formats import long_date, short_date
from shelfmark.transactions import lock_row, service_transaction

M = TypeVar("M", bound=Model)

# A copy in one of these states that turns up at the desk is found: check-in marks it so.
FOUND_AT_CHECKIN = frozenset({CopyStatus.LOST, CopyStatus.MISSING})


@dataclass(frozen=True)
class CheckinResult:
    """What a check-in did: the loan it closed (None if the copy was not on loan), the hold it
    set the copy aside for (None if nobody waits), whether the copy was found (it was lost or
    missing), and a sentence for the desk."""

    copy: Copy
    loan: Loan | None
    hold: Hold | None
    message: str
    found: bool = False


def _clean_codes(card_number: str, barcode: str) -> tuple[str, str]:
    try:
        card = clean_card_number(card_number)
    except RuleError as error:
        raise InvalidInput(str(error), field="patron") from None
    try:
        code = clean_barcode(barcode)
    except RuleError as error:
        raise InvalidInput(str(error), field="copy") from None
    return card, code


def _lock_patron_and_copy(card_number: str, barcode: str) -> tuple[Patron, Copy]:
    """The patron with ``card_number`` (with their category) and the copy with ``barcode``,
    the patron's, the book's and the copy's rows locked in one statement, in the lock order
    (PostgreSQL locks the rows of ``OF`` in its order). NotFound for an unknown card or
    barcode; a copy moved to another book while we waited is a Conflict.

    Raw SQL because the two rows have no relation the ORM could join them by: it is the
    product of two look-ups by unique keys, one row or none."""
    card, code = _clean_codes(card_number, barcode)
    parts: tuple[tuple[type[Model], str], ...] = (
        (Patron, "p"),
        (PatronCategory, "pc"),
        (Copy, "c"),
    )
    qn = connection.ops.quote_name
    columns = ", ".join(
        f"{alias}.{qn(str(field.column))}"
        for model, alias in parts
        for field in model._meta.concrete_fields
    )
    lock = ""
    if connection.features.has_select_for_update:  # PostgreSQL; SQLite locks the database
        lock = " " + connection.ops.for_update_sql(of=("p", "b", "c"), no_key=True)
    sql = (
        f"SELECT {columns} FROM {qn(Patron._meta.db_table)} p"  # noqa: S608 - names from code
        f" INNER JOIN {qn(PatronCategory._meta.db_table)} pc ON pc.id = p.category_id"
        f" CROSS JOIN {qn(Copy._meta.db_table)} c"
        f" INNER JOIN {qn(Book._meta.db_table)} b ON b.id = c.book_id"
        f" WHERE p.card_number = %s AND c.barcode = %s{lock}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [card, code])
        found = cursor.fetchone()
    if found is None:
        # Which one is missing: only this rare path asks again.
        if not Patron.objects.filter(card_number=card).exists():
            raise NotFound(
                _("No patron has card number %(card)s.") % {"card": card}, code="unknown_card"
            )
        _copy_missing_or_moved(code)
    values = iter(found)
    patron = _instance(Patron, values)
    patron.category = _instance(PatronCategory, values)
    return patron, _instance(Copy, values)


def _instance(model: type[M], values: Iterator[Any]) -> M:
    """The next row of ``model``'s concrete fields from a raw row, each value converted as
    the ORM converts it (SQLite gives dates as text, booleans as integers)."""
    fields = model._meta.concrete_fields
    converted = []
    for field in fields:
        value = next(values)
        column = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        for converter in converters:
            value = converter(value, column, connection)
        converted.append(value)
    return model.from_db(connection.alias, [field.attname for field in fields], converted)


def _copy_missing_or_moved(code: str) -> NoReturn:
    """A copy look-up under lock found nothing: an unknown barcode, or a copy that changed
    under the lock (PostgreSQL re-checks the join and drops the row when the copy moved to
    another book meanwhile)."""
    if Copy.objects.filter(barcode=code).exists():
        raise Conflict(
            _("Copy %(barcode)s was moved to another book just now; scan it again.")
            % {"barcode": code},
            code="concurrent_change",
        )
    raise NotFound(
        _("No copy has barcode %(barcode)s.") % {"barcode": code}, code="unknown_barcode"
    )


def _count(rows: QuerySet[Any]) -> Coalesce:
    """How many ``rows``, as a subquery (no GROUP BY: always one row)."""
    counted = rows.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted), Value(0))


# Every column of a copy, and of its book only the id: the book's row is locked, not read.
_COPY_COLUMNS = tuple(field.name for field in Copy._meta.concrete_fields)


def _lock_copy_and_book(barcode: str) -> Copy:
    """The copy with ``barcode``, its row and its book's locked in one statement, the book's
    first (the lock order: the book's row is its queue's lock). NotFound for an unknown
    barcode; a copy moved to another book while we waited for the lock is a Conflict."""
    try:
        code = clean_barcode(barcode)
    except RuleError as error:
        raise InvalidInput(str(error), field="copy") from None
    copy = (
        Copy.objects.select_related("book")
        .only(*_COPY_COLUMNS, "book__id")
        # OF names both rows, the book's first: PostgreSQL locks them in this order.
        .select_for_update(no_key=True, of=("book", "self"))
        .filter(barcode=code)
        .first()
    )
    if copy is None:
        _copy_missing_or_moved(code)
    return copy


_LOAN_COLUMNS = tuple(field.name for field in Loan._meta.concrete_fields)


def _lock_for_checkin(barcode: str) -> tuple[Copy, Loan | None]:
    """The copy with ``barcode`` and its open loan, if any, with the book's, the copy's and the
    loan's rows locked in the lock order: for a copy on loan, as mostly at a check-in, in one
    statement (the loan with its copy, its book and its patron, who is not locked)."""
    try:
        code = clean_barcode(barcode)
    except RuleError as error:
        raise InvalidInput(str(error), field="copy") from None
    loan = (
        Loan.objects.select_related("copy__book", "patron")
        .only(
            *_LOAN_COLUMNS,
            *(f"copy__{name}" for name in _COPY_COLUMNS),
            "copy__book__id",
            *(f"patron__{field.name}" for field in Patron._meta.concrete_fields),
        )
        .select_for_update(no_key=True, of=("copy__book", "copy", "self"))
        .filter(copy__barcode=code, checked_in_at__isnull=True)
        .first()
    )
    if loan is not None:
        return loan.copy, loan
    # Not on loan (or checked in meanwhile): the copy alone. A loan made since the first
    # statement looked (the copy's lock waited for its checkout) shows in the copy's status.
    copy = _lock_copy_and_book(barcode)
    return copy, _open_loan(copy) if copy.status == CopyStatus.ON_LOAN else None


def _open_loan(copy: Copy) -> Loan | None:
    return (
        Loan.objects.select_for_update(no_key=True, of=("self",))
        .select_related("patron")
        .filter(copy=copy, checked_in_at__isnull=True)
        .first()
    )


@service_transaction
def loan_checkout(
    *,
    card_number: str,
    barcode: str,
    actor: Any = None,
    override: Collection[str] = (),
    override_reason: str = "",
) -> Loan:
    """Lend the copy with ``barcode`` to the patron with ``card_number``.

    Every reason it cannot be lent is collected first (circulation.refusals) and refused
    together, unless each is named in ``override`` and ``actor`` may lend past it; overrides
    are recorded with ``override_reason``. The loan fills the patron's own hold on the book,
    if they have one (waiting, or ready on the hold shelf)."""
    # Locked: one checkout at a time per patron, and the book's queue and the copy.
    patron, copy = _lock_patron_and_copy(card_number, barcode)
    now = timezone.now()
    today = timezone.localdate(now)
    facts = _checkout_facts(patron, copy, today)
    terms = terms_from(facts)
    standing = standing_of(
        patron,
        loans_open=facts.loans_open,
        loans_overdue=facts.loans_overdue,
        max_loans=terms.max_loans,
        # One statement more, only where fines are charged.
        fines_owed=patron_balance(patron.pk) if fines_enabled() else Decimal(0),
    )
    holds = _holds_for_checkout(copy, patron, today, facts)
    reasons = [*patron_blocks(standing, today), *_copy_refusals(copy, patron, holds)]
    overrides_check(reasons, override, actor)

    due_on = due_date(today, terms.loan_period_days, calendar_from(facts))
    try:
        # No savepoint of its own: an error here ends the service, whose transaction (or
        # savepoint, inside an Idempotency-Key's) is rolled back whole.
        loan = Loan.objects.create(copy=copy, patron=patron, checked_out_at=now, due_on=due_on)
    except IntegrityError:  # the unique index, should the locks ever be bypassed
        raise Conflict(
            _("Copy %(barcode)s was just lent.") % {"barcode": copy.barcode}, code="copy_on_loan"
        ) from None
    was = copy.status
    if holds.on_shelf_for_other is not None:  # overridden: the other patron waits again
        hold_requeue(holds.on_shelf_for_other, actor=actor)
    if holds.own is not None:
        _fill(holds.own, copy, actor=actor, at=now)
    copy_circulation_move_locked(copy=copy, status=CopyStatus.ON_LOAN)
    event_record(
        EventKind.CHECKOUT,
        actor=actor,
        patron=patron,
        copy=copy,
        loan=loan,
        from_state=was,
        to_state=CopyStatus.ON_LOAN,
        note=_("due %(date)s") % {"date": f"{loan.due_on:%Y-%m-%d}"},
        at=now,
    )
    for reason in reasons:  # each one overridden (else the checkout was refused above)
        note = reason.message
        if override_reason:
            note = _("%(refusal)s Why: %(reason)s") % {
                "refusal": reason.message,
                "reason": override_reason,
            }
        event_record(
            EventKind.OVERRIDE,
            actor=actor,
            patron=patron,
            copy=copy,
            loan=loan,
            from_state=reason.code,
            note=note,
            at=now,
        )
    return loan


@dataclass(frozen=True)
class _CheckoutHolds:
    own: Hold | None  # the borrower's active hold on the book, which the loan fills
    on_shelf_for_other: Hold | None  # the ready hold another patron has on this very copy
    others_ahead: int  # patrons waiting for the book before the borrower (suspended: not)


@dataclass(frozen=True)
class _CheckoutFacts:
    """What a checkout reads once its rows are locked, in one statement."""

    loans_open: int  # the patron's
    loans_overdue: int
    own_holds: int  # the patron's active holds on the book (0 or 1)
    waiting: int  # patrons waiting for the book now (suspended holds aside)
    # The terms of the patron's category for the copy's loan type, and the calendar
    # (circulation.policy's annotations).
    terms_loan_period_days: int
    terms_max_loans: int
    terms_max_renewals: int
    closed_weekdays: str
    closed_dates: str


def _checkout_facts(patron: Patron, copy: Copy, today: datetime.date) -> _CheckoutFacts:
    """The patron's loan counts, the book's holds, the lending terms and the calendar: read
    after the locks, so that no loan of the patron's and no hold on the book is missed."""
    active = Hold.objects.filter(book_id=copy.book_id, status__in=ACTIVE_HOLD_STATUSES)
    row = (
        Patron.objects.filter(pk=patron.pk)
        .annotate(
            **open_loan_counts(patron, today),
            own_holds=_count(active.filter(patron=patron)),
            waiting=_count(active.filter(status=HoldStatus.WAITING).filter(not_suspended(today))),
            **terms_annotations(patron.category, Value(copy.loan_type)),
            **calendar_annotations(today),
        )
        .values(*(field.name for field in fields(_CheckoutFacts)))
        .get()
    )
    return _CheckoutFacts(**row)


def _holds_for_checkout(
    copy: Copy, patron: Patron, today: datetime.date, facts: _CheckoutFacts
) -> _CheckoutHolds:
    """The holds a checkout of ``copy`` by ``patron`` meets (the book's lock is held, so they
    cannot change meanwhile)."""
    # Mostly the patron has no hold on the book and the copy is not on the hold shelf: then
    # the counts say all (how many wait), without reading or locking a hold.
    if copy.status != CopyStatus.ON_HOLD_SHELF and not facts.own_holds:
        ahead = facts.waiting if copy.status == CopyStatus.AVAILABLE else 0
        return _CheckoutHolds(own=None, on_shelf_for_other=None, others_ahead=ahead)
    active = Hold.objects.filter(book_id=copy.book_id, status__in=ACTIVE_HOLD_STATUSES)
    own = (
        active.select_for_update(no_key=True, of=("self",))
        .select_related("copy")
        .filter(patron=patron)
        .first()
    )
    on_shelf_for_other = None
    if copy.status == CopyStatus.ON_HOLD_SHELF:
        ready = (
            active.select_for_update(no_key=True, of=("self",))
            .select_related("patron")
            .filter(copy=copy, status=HoldStatus.READY)
            .first()
        )
        if ready is not None and ready.patron_id != patron.pk:
            on_shelf_for_other = ready
    others_ahead = 0
    if copy.status == CopyStatus.AVAILABLE and (own is None or own.status == HoldStatus.WAITING):
        waiting = active.filter(status=HoldStatus.WAITING).filter(not_suspended(today))
        if own is not None:
            waiting = waiting.filter(sequence__lt=own.sequence)
        others_ahead = waiting.exclude(patron=patron).count()
    return _CheckoutHolds(own, on_shelf_for_other, others_ahead)


def _copy_refusals(copy: Copy, patron: Patron, holds: _CheckoutHolds) -> list[Refusal]:
    """Why ``copy`` cannot go to ``patron`` now (none: it can)."""
    if copy.loan_type == LoanType.REFERENCE:
        return [
            Refusal(
                "copy_not_for_loan",
                _("Copy %(barcode)s is not for loan (reference).") % {"barcode": copy.barcode},
            )
        ]
    if copy.status == CopyStatus.ON_LOAN:
        loan = _open_loan(copy)
        if loan is not None and loan.patron_id == patron.pk:
            return [
                Refusal(
                    "already_on_loan_to_patron",
                    _("Copy %(barcode)s is already on loan to %(name)s (due %(date)s).")
                    % {
                        "barcode": copy.barcode,
                        "name": patron.name,
                        "date": short_date(loan.due_on),
                    },
                )
            ]
        return [
            Refusal(
                "copy_on_loan",
                _("Copy %(barcode)s is on loan to another patron.") % {"barcode": copy.barcode},
            )
        ]
    if copy.status == CopyStatus.ON_HOLD_SHELF:
        other = holds.on_shelf_for_other
        if other is None:
            return []  # set aside for this patron
        return [
            Refusal(
                "copy_on_hold_shelf",
                _(
                    "Copy %(barcode)s is on the hold shelf for another patron (%(name)s, card "
                    "%(card)s)."
                )
                % {
                    "barcode": copy.barcode,
                    "name": other.patron.name,
                    "card": other.patron.card_number,
                },
            )
        ]
    if copy.status != CopyStatus.AVAILABLE:
        facts = {"barcode": copy.barcode, "status": copy_status_in_sentence(copy.status)}
        message = (
            _(
                "Copy %(barcode)s is %(status)s; it cannot be lent. Check it in first, which "
                "marks it found."
            )
            if copy.status in FOUND_AT_CHECKIN
            else _("Copy %(barcode)s is %(status)s; it cannot be lent.")
        )
        return [Refusal("copy_unavailable", message % facts)]
    if holds.others_ahead:
        return [
            Refusal(
                "book_held",
                ngettext(
                    "%(count)d other patron is waiting for this book.",
                    "%(count)d other patrons are waiting for this book.",
                    holds.others_ahead,
                )
                % {"count": holds.others_ahead},
            )
        ]
    return []


def _fill(hold: Hold, copy: Copy, *, actor: Any, at: datetime.datetime) -> None:
    """The borrower's own hold on the book, filled by the loan of ``copy``. A copy set aside
    for them on the hold shelf, if it is another one, goes to the next patron waiting."""
    was = hold.status
    set_aside = hold.copy if was == HoldStatus.READY and hold.copy_id != copy.pk else None
    hold.status = HoldStatus.COLLECTED
    hold.closed_at = at
    hold.suspended_until = None
    hold.save(update_fields=["status", "closed_at", "suspended_until"])
    event_record(
        EventKind.HOLD_COLLECTED,
        actor=actor,
        patron=hold.patron,
        copy=copy,
        hold=hold,
        from_state=was,
        to_state=HoldStatus.COLLECTED,
        note=""
        if set_aside is None and was == HoldStatus.READY
        else _("filled by copy %(barcode)s") % {"barcode": copy.barcode},
        at=at,
    )
    if set_aside is not None:
        copy_pass_on(lock_row(Copy, set_aside.pk, no_key=True), actor=actor)


@service_transaction
def loan_checkin(*, barcode: str, actor: Any = None) -> CheckinResult:
    """Take a copy back. A copy that was not on loan is no error: the result says so. Either
    way, if a patron waits for the book, the copy goes to the hold shelf for the first one."""
    copy, loan = _lock_for_checkin(barcode)
    now = timezone.now()
    if loan is not None:
        loan.checked_in_at = now
        loan.days_late = max(0, (timezone.localdate(now) - loan.due_on).days)
        loan.save(update_fields=["checked_in_at", "days_late"])
        if loan.days_late and fines_enabled():
            today = timezone.localdate(now)
            loan_fine_charge(loan, tariff=tariff_since(loan.due_on, today), today=today)
        # The copy's own move waits until we know where it goes (the hold shelf for the first
        # patron waiting, or the shelf): one UPDATE of its row, not two.
        event_record(
            EventKind.CHECKIN,
            actor=actor,
            patron=loan.patron,
            copy=copy,
            loan=loan,
            from_state=CopyStatus.ON_LOAN,
            to_state=CopyStatus.AVAILABLE,
            note=ngettext("%(count)d day late", "%(count)d days late", loan.days_late)
            % {"count": loan.days_late}
            if loan.days_late
            else "",
            at=now,
        )
    found = copy.status in FOUND_AT_CHECKIN
    if found:  # it turned up: found, and then checked in like any other copy
        was = copy.status
        copy = copy_circulation_move_locked(copy=copy, status=CopyStatus.AVAILABLE)
        event_record(
            EventKind.COPY_FOUND,
            actor=actor,
            copy=copy,
            from_state=was,
            to_state=CopyStatus.AVAILABLE,
            at=now,
        )
    if copy.status == CopyStatus.ON_HOLD_SHELF:
        hold = Hold.objects.filter(copy=copy, status=HoldStatus.READY).first()
        return CheckinResult(
            copy=copy,
            loan=loan,
            hold=hold,
            message=_("Copy %(barcode)s is already on the hold shelf for %(name)s.")
            % {"barcode": copy.barcode, "name": hold.patron.name}
            if hold
            else _("Copy %(barcode)s is already on the hold shelf.") % {"barcode": copy.barcode},
        )
    if copy.status != CopyStatus.AVAILABLE and loan is None:
        return CheckinResult(
            copy=copy,
            loan=None,
            hold=None,
            message=_(
                "Copy %(barcode)s is %(status)s, not on loan: nothing to check in. Change its "
                "status in the catalog when it is back in use."
            )
            % {"barcode": copy.barcode, "status": copy_status_in_sentence(copy.status)},
        )
    hold = trap_hold(copy, actor=actor)  # from on loan straight to the hold shelf, if so
    if hold is None and copy.status == CopyStatus.ON_LOAN:
        copy = copy_circulation_move_locked(copy=copy, status=CopyStatus.AVAILABLE)
    # Two sentences: what became of the copy, and where it goes now.
    if found:
        returned = _("Copy %(barcode)s was marked %(status)s; it is marked found now.") % {
            "barcode": copy.barcode,
            "status": copy_status_in_sentence(was),
        }
    elif loan:
        returned = _("Checked in.")
    else:
        returned = _("Copy %(barcode)s was not on loan.") % {"barcode": copy.barcode}
    if hold is not None:
        assert hold.pickup_by is not None  # a ready hold has its deadline (a constraint)
        goes = _(
            "Put it on the hold shelf for %(name)s (card %(card)s), to pick up by %(date)s."
        ) % {
            "name": hold.patron.name,
            "card": hold.patron.card_number,
            "date": long_date(hold.pickup_by),
        }
    else:
        goes = _("Back to the shelf.")
    message = f"{returned} {goes}"
    return CheckinResult(copy=copy, loan=loan, hold=hold, message=message, found=found)


@service_transaction
def loan_renew(*, loan: Loan, actor: Any = None) -> Loan:
    """Give an open loan a new due date, counted from today (never earlier than the current
    one)."""
    copy = lock_row(Copy, loan.copy_id, no_key=True)
    loan = lock_row(Loan, loan.pk, no_key=True)
    if loan.checked_in_at is not None:
        raise Conflict(
            _("This loan was checked in already; it cannot be renewed."), code="loan_closed"
        )
    patron = Patron.objects.select_related("category").get(pk=loan.patron_id)
    today = timezone.localdate()
    if patron.blocked:
        raise Conflict(
            _("%(name)s's card is blocked: %(reason)s")
            % {"name": patron.name, "reason": patron.block_reason},
            code="patron_blocked",
        )
    if loan.due_on < today and patron.category.overdue_blocks:
        raise Conflict(
            _("This loan was due on %(date)s; an overdue loan cannot be renewed. Return it.")
            % {"date": long_date(loan.due_on)},
            code="loan_overdue",
        )
    terms = terms_for(patron.category, copy.loan_type)
    if loan.renewals >= terms.max_renewals:
        raise Conflict(
            ngettext(
                "This loan has been renewed %(count)d time, the most allowed.",
                "This loan has been renewed %(count)d times, the most allowed.",
                loan.renewals,
            )
            % {"count": loan.renewals},
            code="max_renewals",
        )
    # A suspended hold does not hold the book back: its patron is not waiting for it now.
    waiting = (
        Hold.objects.filter(book_id=copy.book_id, status=HoldStatus.WAITING)
        .filter(not_suspended(today))
        .exclude(patron=patron)
    )
    if waiting.exists():
        raise Conflict(
            _("Another patron is waiting for this book; it cannot be renewed."), code="book_held"
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


@dataclass(frozen=True)
class RenewalOutcome:
    """One loan of a "renew all": renewed (its new due date in ``loan``) or why not."""

    loan: Loan
    renewed: bool
    message: str


def loans_renew_all(*, patron: Patron, actor: Any = None) -> list[RenewalOutcome]:
    """Renew every open loan of ``patron``, soonest due first, each on its own (one refused
    renewal does not stop the others): what became of each."""
    outcomes = []
    loans = Loan.objects.filter(patron=patron, checked_in_at__isnull=True).select_related(
        "copy__book"
    )
    for loan in loans.order_by("due_on", "id"):
        try:
            renewed = loan_renew(loan=loan, actor=actor)
        except DomainError as error:
            outcomes.append(RenewalOutcome(loan, renewed=False, message=error.message))
        else:
            loan.due_on, loan.renewals = renewed.due_on, renewed.renewals
            message = _("Renewed: now due %(date)s.") % {"date": long_date(loan.due_on)}
            outcomes.append(RenewalOutcome(loan, renewed=True, message=message))
    return outcomes
