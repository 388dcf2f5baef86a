"""The admin: every model registered, searchable, and saving through the catalog rules."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from catalog.models import Author, Book, Copy
from catalog.tests.factories import BookFactory, CopyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    user = get_user_model().objects.create_superuser("boss", "boss@example.org", "pw-not-used")
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/catalog/book/",
        "/admin/catalog/author/",
        "/admin/catalog/subject/",
        "/admin/catalog/copy/",
        "/admin/accounts/apitoken/",
        "/admin/catalog/book/?q=austen",
        "/admin/catalog/copy/?status__exact=available",
        "/admin/catalog/book/add/",
    ],
)
def test_admin_pages_render(admin_client, path):
    BookFactory(authors=["Jane Austen"])
    assert admin_client.get(path).status_code == 200


def test_book_change_page_has_copies_and_authors_inline(admin_client):
    copy = CopyFactory(barcode="INLINE-1")
    page = admin_client.get(f"/admin/catalog/book/{copy.book.pk}/change/").content.decode()
    assert "INLINE-1" in page
    assert "copies-TOTAL_FORMS" in page
    assert "book_authors-TOTAL_FORMS" in page


def _book_form(**fields) -> dict:
    data = {
        "title": "Admin Book",
        "subtitle": "",
        "isbn": "",
        "publisher": "",
        "year": "",
        "language": "en",
        "pages": "",
        "description": "",
        "book_authors-TOTAL_FORMS": "0",
        "book_authors-INITIAL_FORMS": "0",
        "copies-TOTAL_FORMS": "0",
        "copies-INITIAL_FORMS": "0",
    }
    data.update(fields)
    return data


def test_admin_add_book_normalizes_isbn_and_indexes_authors(admin_client):
    author = Author.objects.create(name="Admin Author", sort_name="Author, Admin")
    response = admin_client.post(
        "/admin/catalog/book/add/",
        _book_form(
            isbn="0-306-40615-2",
            **{
                "book_authors-TOTAL_FORMS": "1",
                "book_authors-0-author": str(author.pk),
                "book_authors-0-position": "0",
                "copies-TOTAL_FORMS": "1",
                "copies-0-barcode": "ADM-1",
                "copies-0-status": "available",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    book = Book.objects.get(title="Admin Book")
    assert book.isbn == "9780306406157"
    assert "admin author" in book.search_text
    assert Copy.objects.get(barcode="ADM-1").book == book


def test_admin_rejects_bad_and_duplicate_isbns_with_a_message(admin_client):
    BookFactory(isbn="9780306406157")
    bad = admin_client.post("/admin/catalog/book/add/", _book_form(isbn="0-306-40615-3"))
    assert "wrong check digit" in bad.content.decode()
    duplicate = admin_client.post("/admin/catalog/book/add/", _book_form(isbn="0306406152"))
    assert "already has ISBN" in duplicate.content.decode()
    assert Book.objects.count() == 1


def test_admin_author_rename_reaches_book_search(admin_client):
    book = BookFactory(authors=["Old Name"])
    author = book.authors.get()
    response = admin_client.post(
        f"/admin/catalog/author/{author.pk}/change/", {"name": "New Name", "sort_name": "Name, New"}
    )
    assert response.status_code == 302
    book.refresh_from_db()
    assert "new name" in book.search_text


def test_admin_applies_the_services_cleaning_rules(admin_client):
    response = admin_client.post(
        "/admin/catalog/book/add/",
        _book_form(
            title="  Spaced   Out ",
            language="EN",
            **{
                "copies-TOTAL_FORMS": "1",
                "copies-0-barcode": "HAS SPACE",
                "copies-0-status": "available",
            },
        ),
    )
    assert "A barcode may not contain spaces." in response.content.decode()
    assert not Book.objects.exists()

    response = admin_client.post(
        "/admin/catalog/book/add/", _book_form(title="  Spaced   Out ", language="EN")
    )
    assert response.status_code == 302
    book = Book.objects.get()
    assert (book.title, book.language) == ("Spaced Out", "en")

    admin_client.post(
        "/admin/catalog/author/add/", {"name": " Ursula  K. Le Guin ", "sort_name": ""}
    )
    author = Author.objects.get()
    assert (author.name, author.sort_name) == ("Ursula K. Le Guin", "Guin, Ursula K. Le")


def test_admin_refuses_circulation_statuses_with_the_services_message(admin_client):
    copy = CopyFactory(barcode="ADM-9")
    form = {
        "book": str(copy.book.pk),
        "barcode": "ADM-9",
        "call_number": "",
        "location": "",
        "status": "on_loan",
        "acquired_on": "",
        "note": "",
    }
    response = admin_client.post(f"/admin/catalog/copy/{copy.pk}/change/", form)
    assert response.status_code == 200  # the form again, with the message
    assert "belongs to circulation" in response.content.decode()
    copy.refresh_from_db()
    assert copy.status == "available"

    on_loan = CopyFactory(barcode="ADM-10", status="on_loan")
    form |= {"book": str(on_loan.book.pk), "barcode": "ADM-10", "status": "available"}
    response = admin_client.post(f"/admin/catalog/copy/{on_loan.pk}/change/", form)
    assert "belongs to circulation" in response.content.decode()
    on_loan.refresh_from_db()
    assert on_loan.status == "on_loan"


def test_admin_reports_every_broken_field_of_a_book_at_once(admin_client):
    response = admin_client.post(
        "/admin/catalog/book/add/",
        _book_form(isbn="0-306-40615-3", language="english", year="20233"),
    )
    html = response.content.decode()
    assert "wrong check digit" in html
    assert "ISO 639" in html
    assert "from -3000 to 2100" in html
    assert not Book.objects.exists()


def test_admin_numbers_the_authors_by_row_order(admin_client):
    first = Author.objects.create(name="First Writer", sort_name="Writer, First")
    second = Author.objects.create(name="Second Writer", sort_name="Writer, Second")
    rows = {
        "book_authors-TOTAL_FORMS": "2",
        "book_authors-0-author": str(first.pk),
        "book_authors-1-author": str(second.pk),
    }
    response = admin_client.post("/admin/catalog/book/add/", _book_form(**rows))
    assert response.status_code == 302, response.content.decode()[:3000]
    book = Book.objects.get(title="Admin Book")
    assert [link.author.name for link in book.book_authors.order_by("position")] == [
        "First Writer",
        "Second Writer",
    ]
    assert [link.position for link in book.book_authors.order_by("position")] == [0, 1]

    # Removing the first makes the second the first; a third row goes last.
    links = list(book.book_authors.order_by("position"))
    third = Author.objects.create(name="Third Writer", sort_name="Writer, Third")
    change = {
        "book_authors-TOTAL_FORMS": "3",
        "book_authors-INITIAL_FORMS": "2",
        "book_authors-0-id": str(links[0].pk),
        "book_authors-0-book": str(book.pk),
        "book_authors-0-author": str(first.pk),
        "book_authors-0-DELETE": "on",
        "book_authors-1-id": str(links[1].pk),
        "book_authors-1-book": str(book.pk),
        "book_authors-1-author": str(second.pk),
        "book_authors-2-author": str(third.pk),
    }
    response = admin_client.post(f"/admin/catalog/book/{book.pk}/change/", _book_form(**change))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert [
        (link.author.name, link.position) for link in book.book_authors.order_by("position")
    ] == [
        ("Second Writer", 0),
        ("Third Writer", 1),
    ]
    book.refresh_from_db()
    assert "first writer" not in book.search_text
