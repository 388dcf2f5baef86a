"""The staff stocktake pages: start, scan with the plain form and as the page's script does
(JSON, Idempotency-Key), close, the not-seen list, its CSV, marking missing."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from catalog.models import Copy, CopyStatus
from catalog.tests.factories import BookFactory, CopyFactory
from stocktake.models import Stocktake, StocktakeScan

pytestmark = pytest.mark.django_db


@pytest.fixture
def librarian(client):
    user = get_user_model().objects.create_user("desk", password="x-long-password", is_staff=True)
    user.groups.add(Group.objects.get(name="Librarians"))
    client.force_login(user)
    return client


@pytest.fixture
def stocktake(librarian):
    book = BookFactory(title="Persuasion")
    for n in range(3):
        CopyFactory(book=book, barcode=f"P-{n}", location="Main", call_number="823 AUS")
    answer = librarian.post("/staff/stocktake/", {"name": "", "location": "Main"})
    assert answer.status_code == 302
    return Stocktake.objects.get()


def test_a_librarian_starts_scans_closes_and_marks_missing(librarian, stocktake):
    page = librarian.get("/staff/stocktake/")
    assert b"Stocktake of Main" in page.content
    assert b'href="/staff/stocktake/"' in page.content  # in the site's navigation
    url = f"/staff/stocktake/{stocktake.pk}/"
    answer = librarian.post(f"{url}scan/", {"barcode": "P-0"}, follow=True)
    assert b"P-0: Persuasion." in answer.content
    answer = librarian.post(f"{url}scan/", {"barcode": "NOPE"}, follow=True)
    assert b"no copy has this barcode" in answer.content
    assert b'class="surprise"' in answer.content
    answer = librarian.post(f"{url}close/", follow=True)
    assert b"Not seen (2)" in answer.content
    csv = librarian.get(f"{url}not-seen.csv")
    assert csv["Content-Type"].startswith("text/csv")
    lines = b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "barcode,title,call_number,location,last_seen"
    assert [line.split(",")[0] for line in lines[1:]] == ["P-1", "P-2"]
    answer = librarian.post(f"{url}mark-missing/", follow=True)
    assert b"Marked 2 copies missing." in answer.content
    assert Copy.objects.filter(status=CopyStatus.MISSING).count() == 2
    closed = librarian.post(f"{url}scan/", {"barcode": "P-1"}, follow=True)
    assert b"was closed" in closed.content


def test_the_pages_script_gets_json_and_a_resent_scan_counts_once(librarian, stocktake):
    url = f"/staff/stocktake/{stocktake.pk}/scan/"
    headers = {"HTTP_ACCEPT": "application/json", "HTTP_IDEMPOTENCY_KEY": "0b7c6a1e-key-1"}
    first = librarian.post(url, {"barcode": "P-1"}, **headers)
    assert first.status_code == 200
    body = first.json()
    assert (body["outcome"], body["outcome_label"], body["surprise"]) == ("seen", "Seen", False)
    assert body["counts"] == {"seen": 1, "surprises": 0}
    again = librarian.post(url, {"barcode": "P-1"}, **headers)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == body
    assert StocktakeScan.objects.count() == 1
    refused = librarian.post(url, {"barcode": ""}, HTTP_ACCEPT="application/json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["barcode"]


def test_the_pages_are_for_staff_who_run_stocktakes(client, stocktake):
    client.logout()
    assert client.get("/staff/stocktake/")["Location"].startswith("/account/sign-in/?next=")
    reader = get_user_model().objects.create_user("reader", password="x-long-password")
    client.force_login(reader)
    assert client.get("/staff/stocktake/").status_code == 403
    scan = client.post(
        f"/staff/stocktake/{stocktake.pk}/scan/", {"barcode": "P-1"}, HTTP_ACCEPT="application/json"
    )
    assert scan.status_code == 403
    assert scan.json()["error"]["code"] == "permission_denied"
