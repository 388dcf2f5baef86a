"""/api/v1/circulation/checkout/ and /checkin/: the desk, by card number and barcode."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from catalog.models import CopyStatus, LoanType
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CirculationEvent, EventKind, HoldStatus, Loan
from circulation.serializers import CheckinSerializer, HoldSerializer, LoanSerializer
from circulation.tests.factories import PatronFactory
from shelfmark.tests.helpers import assert_error

pytestmark = pytest.mark.django_db

CHECKOUT = "/api/v1/circulation/checkout/"
CHECKIN = "/api/v1/circulation/checkin/"


@pytest.fixture
def patron():
    return PatronFactory(card_number="CARD-1", name="Ada Reader")


@pytest.fixture
def copy():
    return CopyFactory(barcode="B-1", book=BookFactory(title="Middlemarch"))


def test_checkout_answers_201_with_the_loan_and_where_it_is(desk, librarian, patron, copy):
    response = desk.post(CHECKOUT, {"patron": " CARD-1", "copy": "B-1 "})

    assert response.status_code == 201, response.content
    loan = Loan.objects.get()
    body = response.json()
    assert response["Location"] == body["url"] == f"http://testserver/api/v1/loans/{loan.pk}/"
    due = timezone.localdate() + datetime.timedelta(days=21)
    assert body == {
        "id": loan.pk,
        "url": body["url"],
        "patron": patron.pk,
        "copy": "B-1",
        "book": copy.book_id,
        "book_title": "Middlemarch",
        "checked_out_at": body["checked_out_at"],
        "due_on": due.isoformat(),
        "checked_in_at": None,
        "renewals": 0,
        "overdue": False,
        "days_late": None,
    }
    assert set(body) == set(LoanSerializer().fields)
    assert CirculationEvent.objects.get(kind=EventKind.CHECKOUT).actor == librarian


@pytest.mark.parametrize(
    ("prepare", "body", "status", "code"),
    [
        (None, {"patron": "NOPE", "copy": "B-1"}, 404, "unknown_card"),
        (None, {"patron": "CARD-1", "copy": "NOPE"}, 404, "unknown_barcode"),
        ("lent", {"patron": "CARD-1", "copy": "B-1"}, 409, "copy_on_loan"),
        ("reference", {"patron": "CARD-1", "copy": "B-1"}, 409, "copy_not_for_loan"),
        ("lost", {"patron": "CARD-1", "copy": "B-1"}, 409, "copy_unavailable"),
        ("blocked", {"patron": "CARD-1", "copy": "B-1"}, 409, "patron_blocked"),
        ("expired", {"patron": "CARD-1", "copy": "B-1"}, 409, "card_expired"),
    ],
)
def test_checkout_refusals_keep_their_codes(desk, patron, copy, prepare, body, status, code):
    if prepare == "lent":
        services.loan_checkout(card_number=PatronFactory().card_number, barcode="B-1")
    elif prepare in ("reference", "lost"):
        copy.loan_type = LoanType.REFERENCE if prepare == "reference" else copy.loan_type
        copy.status = CopyStatus.LOST if prepare == "lost" else copy.status
        copy.save()
    elif prepare == "blocked":
        services.patron_update(patron=patron, blocked=True, block_reason="Owes a book")
    elif prepare == "expired":
        services.patron_update(patron=patron, expires_on=datetime.date(2000, 1, 1))

    error = assert_error(desk.post(CHECKOUT, body), status, code)

    assert error["message"]
    assert Loan.objects.filter(patron=patron).count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"copy": "B-1"}, "patron"),
        ({"patron": "CARD-1"}, "copy"),
        ({"patron": "C 1", "copy": "B-1"}, "patron"),
    ],
)
def test_checkout_input_errors_name_the_field(desk, patron, copy, body, field):
    error = assert_error(desk.post(CHECKOUT, body), 400, "invalid")
    assert field in error["fields"]


def test_checkin_closes_the_loan_and_says_so(desk, patron, copy):
    loan = services.loan_checkout(card_number="CARD-1", barcode="B-1")
    Loan.objects.filter(pk=loan.pk).update(due_on=timezone.localdate() - datetime.timedelta(days=3))

    response = desk.post(CHECKIN, {"copy": "B-1"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == set(CheckinSerializer().fields)
    assert body["hold"] is None
    assert body["message"] == "Checked in. Back to the shelf."
    assert set(body["loan"]) == set(LoanSerializer().fields)
    assert (body["loan"]["id"], body["loan"]["days_late"], body["loan"]["overdue"]) == (
        loan.pk,
        3,
        False,
    )
    assert body["loan"]["checked_in_at"] is not None
    copy.refresh_from_db()
    assert copy.status == CopyStatus.AVAILABLE


def test_checkin_traps_the_first_hold_and_answers_with_it(desk, patron, copy):
    services.loan_checkout(card_number="CARD-1", barcode="B-1")
    waiting = PatronFactory(name="Grace Hopper", card_number="CARD-7")
    hold = services.hold_place(patron=waiting, book=copy.book)

    body = desk.post(CHECKIN, {"copy": "B-1"}).json()

    assert set(body["hold"]) == set(HoldSerializer().fields)
    assert body["hold"]["id"] == hold.pk
    assert (body["hold"]["status"], body["hold"]["position"], body["hold"]["copy"]) == (
        HoldStatus.READY,
        None,
        "B-1",
    )
    assert body["hold"]["pickup_by"] is not None
    assert "Grace Hopper (card CARD-7)" in body["message"]


def test_checking_in_a_copy_not_on_loan_is_no_error(desk, copy):
    body = desk.post(CHECKIN, {"copy": "B-1"}).json()
    assert body == {
        "loan": None,
        "hold": None,
        "message": "Copy B-1 was not on loan. Back to the shelf.",
        "copy_found": False,
    }


def test_checkin_of_an_unknown_barcode_is_a_404(desk):
    assert_error(desk.post(CHECKIN, {"copy": "NOPE"}), 404, "unknown_barcode")


def test_patrons_cannot_use_the_desk(client_a, reader_a, copy):
    refused = assert_error(
        client_a.post(CHECKOUT, {"patron": reader_a.card_number, "copy": "B-1"}),
        403,
        "permission_denied",
    )
    assert refused["message"] == "Only library staff may do this."
    assert_error(client_a.post(CHECKIN, {"copy": "B-1"}), 403, "permission_denied")
    assert not Loan.objects.exists()


def test_the_desk_needs_the_loan_permissions(django_user_model, patron, copy):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(django_user_model.objects.create_user("bare", is_staff=True))

    out = assert_error(
        client.post(CHECKOUT, {"patron": "CARD-1", "copy": "B-1"}), 403, "permission_denied"
    )
    back = assert_error(client.post(CHECKIN, {"copy": "B-1"}), 403, "permission_denied")
    assert "circulation.add_loan" in out["message"]
    assert "circulation.change_loan" in back["message"]
