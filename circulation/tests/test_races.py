"""Circulation under simultaneous requests, on PostgreSQL: real threads with their own
connections, released together by a barrier."""

from __future__ import annotations

from functools import partial

import pytest

from catalog.models import CopyStatus
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import Hold, HoldStatus, Loan
from circulation.selectors import status_disagreements, waiting_position
from circulation.tests.factories import PatronFactory
from shelfmark.errors import Conflict
from shelfmark.testing.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_desks_lending_one_copy_make_one_loan():
    copy = CopyFactory(barcode="ONE")
    patrons = [PatronFactory() for _ in range(20)]

    outcomes = race(
        *(
            lambda p=p: services.loan_checkout(card_number=p.card_number, barcode="ONE")
            for p in patrons
        )
    )

    loans = [o for o in outcomes if isinstance(o, Loan)]
    refusals = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(loans) == 1, outcomes
    assert len(refusals) == 19, outcomes
    assert {r.code for r in refusals} == {"copy_on_loan"}
    assert Loan.objects.filter(copy=copy, checked_in_at__isnull=True).count() == 1


def test_twenty_patrons_holding_one_book_queue_one_to_twenty():
    copy = CopyFactory()
    services.loan_checkout(card_number=PatronFactory().card_number, barcode=copy.barcode)
    patrons = [PatronFactory() for _ in range(20)]

    outcomes = race(*(lambda p=p: services.hold_place(patron=p, book=copy.book) for p in patrons))

    assert all(isinstance(o, Hold) for o in outcomes), outcomes
    queue = Hold.objects.filter(book=copy.book, status=HoldStatus.WAITING).annotate(
        queue_position=waiting_position()
    )
    assert sorted(queue.values_list("queue_position", flat=True)) == list(range(1, 21))
    assert sorted(queue.values_list("sequence", flat=True)) == list(range(1, 21))


def test_a_checkin_racing_a_renewal_and_a_hold_cancel_stays_consistent():
    for _ in range(15):
        book = BookFactory()
        copy = CopyFactory(book=book)
        borrower, first, second = PatronFactory(), PatronFactory(), PatronFactory()
        loan = services.loan_checkout(card_number=borrower.card_number, barcode=copy.barcode)
        hold = services.hold_place(patron=first, book=book)
        services.hold_place(patron=second, book=book)

        outcomes = race(
            partial(services.loan_checkin, barcode=copy.barcode),
            partial(services.loan_renew, loan=loan),
            partial(services.hold_cancel, hold=hold),
        )

        assert not [
            o for o in outcomes if isinstance(o, Exception) and not isinstance(o, Conflict)
        ], outcomes
        assert status_disagreements() == []
        copy.refresh_from_db()
        # Checked in either way (a renewal cannot stop it); the copy went to whoever was first
        # in the queue when it came back.
        assert copy.status == CopyStatus.ON_HOLD_SHELF
        ready = Hold.objects.get(book=book, status=HoldStatus.READY)
        assert ready.patron in (first, second)


def test_a_checkout_filling_a_hold_racing_a_checkin_that_would_trap_it_passes_the_copy_on(
    settings,
):
    """The first in the queue borrows a shelf copy just as another copy comes back: their hold
    is filled once, whichever comes first, and the returned copy goes to the next in the
    queue, never to the patron who has the book already."""
    settings.HOLDS_ALLOWED_WHEN_AVAILABLE = True  # the queue forms while a copy is on the shelf
    for _ in range(15):
        book = BookFactory()
        returned, on_shelf = CopyFactory(book=book), CopyFactory(book=book)
        services.loan_checkout(card_number=PatronFactory().card_number, barcode=returned.barcode)
        first, second = PatronFactory(), PatronFactory()
        first_hold = services.hold_place(patron=first, book=book)
        second_hold = services.hold_place(patron=second, book=book)

        outcomes = race(
            partial(services.loan_checkin, barcode=returned.barcode),
            partial(
                services.loan_checkout, card_number=first.card_number, barcode=on_shelf.barcode
            ),
        )

        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        assert status_disagreements() == []
        first_hold.refresh_from_db()
        second_hold.refresh_from_db()
        returned.refresh_from_db()
        assert first_hold.status == HoldStatus.COLLECTED
        assert (second_hold.status, second_hold.copy) == (HoldStatus.READY, returned)
        assert returned.status == CopyStatus.ON_HOLD_SHELF
