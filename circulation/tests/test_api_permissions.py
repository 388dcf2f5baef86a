"""The permission matrix on patron A's data: anonymous, patron A, patron B and a librarian, on
every endpoint that names one patron's record, loan or hold. Patron B never reads or changes
A's data, and gets the 404 of something that does not exist; lists never show it to them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.forms.models import model_to_dict
from rest_framework.test import APIClient

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CirculationEvent, Hold, Loan, Patron
from circulation.tests.factories import PatronFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def world(reader_a, reader_b):
    """Each patron has a loan and a hold."""
    data: dict[str, Any] = {}
    for name, patron in (("a", reader_a), ("b", reader_b)):
        copy = CopyFactory(book=BookFactory(title=f"Lent to {name}"))
        data[f"{name}_loan"] = services.loan_checkout(
            card_number=patron.card_number, barcode=copy.barcode
        )
        waited = CopyFactory(book=BookFactory(title=f"Held by {name}"))
        services.loan_checkout(card_number=PatronFactory().card_number, barcode=waited.barcode)
        data[f"{name}_hold"] = services.hold_place(patron=patron, book=waited.book)
    return data


def snapshot(patron: Patron) -> tuple:
    """Everything of ``patron``'s that a request could change."""
    return (
        model_to_dict(Patron.objects.get(pk=patron.pk)),
        [model_to_dict(loan) for loan in Loan.objects.filter(patron=patron).order_by("pk")],
        [model_to_dict(hold) for hold in Hold.objects.filter(patron=patron).order_by("pk")],
        CirculationEvent.objects.filter(patron=patron).count(),
    )


# (method, path for A's object, body) → status for each role
OPERATIONS = {
    "read A's record": ("GET", "/patrons/{patron}/", None),
    "change A's record": ("PATCH", "/patrons/{patron}/", {"phone": "555"}),
    "read A's loan": ("GET", "/loans/{loan}/", None),
    "renew A's loan": ("POST", "/loans/{loan}/renew/", None),
    "read A's hold": ("GET", "/holds/{hold}/", None),
    "cancel A's hold": ("POST", "/holds/{hold}/cancel/", None),
}
EXPECTED = {
    "anonymous": dict.fromkeys(OPERATIONS, 401),
    "patron B": dict.fromkeys(OPERATIONS, 404),
    "patron A": dict.fromkeys(OPERATIONS, 200) | {"change A's record": 403},
    "librarian": dict.fromkeys(OPERATIONS, 200),
}


@pytest.fixture
def clients(librarian, reader_a, reader_b) -> dict[str, APIClient]:
    clients = {role: APIClient() for role in EXPECTED}
    clients["patron A"].force_authenticate(reader_a.user)
    clients["patron B"].force_authenticate(reader_b.user)
    clients["librarian"].force_authenticate(librarian)
    return clients


@pytest.mark.parametrize("role", sorted(EXPECTED))
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_who_may_do_what_with_patron_as_data(world, reader_a, clients, role, operation):
    method, path, body = OPERATIONS[operation]
    url = API + path.format(patron=reader_a.pk, loan=world["a_loan"].pk, hold=world["a_hold"].pk)
    before = snapshot(reader_a)

    payload = "" if body is None else json.dumps(body)
    response = clients[role].generic(method, url, payload, content_type="application/json")

    expected = EXPECTED[role][operation]
    assert response.status_code == expected, (role, operation, response.content)
    if expected != 200:
        assert snapshot(reader_a) == before, "a refused request changed something"
        # Nothing of A's in the answer: not even whether it exists, for patron B.
        error = response.json()["error"]
        assert reader_a.name not in error["message"]
        assert reader_a.card_number not in error["message"]
    if role == "patron B":
        # The same answer as for an id that does not exist at all.
        missing = API + path.format(patron=999999, loan=999999, hold=999999)
        nothing = clients[role].generic(method, missing, "{}", content_type="application/json")
        assert (nothing.status_code, nothing.json()["error"]["code"]) == (404, "not_found")


def test_patron_b_finds_nothing_of_a_in_any_list(world, reader_a, clients):
    client = clients["patron B"]
    for path, query in (
        ("/loans/", {}),
        ("/loans/", {"patron": reader_a.pk}),
        ("/loans/", {"copy": world["a_loan"].copy.barcode}),
        ("/holds/", {}),
        ("/holds/", {"patron": reader_a.pk}),
        ("/holds/", {"book": world["a_hold"].book_id}),
        ("/patrons/", {}),
        ("/patrons/", {"q": reader_a.name}),
    ):
        rows = client.get(API + path, query).json()["results"]
        assert all(row.get("patron", row["id"]) != reader_a.pk for row in rows), (path, query)
        assert reader_a.pk not in {row["id"] for row in rows if path == "/patrons/"}
    me = client.get(f"{API}/me/").json()
    assert me["patron"]["id"] != reader_a.pk
    assert {loan["id"] for loan in me["loans"]} == {world["b_loan"].pk}
    assert {hold["id"] for hold in me["holds"]} == {world["b_hold"].pk}


def test_patron_b_cannot_place_a_hold_in_as_name(world, reader_a, clients):
    before = snapshot(reader_a)
    response = clients["patron B"].post(
        f"{API}/holds/", {"book": BookFactory().pk, "patron": reader_a.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"patron": [f"No patron with id {reader_a.pk}."]}
    assert snapshot(reader_a) == before
