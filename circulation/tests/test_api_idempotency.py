"""Idempotency-Key on circulation's POSTs: checkout, check-in, renewal, placing and cancelling
holds, registering patrons. A retry gets the first answer and lends, queues or emails nothing
again."""

from __future__ import annotations

import pytest
from django.core import mail
from rest_framework.test import APIClient

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CirculationEvent, EventKind, Hold, Loan, Patron
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from shelfmark.testing.races import race
from shelfmark.tests.helpers import assert_error

pytestmark = pytest.mark.django_db

API = "/api/v1"


def twice(client: APIClient, path: str, body: dict | None = None, key: str = "retry-1"):
    """The request, and its retry with the same key and body."""
    first = client.post(API + path, body or {}, format="json", headers={"Idempotency-Key": key})
    again = client.post(API + path, body or {}, format="json", headers={"Idempotency-Key": key})
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again["Idempotent-Replayed"] == "true"
    return first


@pytest.fixture
def lendable():
    return CopyFactory(barcode="I-1", book=BookFactory(title="Retried"))


def test_a_retried_checkout_lends_once(desk, reader_a, lendable):
    first = twice(desk, "/circulation/checkout/", {"patron": reader_a.card_number, "copy": "I-1"})

    assert first.status_code == 201
    assert Loan.objects.count() == 1
    assert CirculationEvent.objects.filter(kind=EventKind.CHECKOUT).count() == 1


def test_a_retried_checkin_answers_what_the_first_did(desk, reader_a, lendable):
    services.loan_checkout(card_number=reader_a.card_number, barcode="I-1")

    first = twice(desk, "/circulation/checkin/", {"copy": "I-1"})

    # Not "was not on loan", which a second check-in would say.
    assert first.json()["message"] == "Checked in. Back to the shelf."
    assert first.json()["loan"] is not None
    assert CirculationEvent.objects.filter(kind=EventKind.CHECKIN).count() == 1


def test_a_retried_renewal_renews_once(client_a, reader_a, lendable):
    loan = services.loan_checkout(card_number=reader_a.card_number, barcode="I-1")

    assert twice(client_a, f"/loans/{loan.pk}/renew/").json()["renewals"] == 1
    loan.refresh_from_db()
    assert loan.renewals == 1


def test_a_retried_hold_queues_once_and_a_retried_cancel_is_no_409(client_a, lendable):
    services.loan_checkout(card_number=PatronFactory().card_number, barcode="I-1")

    placed = twice(client_a, "/holds/", {"book": lendable.book_id})
    assert placed.status_code == 201
    assert Hold.objects.count() == 1
    cancelled = twice(client_a, f"/holds/{placed.json()['id']}/cancel/", key="retry-2")
    assert (cancelled.status_code, cancelled.json()["status"]) == (200, "cancelled")


def test_a_retried_registration_registers_and_emails_once(desk, django_capture_on_commit_callbacks):
    body = {
        "card_number": "P-77",
        "name": "Once Only",
        "category": PatronCategoryFactory().pk,
        "email": "once@example.org",
        "username": "once",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert twice(desk, "/patrons/", body).status_code == 201

    assert Patron.objects.filter(card_number="P-77").count() == 1
    assert len(mail.outbox) == 1


def test_a_refused_checkout_is_refused_alike_on_retry(desk, reader_a, lendable):
    services.loan_checkout(card_number=PatronFactory().card_number, barcode="I-1")
    first = twice(desk, "/circulation/checkout/", {"patron": reader_a.card_number, "copy": "I-1"})
    assert first.json()["error"]["code"] == "copy_on_loan"


def test_one_key_for_two_different_checkouts_is_a_422(desk, reader_a, lendable):
    CopyFactory(barcode="I-2")
    desk.post(
        f"{API}/circulation/checkout/",
        {"patron": reader_a.card_number, "copy": "I-1"},
        format="json",
        headers={"Idempotency-Key": "desk-7"},
    )

    second = desk.post(
        f"{API}/circulation/checkout/",
        {"patron": reader_a.card_number, "copy": "I-2"},
        format="json",
        headers={"Idempotency-Key": "desk-7"},
    )

    assert_error(second, 422, "idempotency_key_reused")
    assert list(Loan.objects.values_list("copy__barcode", flat=True)) == ["I-1"]


def test_every_circulation_post_documents_the_header_and_its_422(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    idempotent = {
        "/api/v1/circulation/checkout/",
        "/api/v1/circulation/checkin/",
        "/api/v1/loans/{id}/renew/",
        "/api/v1/holds/",
        "/api/v1/holds/{id}/cancel/",
        "/api/v1/patrons/",
        "/api/v1/patrons/{id}/renew-card/",
        # Fines: a payment or a waiver sent twice must be taken once.
        "/api/v1/patrons/{id}/payments/",
        "/api/v1/fines/{id}/waive/",
    }
    for path, operations in schema["paths"].items():
        if "post" not in operations:
            continue
        post = operations["post"]
        headers = {p["name"] for p in post.get("parameters", []) if p["in"] == "header"}
        documented = ("Idempotency-Key" in headers, "422" in post["responses"])
        assert documented == ((True, True) if path in idempotent else (False, False)), path


def checkout_call(user, card: str, key: str):
    def call():
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(user)
        response = client.post(
            f"{API}/circulation/checkout/",
            {"patron": card, "copy": "I-1"},
            format="json",
            headers={"Idempotency-Key": key},
        )
        return response.status_code, response.content

    return call


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_checkout_sent_ten_times_at_once_with_one_key_lends_once_and_answers_alike(
    staff_user, lendable
):
    # staff_user holds its permissions itself: the roles migration's groups are gone after an
    # earlier test's flush, in tests that commit.
    patron = PatronFactory()

    outcomes = race(*(checkout_call(staff_user, patron.card_number, "scan-1") for _ in range(10)))

    # Without the key: one loan and nine 409 copy_on_loan. With it: one loan, ten 201s.
    assert {status for status, _ in outcomes} == {201}, outcomes
    assert len({body for _, body in outcomes}) == 1
    assert Loan.objects.filter(copy=lendable).count() == 1
    assert CirculationEvent.objects.filter(kind=EventKind.CHECKOUT).count() == 1
