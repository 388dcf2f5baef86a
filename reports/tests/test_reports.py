"""Reports through the API and the staff pages: what each counts over a period, the CSV, the
chart, bad periods and who may see which."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from catalog.models import Copy
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import Loan
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from reports.definitions import REPORTS

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def library():
    """Emma (Austen) lent three times, Dracula (Stoker) once, Cosmos never; an overdue loan."""
    adults, children = PatronCategoryFactory(name="Adult"), PatronCategoryFactory(name="Child")
    ada = PatronFactory(name="Ada", email="ada@example.org", phone="0123", category=adults)
    bo = PatronFactory(name="Bo", category=children)
    PatronFactory(name="Cy", category=children)
    emma = BookFactory(title="Emma", authors=["Jane Austen"])
    dracula = BookFactory(title="Dracula", authors=["Bram Stoker"])
    cosmos = BookFactory(title="Cosmos", authors=["Carl Sagan"])
    copies = {
        "emma": CopyFactory(book=emma, barcode="E-1"),
        "dracula": CopyFactory(book=dracula, barcode="D-1"),
        "cosmos": CopyFactory(book=cosmos, barcode="C-1", call_number="520 SAG"),
    }
    for patron, when in ((ada, 70), (bo, 40), (ada, 10)):
        loan = services.loan_checkout(card_number=patron.card_number, barcode="E-1")
        Loan.objects.filter(pk=loan.pk).update(checked_out_at=days_ago(when))
        services.loan_checkin(barcode="E-1")
    overdue = services.loan_checkout(card_number=ada.card_number, barcode="D-1")
    Loan.objects.filter(pk=overdue.pk).update(
        checked_out_at=days_ago(30), due_on=TODAY - datetime.timedelta(days=9)
    )
    Copy.objects.filter(pk=copies["cosmos"].pk).update(
        acquired_on=TODAY - datetime.timedelta(days=400)
    )
    return copies


def report(client, name, **params):
    answer = client.get(f"/api/v1/reports/{name}/", params)
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_loans_per_month_counts_each_month_of_the_period(staff_client, library):
    body = report(staff_client, "loans-per-month")
    assert body["from"] == (TODAY - datetime.timedelta(days=365)).isoformat()
    assert body["to"] == TODAY.isoformat()
    assert len(body["rows"]) in (12, 13)  # every month of the year, 0 where none
    assert sum(row["loans"] for row in body["rows"]) == 4
    assert [point["value"] for point in body["chart"]] == [row["loans"] for row in body["rows"]]
    recent = report(
        staff_client,
        "loans-per-month",
        **{"from": (TODAY - datetime.timedelta(days=20)).isoformat()},
    )
    assert sum(row["loans"] for row in recent["rows"]) == 1


def test_busiest_titles_and_authors(staff_client, library):
    titles = report(staff_client, "busiest-titles")["rows"]
    assert [(row["title"], row["loans"]) for row in titles] == [("Emma", 3), ("Dracula", 1)]
    authors = report(staff_client, "busiest-authors")["rows"]
    assert [(row["name"], row["loans"]) for row in authors] == [
        ("Jane Austen", 3),
        ("Bram Stoker", 1),
    ]
    since = {"from": (TODAY - datetime.timedelta(days=35)).isoformat()}
    assert [
        (row["title"], row["loans"])
        for row in report(staff_client, "busiest-titles", **since)["rows"]
    ] == [
        ("Dracula", 1),
        ("Emma", 1),
    ]


def test_patrons_by_category(staff_client, library):
    rows = report(staff_client, "patrons-by-category")["rows"]
    assert rows == [
        {"category": "Adult", "patrons": 1, "borrowers": 1, "loans": 3},
        {"category": "Child", "patrons": 2, "borrowers": 1, "loans": 1},
    ]


def test_the_overdue_list_has_the_contacts(staff_client, library):
    body = report(staff_client, "overdue")
    assert body["from"] is None  # every overdue loan, however old
    (row,) = body["rows"]
    assert (row["patron_name"], row["email"], row["phone"], row["title"]) == (
        "Ada",
        "ada@example.org",
        "0123",
        "Dracula",
    )
    assert row["days_overdue"] == 9
    assert {point["label"]: point["value"] for point in body["chart"]}["8-14 days"] == 1


def test_copies_never_borrowed_and_new_acquisitions(staff_client, library):
    never = report(staff_client, "never-borrowed")["rows"]
    assert [row["barcode"] for row in never] == ["C-1"]
    assert never[0]["added"] == (TODAY - datetime.timedelta(days=400)).isoformat()
    new = report(staff_client, "new-acquisitions")["rows"]
    assert sorted(row["barcode"] for row in new) == ["D-1", "E-1"]  # Cosmos came 400 days ago


def test_csv_has_every_row(staff_client, library, monkeypatch):
    from reports import definitions

    monkeypatch.setattr(definitions, "MOST_ROWS", 1)
    from reports import api

    monkeypatch.setattr(api, "MOST_ROWS", 1)
    body = report(staff_client, "new-acquisitions")
    assert (len(body["rows"]), body["total_rows"], body["truncated"]) == (1, 2, True)
    answer = staff_client.get("/api/v1/reports/new-acquisitions/", {"format": "csv"})
    assert answer["Content-Type"].startswith("text/csv")
    lines = b"".join(answer.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "added,barcode,title,call_number,location"
    assert len(lines) == 3


@pytest.mark.parametrize("name", list(REPORTS))
def test_each_report_is_a_fixed_number_of_queries(
    staff_client, library, name, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        staff_client.get(f"/api/v1/reports/{name}/")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "from"),
        ({"format": "xls"}, "format"),
    ],
)
def test_a_bad_period_or_format_is_a_400_naming_it(staff_client, params, field):
    answer = staff_client.get("/api/v1/reports/loans-per-month/", params)
    assert answer.status_code == 400
    assert field in answer.json()["error"]["fields"]


def test_an_unknown_report_is_a_404_listing_the_reports(staff_client):
    answer = staff_client.get("/api/v1/reports/everything/")
    assert answer.status_code == 404
    assert "loans-per-month" in answer.json()["error"]["message"]


def test_each_report_asks_for_what_it_shows(api_client, patron_client):
    assert api_client.get("/api/v1/reports/overdue/").status_code == 401
    assert patron_client.get("/api/v1/reports/overdue/").status_code == 403
    catalogue = get_user_model().objects.create_user(
        "cataloguer", password="x-long-password", is_staff=True
    )
    catalogue.user_permissions.set(Permission.objects.filter(codename="view_copy"))
    api_client.force_authenticate(catalogue)
    assert api_client.get("/api/v1/reports/new-acquisitions/").status_code == 200
    refused = api_client.get("/api/v1/reports/overdue/")
    assert refused.status_code == 403
    assert "circulation.view_patron" in refused.json()["error"]["message"]


def test_the_pages_show_a_chart_a_table_and_a_download(client, staff_user, library):
    client.force_login(staff_user)
    listing = client.get("/staff/reports/")
    assert listing.status_code == 200
    assert listing.content.count(b'href="/staff/reports/') == len(REPORTS) + 1  # and the menu's
    page = client.get("/staff/reports/busiest-titles/")
    assert page.status_code == 200
    assert b'<svg class="chart"' in page.content
    assert b'<td data-label="Title">Emma</td>' in page.content
    assert b"format=csv" in page.content
    csv = client.get("/staff/reports/overdue/", {"format": "csv", "from": ""})
    assert b"Dracula" in b"".join(csv.streaming_content)
    bad = client.get("/staff/reports/overdue/", {"from": "soon"})
    assert bad.status_code == 400
    assert b"is not a date" in bad.content
    assert client.get("/staff/reports/everything/").status_code == 404
