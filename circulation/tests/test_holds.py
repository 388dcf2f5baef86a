"""circulation.services.holds: the queue, the hold shelf, cancelling and expiry."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from catalog.models import CopyStatus, LoanType
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CirculationEvent, EventKind, Hold, HoldStatus
from circulation.selectors import waiting_position
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from shelfmark.errors import DomainError

pytestmark = pytest.mark.django_db


def refused(code: str, call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as error:
        call(**kwargs)
    assert error.value.code == code, error.value.message
    return error.value


@pytest.fixture
def lent():
    """A book whose only copy is on loan, so that holds may be placed on it."""
    copy = CopyFactory(barcode="H-1", book=BookFactory(title="Persuasion"))
    services.loan_checkout(
        card_number=PatronFactory(card_number="LENDER").card_number, barcode="H-1"
    )
    return copy


def positions(book) -> list[tuple[str, int]]:
    holds = Hold.objects.filter(book=book, status=HoldStatus.WAITING).annotate(
        queue_position=waiting_position()
    )
    return list(holds.order_by("sequence").values_list("patron__card_number", "queue_position"))


def test_holds_queue_first_come_first_served(lent):
    patrons = [PatronFactory(card_number=f"Q{n}") for n in range(3)]
    holds = [services.hold_place(patron=p, book=lent.book) for p in patrons]

    assert [h.sequence for h in holds] == [1, 2, 3]
    assert positions(lent.book) == [("Q0", 1), ("Q1", 2), ("Q2", 3)]
    services.hold_cancel(hold=holds[0])
    assert positions(lent.book) == [("Q1", 1), ("Q2", 2)]  # no gap
    event = CirculationEvent.objects.get(kind=EventKind.HOLD_PLACED, hold=holds[1])
    assert (event.patron, event.book, event.to_state) == (patrons[1], lent.book, "waiting")


def test_a_hold_is_refused_when_the_patron_has_it_or_holds_it(lent):
    patron = PatronFactory()
    services.hold_place(patron=patron, book=lent.book)
    refused("already_held", services.hold_place, patron=patron, book=lent.book)
    lender = lent.loans.get().patron
    refused("book_on_loan_to_patron", services.hold_place, patron=lender, book=lent.book)


def test_the_hold_limit(lent):
    patron = PatronFactory(category=PatronCategoryFactory(name="One hold", max_holds=1))
    services.hold_place(patron=patron, book=lent.book)
    other = CopyFactory()
    services.loan_checkout(card_number=PatronFactory().card_number, barcode=other.barcode)
    refused("max_holds", services.hold_place, patron=patron, book=other.book)


def test_a_copy_on_the_shelf_means_borrow_it_unless_the_library_allows_holds(settings):
    copy = CopyFactory()
    patron = PatronFactory()
    refused("copy_on_shelf", services.hold_place, patron=patron, book=copy.book)
    reference_only = CopyFactory(loan_type=LoanType.REFERENCE)  # cannot be borrowed: may hold
    assert services.hold_place(patron=patron, book=reference_only.book).status == "waiting"
    settings.HOLDS_ALLOWED_WHEN_AVAILABLE = True
    assert services.hold_place(patron=patron, book=copy.book).status == "waiting"


def test_blocked_or_expired_patrons_cannot_place_holds(lent):
    blocked = PatronFactory(blocked=True, block_reason="Damaged books")
    expired = PatronFactory(expires_on=timezone.localdate() - datetime.timedelta(days=1))
    refused("patron_blocked", services.hold_place, patron=blocked, book=lent.book)
    refused("card_expired", services.hold_place, patron=expired, book=lent.book)


def test_cancelling_a_ready_hold_passes_the_copy_to_the_next_in_the_queue(lent):
    first, second = PatronFactory(), PatronFactory()
    first_hold = services.hold_place(patron=first, book=lent.book)
    second_hold = services.hold_place(patron=second, book=lent.book)
    services.loan_checkin(barcode=lent.barcode)

    services.hold_cancel(hold=first_hold)

    first_hold.refresh_from_db()
    second_hold.refresh_from_db()
    lent.refresh_from_db()
    assert first_hold.status == HoldStatus.CANCELLED
    assert first_hold.closed_at is not None
    assert (second_hold.status, second_hold.copy) == (HoldStatus.READY, lent)
    assert lent.status == CopyStatus.ON_HOLD_SHELF


def test_cancelling_the_last_ready_hold_returns_the_copy_to_the_shelf(lent):
    hold = services.hold_place(patron=PatronFactory(), book=lent.book)
    services.loan_checkin(barcode=lent.barcode)
    services.hold_cancel(hold=hold)
    lent.refresh_from_db()
    assert lent.status == CopyStatus.AVAILABLE
    refused("hold_closed", services.hold_cancel, hold=hold)


def test_uncollected_holds_expire_and_the_copy_moves_on(lent):
    first = services.hold_place(patron=PatronFactory(), book=lent.book)
    second = services.hold_place(patron=PatronFactory(), book=lent.book)
    services.loan_checkin(barcode=lent.barcode)
    first.refresh_from_db()
    assert services.holds_expire(today=first.pickup_by) == []  # the last day still counts
    today = timezone.localdate()
    Hold.objects.filter(pk=first.pk).update(pickup_by=today - datetime.timedelta(days=1))

    expired = services.holds_expire(today=today)

    assert expired == [first]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == HoldStatus.EXPIRED
    assert (second.status, second.copy) == (HoldStatus.READY, lent)
    assert CirculationEvent.objects.filter(kind=EventKind.HOLD_EXPIRED, hold=first).count() == 1
    # Running it again changes nothing: a hold expires once.
    assert services.holds_expire(today=today) == []


def test_the_pickup_deadline_skips_closed_days(lent):
    from circulation.models import ClosedDate

    hold = services.hold_place(patron=PatronFactory(), book=lent.book)
    natural = timezone.localdate() + datetime.timedelta(days=7)
    ClosedDate.objects.create(date=natural, reason="Holiday")
    services.loan_checkin(barcode=lent.barcode)
    hold.refresh_from_db()
    assert hold.pickup_by == natural + datetime.timedelta(days=1)


@pytest.mark.django_db(transaction=True)  # each change its own transaction (catalog.versions)
def test_the_queue_and_the_shelf_move_the_books_version(lent):
    """What the book shows (holds waiting, copies on the shelf) changes its version
    (catalog.versions): circulation's holds have triggers of their own."""
    from catalog.models import Book

    def version() -> int:
        return Book.objects.values_list("version", flat=True).get(pk=lent.book_id)

    seen = [version()]
    hold = services.hold_place(patron=PatronFactory(card_number="V1"), book=lent.book)
    seen.append(version())
    services.loan_checkin(barcode="H-1")  # to the hold shelf for V1
    seen.append(version())
    services.hold_cancel(hold=Hold.objects.get(pk=hold.pk))  # the copy back on the shelf
    seen.append(version())
    assert seen == sorted(set(seen)), seen
