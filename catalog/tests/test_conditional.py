"""Conditional GET (shelfmark.conditional) on the book detail and list in the API and on the
book's web page: a visitor who has the page as it is gets a 304 after the page's own query,
and any change that shows on it gives a new ETag."""

from __future__ import annotations

import pytest
from django.contrib.messages.storage.cookie import CookieStorage

from catalog import services
from catalog.models import CopyStatus
from catalog.tests.factories import BookFactory, CopyFactory

# Each change in its own transaction, as in production: PostgreSQL's triggers leave alone the
# books a transaction wrote already (catalog.versions), which in one test transaction is all.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def book():
    book = BookFactory(title="Dracula", authors=["Bram Stoker"], subjects=["Horror"])
    CopyFactory(book=book, barcode="D-1")
    BookFactory(title="Emma")
    return book


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/api/v1/books/{id}/", 1),
        ("/api/v1/books/", 1),
        ("/books/{id}/", 1),
        # A search asks its vocabulary about a rare word (spelling) before the page's query.
        ("/api/v1/books/?q=dracula", 3),
    ],
)
def test_a_visitor_revalidates_with_the_pages_own_query(
    client, book, url, queries, django_assert_num_queries
):
    url = url.format(id=book.pk)
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    assert "no-cache" in first.headers["Cache-Control"]
    with django_assert_num_queries(queries):
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    assert again.content == b""
    assert client.get(url, HTTP_IF_NONE_MATCH='W/"something else"').status_code == 200


def test_preconditions_follow_rfc_9110(client, book):
    """Django's evaluation (get_conditional_response): ``*`` matches any page that has an ETag,
    and an If-Match the page does not carry is a 412."""
    url = f"/api/v1/books/{book.pk}/"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH="*").status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH=f'"other", {etag}').status_code == 304
    assert client.get(url, HTTP_IF_MATCH='"other"').status_code == 412
    assert client.get(url, HTTP_IF_MATCH="*").status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        lambda book: services.book_update(book=book, publisher="Constable"),
        lambda book: services.copy_update(copy=book.copies.get(), status=CopyStatus.MISSING),
        lambda book: CopyFactory(book=book, barcode="D-2"),
        lambda book: services.author_update(author=book.authors.get(), name="Abraham Stoker"),
        lambda book: services.subject_update(subject=book.subjects.get(), name="Gothic"),
    ],
    ids=["field", "copy status", "new copy", "author renamed", "subject renamed"],
)
@pytest.mark.parametrize("url", ["/api/v1/books/{id}/", "/api/v1/books/", "/books/{id}/"])
def test_a_change_that_shows_is_a_new_page(client, book, url, change):
    url = url.format(id=book.pk)
    etag = client.get(url).headers["ETag"]
    change(book)
    answer = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert answer.status_code == 200
    assert answer.headers["ETag"] != etag


def test_a_book_added_or_deleted_changes_the_list(client, book):
    etag = client.get("/api/v1/books/").headers["ETag"]
    added = BookFactory(title="Carmilla")
    assert client.get("/api/v1/books/", HTTP_IF_NONE_MATCH=etag).status_code == 200
    etag = client.get("/api/v1/books/").headers["ETag"]
    services.book_delete(book=added)
    assert client.get("/api/v1/books/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_each_page_and_format_has_its_own_etag(client, book):
    tags = {
        client.get("/api/v1/books/").headers["ETag"],
        client.get("/api/v1/books/", {"page_size": 1}).headers["ETag"],
        client.get("/api/v1/books/", {"ordering": "year"}).headers["ETag"],
        client.get(f"/api/v1/books/{book.pk}/").headers["ETag"],
        client.get(f"/api/v1/books/{book.pk}/", HTTP_ACCEPT="text/html").headers["ETag"],
        client.get(f"/books/{book.pk}/").headers["ETag"],
    }
    assert len(tags) == 6


def test_signed_in_readers_and_facets_get_full_answers(client, api_client, staff_client, book):
    # A signed-in reader's page carries their own state; facets count beyond the page.
    assert "ETag" not in staff_client.get(f"/api/v1/books/{book.pk}/").headers
    assert "ETag" not in staff_client.get("/api/v1/books/").headers
    assert "ETag" not in client.get("/api/v1/books/", {"facets": "subject"}).headers
    etag = api_client.get(f"/api/v1/books/{book.pk}/").headers["ETag"]
    assert staff_client.get(f"/api/v1/books/{book.pk}/", HTTP_IF_NONE_MATCH=etag).status_code == 200


def test_a_page_with_a_message_to_show_is_rendered(client, book, rf):
    url = f"/books/{book.pk}/"
    etag = client.get(url).headers["ETag"]
    # A message waiting in the cookie (say "You have signed out"): the page shows it.
    request = rf.get("/")
    storage = CookieStorage(request)
    storage.add(20, "You have signed out.")
    response = client.get("/")  # any response to carry the cookie
    storage.update(response)
    client.cookies.update(response.cookies)
    answer = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert answer.status_code == 200
    assert "You have signed out." in answer.content.decode()


def test_a_book_gone_is_404_whatever_the_client_has(client, book):
    url = f"/api/v1/books/{book.pk}/"
    etag = client.get(url).headers["ETag"]
    book.copies.all().delete()
    services.book_delete(book=book)
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 404
    assert client.get(f"/books/{book.pk}/", HTTP_IF_NONE_MATCH=etag).status_code == 404
