"""/api/v1/holds/: a patron places and cancels their own holds, staff anyone's; positions are
each hold's place in its book's queue."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CirculationEvent, EventKind, Hold, HoldStatus
from circulation.serializers import HoldSerializer
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from shelfmark.tests.helpers import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/holds/"


@pytest.fixture
def book():
    """A book whose only copy is on loan: holds on it are welcome."""
    copy = CopyFactory(barcode="H-1", book=BookFactory(title="Middlemarch"))
    services.loan_checkout(card_number=PatronFactory().card_number, barcode="H-1")
    return copy.book


def test_a_patron_places_a_hold_for_themselves(client_a, reader_a, book):
    response = client_a.post(URL, {"book": book.pk})

    assert response.status_code == 201, response.content
    body = response.json()
    hold = Hold.objects.get()
    assert response["Location"] == body["url"] == f"http://testserver{URL}{hold.pk}/"
    assert body == {
        "id": hold.pk,
        "url": body["url"],
        "patron": reader_a.pk,
        "book": book.pk,
        "book_title": "Middlemarch",
        "position": 1,
        "status": "waiting",
        "placed_at": body["placed_at"],
        "suspended_until": None,
        "pickup_by": None,
        "copy": None,
    }
    assert set(body) == set(HoldSerializer().fields)
    assert CirculationEvent.objects.get(kind=EventKind.HOLD_PLACED).actor == reader_a.user


def test_queue_positions_close_up_when_someone_leaves(client_a, client_b, book):
    first = client_a.post(URL, {"book": book.pk}).json()
    second = client_b.post(URL, {"book": book.pk}).json()
    assert (first["position"], second["position"]) == (1, 2)

    cancelled = client_a.post(f"{URL}{first['id']}/cancel/").json()

    assert (cancelled["status"], cancelled["position"]) == ("cancelled", None)
    assert client_b.get(second["url"]).json()["position"] == 1


def test_staff_place_a_hold_for_any_patron(desk, librarian, reader_b, book):
    response = desk.post(URL, {"book": book.pk, "patron": reader_b.pk})

    assert (response.status_code, response.json()["patron"]) == (201, reader_b.pk)
    assert CirculationEvent.objects.get(kind=EventKind.HOLD_PLACED).actor == librarian
    error = assert_error(desk.post(URL, {"book": book.pk}), 400, "invalid")
    assert list(error["fields"]) == ["patron"]


def test_a_patron_cannot_place_a_hold_for_someone_else(client_a, reader_a, reader_b, book):
    error = assert_error(
        client_a.post(URL, {"book": book.pk, "patron": reader_b.pk}), 400, "invalid"
    )

    # The same answer as for a patron who does not exist: B is no business of A's.
    assert error["fields"] == {"patron": [f"No patron with id {reader_b.pk}."]}
    assert not Hold.objects.exists()
    assert client_a.post(URL, {"book": book.pk, "patron": reader_a.pk}).status_code == 201


def test_an_account_without_a_patron_record_cannot_place_holds(book):
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_user("visitor"))

    error = assert_error(client.post(URL, {"book": book.pk}), 403, "no_patron_record")
    assert "not linked to a patron record" in error["message"]


def test_an_unknown_book_is_a_400_on_the_field(client_a):
    error = assert_error(client_a.post(URL, {"book": 999999}), 400, "invalid")
    assert error["fields"] == {"book": ["No book with this id."]}


def test_hold_refusals_keep_their_codes(client_a, reader_a, book):
    assert client_a.post(URL, {"book": book.pk}).status_code == 201
    assert_error(client_a.post(URL, {"book": book.pk}), 409, "already_held")

    on_shelf = CopyFactory().book
    assert_error(client_a.post(URL, {"book": on_shelf.pk}), 409, "copy_on_shelf")

    reader_a.category = PatronCategoryFactory(name="One hold", max_holds=1)
    reader_a.save()
    other = CopyFactory(barcode="H-2").book
    services.loan_checkout(card_number=PatronFactory().card_number, barcode="H-2")
    assert_error(client_a.post(URL, {"book": other.pk}), 409, "max_holds")


# --- Reading -----------------------------------------------------------------------------------


@pytest.fixture
def holds(reader_a, reader_b, book):
    """A waits first and B second on ``book``; B waits on another book too."""
    other = CopyFactory(barcode="H-9", book=BookFactory(title="Walden"))
    services.loan_checkout(card_number=PatronFactory().card_number, barcode="H-9")
    return {
        "a": services.hold_place(patron=reader_a, book=book),
        "b": services.hold_place(patron=reader_b, book=book),
        "b_other": services.hold_place(patron=reader_b, book=other.book),
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_staff_list_every_hold_in_one_query(desk, holds, django_assert_num_queries):
    desk.get(URL)  # reads the account's permissions, which the user object then caches
    with django_assert_num_queries(1):
        rows = desk.get(URL).json()["results"]

    assert [row["id"] for row in rows] == [holds["b_other"].pk, holds["b"].pk, holds["a"].pk]
    assert [row["position"] for row in rows] == [1, 2, 1]
    assert {frozenset(row) for row in rows} == {frozenset(HoldSerializer().fields)}
    with django_assert_num_queries(1):
        assert desk.get(rows[1]["url"]).json() == rows[1]


def test_staff_filter_holds(desk, holds, reader_b, book):
    assert ids(desk.get(URL, {"patron": reader_b.pk})) == {holds["b"].pk, holds["b_other"].pk}
    assert ids(desk.get(URL, {"book": book.pk})) == {holds["a"].pk, holds["b"].pk}
    services.hold_cancel(hold=holds["a"])
    assert ids(desk.get(URL, {"status": "cancelled"})) == {holds["a"].pk}
    assert_error(desk.get(URL, {"status": "lost"}), 400, "invalid")


def test_a_patron_sees_only_their_own_holds(client_a, holds, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert ids(client_a.get(URL)) == {holds["a"].pk}
    with django_assert_num_queries(1):
        assert client_a.get(f"{URL}{holds['a'].pk}/").json()["position"] == 1
    assert_error(client_a.get(f"{URL}{holds['b'].pk}/"), 404, "not_found")


def test_a_ready_hold_shows_its_copy_and_pickup_date(client_a, holds):
    services.loan_checkin(barcode="H-1")

    row = client_a.get(f"{URL}{holds['a'].pk}/").json()

    assert (row["status"], row["position"], row["copy"]) == ("ready", None, "H-1")
    assert row["pickup_by"] is not None


# --- Cancelling --------------------------------------------------------------------------------


def test_a_patron_cannot_cancel_someone_elses_hold(client_a, holds):
    assert_error(client_a.post(f"{URL}{holds['b'].pk}/cancel/"), 404, "not_found")
    holds["b"].refresh_from_db()
    assert holds["b"].status == HoldStatus.WAITING


def test_staff_cancel_any_hold_once(desk, holds):
    url = f"{URL}{holds['b'].pk}/cancel/"
    assert desk.post(url).json()["status"] == "cancelled"
    assert_error(desk.post(url), 409, "hold_closed")


def test_holds_cannot_be_replaced_or_deleted(desk, holds):
    assert_error(desk.put(f"{URL}{holds['a'].pk}/", {}), 405, "method_not_allowed")
    assert_error(desk.delete(f"{URL}{holds['a'].pk}/"), 405, "method_not_allowed")
