"""Stocktakes through the API: the scope, what each scan finds, the counts, closing, the
not-seen list and marking it missing, and who may do each."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import Copy, CopyStatus
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services as circulation
from circulation.tests.factories import PatronFactory
from stocktake.models import Stocktake, StocktakeScan

pytestmark = pytest.mark.django_db
URL = "/api/v1/stocktakes/"


@pytest.fixture
def shelves():
    """Fiction on the main shelves (823…), science in the annexe (500…), copies of each state."""
    fiction, science = BookFactory(title="Emma"), BookFactory(title="Cosmos")
    copies = {
        "seen": CopyFactory(book=fiction, barcode="F-1", location="Main", call_number="823 AUS"),
        "missed": CopyFactory(book=fiction, barcode="F-2", location="Main", call_number="823 AUS"),
        "late": CopyFactory(book=fiction, barcode="F-3", location="Main", call_number="829.1 ZED"),
        "range": CopyFactory(book=fiction, barcode="F-4", location="Main", call_number="830 OUT"),
        "annexe": CopyFactory(
            book=science, barcode="S-1", location="Annexe", call_number="520 SAG"
        ),
        "lent": CopyFactory(book=fiction, barcode="F-5", location="Main", call_number="823 AUS"),
        "gone": CopyFactory(book=fiction, barcode="F-6", location="Main", call_number="823 AUS"),
    }
    circulation.loan_checkout(card_number=PatronFactory().card_number, barcode="F-5")
    Copy.objects.filter(barcode="F-6").update(status=CopyStatus.WITHDRAWN)
    return copies


def start(client, **scope):
    answer = client.post(URL, scope, format="json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def scan(client, stocktake, barcode):
    return client.post(f"{URL}{stocktake['id']}/scans/", {"barcode": barcode}, format="json")


def test_each_scan_says_what_it_found_at_once(staff_client, shelves):
    stocktake = start(staff_client, location="main", call_number_from="800", call_number_to="829")
    assert stocktake["name"].startswith("Stocktake of main, call numbers 800 to 829, ")
    found = {}
    for code in ("F-1", "F-1", "F-3", "F-4", "S-1", "F-5", "F-6", "NOPE-1"):
        answer = scan(staff_client, stocktake, code)
        assert answer.status_code == 201, answer.content
        found.setdefault(code, []).append(answer.json())
    assert [a["outcome"] for a in found["F-1"]] == ["seen", "already_seen"]
    assert found["F-1"][0]["surprise"] is False
    assert found["F-1"][0]["message"] == "F-1: Emma."
    assert found["F-3"][0]["outcome"] == "seen"  # "to 829" takes 829.1
    assert found["F-4"][0]["outcome"] == "elsewhere"  # 830: past the range
    assert "belongs elsewhere: Main, 830 OUT" in found["F-4"][0]["message"]
    assert found["S-1"][0]["outcome"] == "elsewhere"  # another location
    assert found["F-5"][0]["outcome"] == "on_loan"
    assert "check it in at the desk" in found["F-5"][0]["message"]
    assert found["F-6"][0]["outcome"] == "not_available"
    assert found["F-6"][0]["copy_status"] == "withdrawn"
    assert found["NOPE-1"][0]["outcome"] == "unknown"
    assert found["NOPE-1"][0]["copy"] is None
    assert all(
        a["surprise"] for code in ("F-4", "S-1", "F-5", "F-6", "NOPE-1") for a in found[code]
    )
    # Every copy scanned was seen today, wherever it belongs.
    today = timezone.localdate()
    assert set(Copy.objects.filter(last_seen=today).values_list("barcode", flat=True)) == {
        "F-1",
        "F-3",
        "F-4",
        "S-1",
        "F-5",
        "F-6",
    }
    detail = staff_client.get(f"{URL}{stocktake['id']}/").json()
    # Expected: the main shelves' available copies from 800 to 829: F-1, F-2, F-3.
    assert (detail["expected"], detail["not_seen"]) == (3, 1)
    assert (detail["scans"], detail["seen"], detail["surprises"]) == (8, 4, 5)


def test_closing_lists_what_was_not_seen_and_marks_it_missing_in_one_step(staff_client, shelves):
    stocktake = start(staff_client, location="Main")
    for code in ("F-1", "F-4"):
        scan(staff_client, stocktake, code)
    early = staff_client.post(f"{URL}{stocktake['id']}/mark-missing/")
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "stocktake_open"
    closed = staff_client.post(f"{URL}{stocktake['id']}/close/").json()
    assert closed["stocktake"]["status"] == "closed"
    assert [copy["barcode"] for copy in closed["not_seen"]] == ["F-2", "F-3"]
    assert closed["not_seen"][0]["book_title"] == "Emma"
    assert scan(staff_client, stocktake, "F-2").json()["error"]["code"] == "stocktake_closed"
    # Closing again lists them again; a copy lent meanwhile is not marked missing.
    assert staff_client.post(f"{URL}{stocktake['id']}/close/").status_code == 200
    circulation.loan_checkout(card_number=PatronFactory().card_number, barcode="F-3")
    marked = staff_client.post(f"{URL}{stocktake['id']}/mark-missing/").json()
    assert marked["marked"] == 1
    assert marked["stocktake"]["missing_marked"] == 1
    assert Copy.objects.get(barcode="F-2").status == CopyStatus.MISSING
    assert Copy.objects.get(barcode="F-3").status == CopyStatus.ON_LOAN
    assert staff_client.post(f"{URL}{stocktake['id']}/mark-missing/").json()["marked"] == 0
    # Found again at the desk: checked in, it is back on the shelf.
    result = circulation.loan_checkin(barcode="F-2")
    assert result.found
    assert Copy.objects.get(barcode="F-2").status == CopyStatus.AVAILABLE


def test_bad_input_is_refused_clearly(staff_client, shelves):
    answer = staff_client.post(
        URL, {"call_number_from": "900", "call_number_to": "100"}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["fields"]["call_number_to"]
    stocktake = start(staff_client)
    for body in ({}, {"barcode": ""}, {"barcode": "two words"}, {"barcode": "x" * 65}):
        answer = staff_client.post(f"{URL}{stocktake['id']}/scans/", body, format="json")
        assert answer.status_code == 400, body
    assert (
        staff_client.post(f"{URL}999999/scans/", {"barcode": "F-1"}, format="json").status_code
        == 404
    )
    assert StocktakeScan.objects.count() == 0


def test_who_may_do_what(api_client, patron_client, staff_client, shelves):
    stocktake = start(staff_client)
    assert api_client.get(URL).status_code == 401
    assert patron_client.get(URL).status_code == 403
    assert scan(patron_client, stocktake, "F-1").status_code == 403
    # A librarian may run the stocktake; marking copies missing needs catalog.change_copy too.
    desk = get_user_model().objects.create_user("desk", password="x-long-password", is_staff=True)
    desk.user_permissions.set(
        desk.user_permissions.model.objects.filter(content_type__app_label="stocktake")
    )
    api_client.force_authenticate(desk)
    assert scan(api_client, stocktake, "F-1").status_code == 201
    assert api_client.post(f"{URL}{stocktake['id']}/close/").status_code == 200
    refused = api_client.post(f"{URL}{stocktake['id']}/mark-missing/")
    assert refused.status_code == 403
    assert "catalog.change_copy" in refused.json()["error"]["message"]


def test_reads_take_a_fixed_number_of_queries(staff_client, shelves, django_assert_max_num_queries):
    for n in range(3):
        stocktake = start(staff_client, name=f"Shelf {n}")
        for code in ("F-1", "F-2", "NOPE"):
            scan(staff_client, stocktake, code)
    with django_assert_max_num_queries(6):
        rows = staff_client.get(URL).json()["results"]
    assert [row["scans"] for row in rows] == [3, 3, 3]
    with django_assert_max_num_queries(8):
        staff_client.get(f"{URL}{stocktake['id']}/")
    with django_assert_max_num_queries(12):
        assert scan(staff_client, stocktake, "F-3").status_code == 201


def test_a_stocktake_is_kept_from_its_start(staff_client, shelves):
    stocktake = start(staff_client, name="  Main   shelves ")
    assert Stocktake.objects.get(pk=stocktake["id"]).name == "Main shelves"
    scan(staff_client, stocktake, "F-1")
    listed = staff_client.get(URL).json()["results"]
    assert [(row["name"], row["status"], row["scans"]) for row in listed] == [
        ("Main shelves", "open", 1)
    ]
