"""/api/v1/loans/: staff see every loan, a patron their own; renewals by staff or the patron."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CirculationEvent, EventKind, Loan
from circulation.serializers import LoanSerializer
from circulation.tests.factories import PatronFactory
from shelfmark.tests.helpers import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/loans/"
TODAY = timezone.localdate


def lend(patron, barcode: str, *, title: str = "A Book", due_days_ago: int | None = None) -> Loan:
    CopyFactory(barcode=barcode, book=BookFactory(title=title))
    loan = services.loan_checkout(card_number=patron.card_number, barcode=barcode)
    if due_days_ago is not None:
        loan.due_on = TODAY() - datetime.timedelta(days=due_days_ago)
        loan.save(update_fields=["due_on"])
    return loan


@pytest.fixture
def loans(reader_a, reader_b):
    """A has an open loan, an overdue one and a returned one; B one open loan."""
    a_open = lend(reader_a, "A-1", title="Emma")
    a_done = lend(reader_a, "A-3", title="Sanditon")
    services.loan_checkin(barcode="A-3")
    a_late = lend(reader_a, "A-2", title="Persuasion", due_days_ago=2)  # last: it blocks
    b_open = lend(reader_b, "B-1", title="Walden")
    return {"a_open": a_open, "a_late": a_late, "a_done": a_done, "b_open": b_open}


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_staff_list_every_loan_newest_first_in_one_query(desk, loans, django_assert_num_queries):
    desk.get(URL)  # reads the account's permissions, which the user object then caches
    with django_assert_num_queries(1):
        response = desk.get(URL)

    rows = response.json()["results"]
    assert [row["copy"] for row in rows] == ["B-1", "A-2", "A-3", "A-1"]
    assert {frozenset(row) for row in rows} == {frozenset(LoanSerializer().fields)}
    late = next(row for row in rows if row["copy"] == "A-2")
    assert (late["overdue"], late["book_title"], late["patron"]) == (
        True,
        "Persuasion",
        loans["a_late"].patron_id,
    )
    returned = next(row for row in rows if row["copy"] == "A-3")
    assert (returned["overdue"], returned["days_late"]) == (False, 0)
    with django_assert_num_queries(1):
        assert desk.get(late["url"]).json() == late


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"open": "true"}, {"a_open", "a_late", "b_open"}),
        ({"open": "false"}, {"a_done"}),
        ({"overdue": "true"}, {"a_late"}),
        ({"overdue": "false"}, {"a_open", "a_done", "b_open"}),
        ({"copy": "A-2"}, {"a_late"}),
        ({"copy": "a-2"}, set()),  # barcodes are exact
    ],
)
def test_staff_filter_loans(desk, loans, query, expected):
    assert ids(desk.get(URL, query)) == {loans[name].pk for name in expected}


def test_staff_filter_by_patron_and_book(desk, loans, reader_b):
    assert ids(desk.get(URL, {"patron": reader_b.pk})) == {loans["b_open"].pk}
    assert ids(desk.get(URL, {"book": loans["a_open"].copy.book_id})) == {loans["a_open"].pk}


def test_ordering_by_due_date(desk, loans):
    rows = desk.get(URL, {"ordering": "due", "open": "true"}).json()["results"]
    assert rows[0]["copy"] == "A-2"
    assert_error(desk.get(URL, {"ordering": "patron"}), 400, "invalid")


def test_a_patron_lists_and_reads_only_their_own_loans(
    client_a, loans, reader_b, django_assert_num_queries
):
    with django_assert_num_queries(1):
        response = client_a.get(URL)
    assert ids(response) == {loans["a_open"].pk, loans["a_late"].pk, loans["a_done"].pk}
    assert ids(client_a.get(URL, {"patron": reader_b.pk})) == set()
    with django_assert_num_queries(1):
        own = client_a.get(f"{URL}{loans['a_open'].pk}/")
    assert own.json()["copy"] == "A-1"
    assert_error(client_a.get(f"{URL}{loans['b_open'].pk}/"), 404, "not_found")


# --- Renewals ----------------------------------------------------------------------------------


def test_staff_renew_a_loan_and_the_due_date_counts_from_today(desk, librarian, loans):
    loan = loans["a_open"]
    Loan.objects.filter(pk=loan.pk).update(due_on=TODAY() + datetime.timedelta(days=1))

    response = desk.post(f"{URL}{loan.pk}/renew/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["renewals"]) == (loan.pk, 1)
    assert body["due_on"] == (TODAY() + datetime.timedelta(days=21)).isoformat()
    assert CirculationEvent.objects.get(kind=EventKind.RENEW).actor == librarian


def test_a_patron_renews_their_own_loan(client_a, reader_a, loans):
    body = client_a.post(f"{URL}{loans['a_open'].pk}/renew/").json()
    assert body["renewals"] == 1
    assert CirculationEvent.objects.get(kind=EventKind.RENEW).actor == reader_a.user


def test_a_patron_cannot_renew_someone_elses_loan(client_a, loans):
    loan = loans["b_open"]
    assert_error(client_a.post(f"{URL}{loan.pk}/renew/"), 404, "not_found")
    loan.refresh_from_db()
    assert loan.renewals == 0


@pytest.mark.parametrize(("name", "code"), [("a_late", "loan_overdue"), ("a_done", "loan_closed")])
def test_renewal_refusals(client_a, loans, name, code):
    assert_error(client_a.post(f"{URL}{loans[name].pk}/renew/"), 409, code)


def test_no_renewal_while_another_patron_waits_nor_past_the_limit(desk, loans):
    loan = loans["a_open"]
    for _ in range(2):
        assert desk.post(f"{URL}{loan.pk}/renew/").status_code == 200
    assert_error(desk.post(f"{URL}{loan.pk}/renew/"), 409, "max_renewals")

    other = loans["b_open"]
    services.hold_place(patron=PatronFactory(), book=other.copy.book)
    assert_error(desk.post(f"{URL}{other.pk}/renew/"), 409, "book_held")


def test_loans_cannot_be_written_directly(desk, loans):
    assert_error(desk.post(URL, {}), 405, "method_not_allowed")
    assert_error(desk.patch(f"{URL}{loans['a_open'].pk}/", {}), 405, "method_not_allowed")
    assert_error(desk.delete(f"{URL}{loans['a_open'].pk}/"), 405, "method_not_allowed")
