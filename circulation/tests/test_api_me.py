"""/api/v1/me/: the signed-in patron's record, open loans and active holds."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.serializers import HoldSerializer, LoanSerializer, MeSerializer, PatronSerializer
from circulation.tests.factories import PatronFactory
from shelfmark.tests.helpers import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/"


@pytest.fixture
def history(reader_a, reader_b):
    """A: two open loans (one due sooner), one returned; a waiting hold second in its queue, a
    cancelled one. B: a loan and a hold of their own."""
    for barcode in ("M-1", "M-2", "M-3", "M-4"):
        CopyFactory(barcode=barcode, book=BookFactory(title=f"Title {barcode}"))
    later = services.loan_checkout(card_number=reader_a.card_number, barcode="M-1")
    sooner = services.loan_checkout(card_number=reader_a.card_number, barcode="M-2")
    sooner.due_on = timezone.localdate() + datetime.timedelta(days=2)
    sooner.save(update_fields=["due_on"])
    services.loan_checkout(card_number=reader_a.card_number, barcode="M-3")
    services.loan_checkin(barcode="M-3")
    services.loan_checkout(card_number=reader_b.card_number, barcode="M-4")

    queued = CopyFactory(barcode="Q-1")
    services.loan_checkout(card_number=PatronFactory().card_number, barcode="Q-1")
    services.hold_place(patron=reader_b, book=queued.book)
    waiting = services.hold_place(patron=reader_a, book=queued.book)
    services.hold_cancel(hold=services.hold_place(patron=reader_a, book=BookFactory()))
    return {"sooner": sooner, "later": later, "waiting": waiting}


def test_a_patron_sees_their_record_loans_and_holds_in_five_queries(
    client_a, reader_a, history, django_assert_num_queries
):
    # The record (and its blocks: the loans counted, the loan limit), the loans, the holds.
    with django_assert_num_queries(5):
        response = client_a.get(URL)

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == set(MeSerializer().fields)
    assert set(body["patron"]) == set(PatronSerializer().fields)
    assert body["patron"]["id"] == reader_a.pk
    assert body["patron"]["url"] == f"http://testserver/api/v1/patrons/{reader_a.pk}/"
    assert [loan["id"] for loan in body["loans"]] == [history["sooner"].pk, history["later"].pk]
    assert all(set(loan) == set(LoanSerializer().fields) for loan in body["loans"])
    assert body["loans"][0]["due_on"] == history["sooner"].due_on.isoformat()
    (hold,) = body["holds"]
    assert set(hold) == set(HoldSerializer().fields)
    assert (hold["id"], hold["position"], hold["status"]) == (history["waiting"].pk, 2, "waiting")


def test_an_account_without_a_patron_record_gets_a_404_saying_why(desk):
    error = assert_error(desk.get(URL), 404, "no_patron_record")
    assert "not linked to a patron record" in error["message"]


def test_staff_with_a_patron_record_see_their_own(librarian, desk):
    patron = PatronFactory(user=librarian)
    assert desk.get(URL).json()["patron"]["id"] == patron.pk


def test_anonymous_clients_must_sign_in():
    assert_error(APIClient().get(URL), 401, "not_authenticated")
