"""What circulation adds to the catalog's books (catalog.extensions, registered in
CirculationConfig.ready): ``holds_waiting``, and ``can_place_hold`` for a signed-in patron, in a
fixed number of queries per page."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from catalog.models import LoanType
from catalog.serializers import BookSerializer
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from shelfmark.errors import DomainError

pytestmark = pytest.mark.django_db

BOOKS = "/api/v1/books/"


def lent(barcode: str, title: str):
    """A book whose one copy is on loan to someone."""
    copy = CopyFactory(barcode=barcode, book=BookFactory(title=title))
    services.loan_checkout(card_number=PatronFactory().card_number, barcode=barcode)
    return copy.book


def flags(client: APIClient, **query) -> dict[str, tuple[int, bool | None]]:
    response = client.get(BOOKS, {"page_size": 100, **query})
    assert response.status_code == 200, response.content
    return {
        row["title"]: (row["holds_waiting"], row["can_place_hold"])
        for row in response.json()["results"]
    }


@pytest.fixture
def shelf(reader_a):
    """Books in every situation that decides whether patron A may hold them."""
    books = {
        "queued": lent("Q-1", "Queued"),  # two others wait: A may join
        "held": lent("H-1", "Held by A"),
        "borrowed": CopyFactory(barcode="L-1", book=BookFactory(title="Borrowed by A")).book,
        "on shelf": CopyFactory(book=BookFactory(title="On the shelf")).book,
        "reference": CopyFactory(
            book=BookFactory(title="Reference only"), loan_type=LoanType.REFERENCE
        ).book,
        "no copies": BookFactory(title="No copies"),
    }
    for _ in range(2):
        services.hold_place(patron=PatronFactory(), book=books["queued"])
    services.hold_place(patron=reader_a, book=books["held"])
    services.loan_checkout(card_number=reader_a.card_number, barcode="L-1")
    return books


def test_anyone_sees_the_queue_length_and_no_hold_flag(shelf):
    assert flags(APIClient()) == {
        "Queued": (2, None),
        "Held by A": (1, None),
        "Borrowed by A": (0, None),
        "On the shelf": (0, None),
        "Reference only": (0, None),
        "No copies": (0, None),
    }


def test_a_patron_sees_where_they_may_place_a_hold(client_a, shelf):
    assert flags(client_a) == {
        "Queued": (2, True),
        "Held by A": (1, False),
        "Borrowed by A": (0, False),
        "On the shelf": (0, False),  # borrow it instead
        "Reference only": (0, True),  # no copy on the shelf that could be lent
        "No copies": (0, True),
    }


def test_with_holds_allowed_on_available_books_the_shelf_does_not_matter(client_a, shelf, settings):
    settings.HOLDS_ALLOWED_WHEN_AVAILABLE = True
    assert flags(client_a)["On the shelf"] == (0, True)


@pytest.mark.parametrize("standing", ["blocked", "expired", "at the hold limit"])
def test_a_patron_who_may_not_hold_at_all_sees_false_everywhere(
    client_a, reader_a, shelf, standing
):
    if standing == "blocked":
        reader_a.blocked, reader_a.block_reason = True, "Owes a book"
    elif standing == "expired":
        reader_a.expires_on = datetime.date(2000, 1, 1)
    else:
        reader_a.category = PatronCategoryFactory(name="One hold", max_holds=1)
    reader_a.save()

    assert {can for _, can in flags(client_a).values()} == {False}


def test_staff_without_a_patron_record_get_null(desk, shelf):
    assert {can for _, can in flags(desk).values()} == {None}


def test_the_flag_agrees_with_what_placing_the_hold_does(client_a, reader_a, shelf):
    predicted = {title: can for title, (_, can) in flags(client_a).items()}
    for book in shelf.values():
        with transaction.atomic():
            try:
                services.hold_place(patron=reader_a, book=book)
                placed = True
            except DomainError:
                placed = False
            transaction.set_rollback(True)
        assert predicted[book.title] is placed, book.title


@pytest.mark.parametrize("page_size", [1, 6])
def test_fixed_queries_per_page(shelf, client_a, desk, page_size, django_assert_num_queries):
    desk.get(BOOKS)  # reads the staff account's permissions, which the user object caches
    # The catalog's three (page, authors, subjects), then circulation's: the holds waiting for
    # anyone; the patron record and the page's facts for a signed-in account.
    with django_assert_num_queries(5):
        APIClient().get(BOOKS, {"page_size": page_size})
    with django_assert_num_queries(6):
        client_a.get(BOOKS, {"page_size": page_size})
    with django_assert_num_queries(6):
        desk.get(BOOKS, {"page_size": page_size})
    with django_assert_num_queries(6):  # a detail is a page of one
        client_a.get(f"{BOOKS}{shelf['queued'].pk}/")


def test_a_book_detail_has_them_too_and_the_schema_documents_them(client_a, shelf, client):
    row = client_a.get(f"{BOOKS}{shelf['queued'].pk}/").json()
    assert (row["holds_waiting"], row["can_place_hold"]) == (2, True)
    assert set(row) == set(BookSerializer().fields)

    book = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]["Book"]
    assert book["properties"]["holds_waiting"]["type"] == "integer"
    assert book["properties"]["can_place_hold"]["nullable"] is True
