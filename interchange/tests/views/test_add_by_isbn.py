from __future__ import annotations

import re
import threading
import time

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from catalog.models import Book, Copy
from catalog.tests.factories import BookFactory, CopyFactory
from circulation.tests.views.test_desk import text_of
from interchange.openlibrary import client
from interchange.services.isbn import COVER_NOT_STORED
from interchange.tests.fakes import BOOKS_API, COVER, ISBN

pytestmark = pytest.mark.django_db
URL = "/catalog/add/"


@pytest.fixture
def staff(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


def test_the_page_has_one_autofocused_isbn_field(staff):
    page = staff.get(URL).content.decode()

    assert 'name="isbn"' in page
    assert "autofocus" in page


def test_a_book_in_the_catalog_is_shown_with_an_add_a_copy_form(staff, open_library):
    book = BookFactory(title="Pride and Prejudice", isbn=ISBN)
    CopyFactory(book=book, barcode="OLD-1")

    page = staff.get(URL, {"isbn": "0141439513"}).content.decode()

    assert "In the catalog" in page
    assert "OLD-1" in page
    assert '<td data-label="Status">Available</td>' in page  # as people say it, not "available"
    assert 'value="copy"' in page
    assert open_library.requests == []

    response = staff.post(
        URL, {"action": "copy", "book": book.pk, "barcode": "NEW-2", "location": "Fiction"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{URL}?isbn={ISBN}"
    assert Copy.objects.get(barcode="NEW-2").book == book


def test_a_duplicate_barcode_is_shown_on_the_copy_form(staff):
    book = BookFactory(isbn=ISBN)
    CopyFactory(barcode="TAKEN")

    response = staff.post(URL, {"action": "copy", "book": book.pk, "barcode": "TAKEN"})

    assert response.status_code == 400
    assert "already on a copy" in response.content.decode()


def test_a_book_unknown_here_is_prefilled_from_open_library(staff, open_library):
    response = staff.get(URL, {"isbn": ISBN})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Check the details from Open Library" in page
    assert 'value="Pride and Prejudice"' in page
    assert "Jane Austen" in page
    assert 'value="2003"' in page
    assert "https://covers.openlibrary.org/b/id/8739161-L.jpg" in page
    # The cover preview is allowed by this page's policy, and by no other's.
    assert "covers.openlibrary.org" in response["Content-Security-Policy"]


def test_confirming_adds_the_book_its_first_copy_and_cover(staff, open_library, media):
    response = staff.post(
        URL,
        {
            "action": "book",
            "isbn": ISBN,
            "title": "Pride and Prejudice",
            "authors": "Jane Austen\n",
            "subjects": "Courtship\nSisters",
            "year": "2003",
            "language": "en",
            "barcode": "B-77",
            "cover_url": "https://covers.openlibrary.org/b/id/8739161-L.jpg",
        },
    )

    assert response.status_code == 302
    book = Book.objects.get(isbn=ISBN)
    assert sorted(subject.name for subject in book.subjects.all()) == ["Courtship", "Sisters"]
    assert book.copies.get().barcode == "B-77"
    assert book.cover
    # Back on the page, the book is now the catalog's.
    assert "In the catalog" in staff.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    "cover_url",
    [
        "http://127.0.0.1:5432/",  # a port of the server itself, typed into the hidden field
        "https://covers.openlibrary.org/b/id/404-L.jpg",  # no such cover
        "https://covers.openlibrary.org/b/id/8739161-L.jpg",  # not an image
    ],
)
def test_a_cover_that_cannot_be_stored_says_the_same_whatever_the_reason(
    staff, open_library, media, cover_url
):
    open_library.routes[COVER] = [httpx.Response(200, content=b"<html>not an image</html>")]

    response = staff.post(
        URL, {"action": "book", "isbn": ISBN, "title": "Emma", "cover_url": cover_url}, follow=True
    )

    assert response.status_code == 200
    assert not Book.objects.get(isbn=ISBN).cover
    page = text_of(response.content.decode())
    assert f"No cover: {COVER_NOT_STORED}" in page
    for detail in ("reached", "not an image", "empty", "404", "5432"):
        assert detail not in page


def test_open_library_down_leaves_an_empty_form_to_fill_by_hand(staff, open_library):
    open_library.routes[BOOKS_API] = [httpx.ConnectError]

    page = staff.get(URL, {"isbn": ISBN}).content.decode()

    assert "Open Library could not be reached — fill in the details below." in page
    assert "ConnectError" not in page  # no exception names for people
    assert "Error" not in text_of(page)
    assert 'name="title"' in page
    assert 'value="Pride and Prejudice"' not in page

    response = staff.post(URL, {"action": "book", "isbn": ISBN, "title": "Typed By Hand"})

    assert response.status_code == 302
    assert Book.objects.get(isbn=ISBN).title == "Typed By Hand"


def test_a_malformed_isbn_says_what_is_wrong(staff, open_library):
    response = staff.get(URL, {"isbn": "978-0-14-143951-9"})

    assert response.status_code == 400
    assert "Check the number" in response.content.decode()
    assert open_library.requests == []


def test_rule_errors_come_back_on_the_fields(staff):
    response = staff.post(URL, {"action": "book", "isbn": ISBN, "title": "T", "language": "e1"})

    assert response.status_code == 400
    assert "not an ISO 639 language code" in response.content.decode()
    assert not Book.objects.exists()


def test_accounts_without_the_permissions_get_a_403_page():
    user = get_user_model().objects.create_user("clerk", password="x-long-pass", is_staff=True)
    client = Client()
    client.force_login(user)

    response = client.get(URL)

    assert response.status_code == 403
    assert "Not for this account" in response.content.decode()


def test_the_navigation_links_the_page_for_staff_who_may_add_books(staff, client):
    assert f'href="{URL}"' in staff.get("/").content.decode()
    assert f'href="{URL}"' not in client.get("/").content.decode()


@pytest.fixture
def hanging_open_library(monkeypatch):
    """An Open Library that never answers (until the test ends): the network as it is when a
    connection hangs."""
    release = threading.Event()

    def hang(request: httpx.Request) -> httpx.Response:
        release.wait(30)
        raise httpx.ConnectError("released at the end of the test", request=request)

    monkeypatch.setattr(client, "TRANSPORT", httpx.MockTransport(hang))
    yield
    release.set()


def test_the_page_gives_up_on_open_library_within_three_seconds(staff, hanging_open_library):
    started = time.monotonic()
    response = staff.get(URL, {"isbn": ISBN})
    waited = time.monotonic() - started

    assert response.status_code == 200
    assert 2.5 < waited < 4.0, waited  # OPENLIBRARY_PAGE_SECONDS, not the worker's 30 s
    page = response.content.decode()
    assert "Open Library could not be reached — fill in the details below." in page
    assert 'name="title"' in page


def manual_form(page: str) -> str:
    return re.search(r'<section aria-labelledby="new-heading".*?</section>', page, re.S).group(0)


def test_the_manual_form_is_styled_like_the_sites_forms_and_has_the_focus(staff, open_library):
    open_library.routes[BOOKS_API] = [httpx.ConnectError]

    page = staff.get(URL, {"isbn": ISBN}).content.decode()

    form = manual_form(page)
    assert '<form method="post" action="/catalog/add/" class="stacked-form" novalidate>' in form
    # The focus is in the first field to type, the title; the ISBN field no longer takes it.
    (focused,) = re.findall(r"<(?:input|textarea|select)[^>]*\bautofocus\b[^>]*>", page)
    assert 'name="title"' in focused
    assert re.search(r'<label for="id_title">Title \(required\)</label>', form)


def test_a_refused_book_form_puts_the_focus_on_the_first_field_in_error(staff, open_library):
    response = staff.post(URL, {"action": "book", "isbn": ISBN, "title": "", "year": "12345"})

    assert response.status_code == 400
    page = response.content.decode()
    (focused,) = re.findall(r"<(?:input|textarea|select)[^>]*\bautofocus\b[^>]*>", page)
    assert 'name="title"' in focused
    response = staff.post(URL, {"action": "book", "isbn": ISBN, "title": "Ok", "year": "12345"})
    (focused,) = re.findall(
        r"<(?:input|textarea|select)[^>]*\bautofocus\b[^>]*>", response.content.decode()
    )
    assert 'name="year"' in focused
