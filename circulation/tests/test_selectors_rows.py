"""circulation.selectors.rows: who sees which rows, the rows' computed columns, and what
circulation adds to a book for readers outside a request."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from catalog import selectors as catalog_selectors
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import Hold, Loan
from circulation.selectors import rows
from circulation.tests.factories import PatronFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_patrons(reader_a, reader_b):
    for patron, barcode in ((reader_a, "S-A"), (reader_b, "S-B")):
        CopyFactory(barcode=barcode)
        services.loan_checkout(card_number=patron.card_number, barcode=barcode)
        services.hold_place(patron=patron, book=BookFactory())
    return reader_a, reader_b


@pytest.mark.parametrize(
    ("scope", "model"),
    [
        (rows.patrons_visible_to, None),
        (rows.loans_visible_to, Loan),
        (rows.holds_visible_to, Hold),
    ],
)
def test_scopes_staff_see_all_a_patron_their_own_others_nothing(
    two_patrons, librarian, scope, model
):
    reader_a, _ = two_patrons
    nobody = get_user_model().objects.create_user("no-record")

    def owners(viewer) -> set[int]:
        found = scope(viewer)
        return set(found.values_list("pk" if model is None else "patron_id", flat=True))

    assert owners(librarian) == {p.pk for p in two_patrons}
    assert owners(reader_a.user) == {reader_a.pk}
    assert owners(nobody) == set()
    assert owners(AnonymousUser()) == set()
    assert owners(None) == set()


def test_a_loan_is_overdue_only_while_open_and_past_due(reader_a):
    CopyFactory(barcode="O-1")
    loan = services.loan_checkout(card_number=reader_a.card_number, barcode="O-1")

    def overdue() -> bool:
        return rows.LOAN_ROWS.rows(Loan.objects.filter(pk=loan.pk)).get()["overdue"]

    assert overdue() is False
    Loan.objects.filter(pk=loan.pk).update(due_on=timezone.localdate())
    assert overdue() is False  # due today is not late yet
    Loan.objects.filter(pk=loan.pk).update(due_on=timezone.localdate() - datetime.timedelta(days=1))
    assert overdue() is True
    services.loan_checkin(barcode="O-1")
    assert overdue() is False


def test_only_a_waiting_hold_has_a_position(reader_a, reader_b):
    copy = CopyFactory(barcode="W-1")
    services.loan_checkout(card_number=PatronFactory().card_number, barcode="W-1")
    first = services.hold_place(patron=reader_a, book=copy.book)
    second = services.hold_place(patron=reader_b, book=copy.book)
    services.loan_checkin(barcode="W-1")  # A's hold becomes ready

    positions = dict(rows.HOLD_ROWS.rows(Hold.objects.all()).values_list("id", "position"))

    assert positions == {first.pk: None, second.pk: 1}


def test_patron_summary_is_none_without_a_record():
    user = get_user_model().objects.create_user("no-record")
    assert rows.patron_summary(rows.own_patron(user)) is None


def test_books_read_outside_a_request_get_the_queue_and_no_flag(reader_a):
    copy = CopyFactory()
    services.loan_checkout(card_number=PatronFactory().card_number, barcode=copy.barcode)
    services.hold_place(patron=reader_a, book=copy.book)

    row = catalog_selectors.book_detail(copy.book_id)

    assert row is not None
    assert (row["holds_waiting"], row["can_place_hold"]) == (1, None)
