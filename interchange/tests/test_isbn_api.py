from __future__ import annotations

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from catalog.tests.factories import BookFactory, CopyFactory
from interchange.tests.fakes import BOOKS_API, ISBN

pytestmark = pytest.mark.django_db
URL = "/api/v1/isbn/{}/"


def test_staff_get_open_librarys_details(staff_client, open_library):
    response = staff_client.get(URL.format("0-14-143951-3"))

    assert response.status_code == 200
    body = response.json()
    assert body["isbn"] == ISBN
    assert body["source"] == "openlibrary"
    assert body["book"] is None
    assert body["title"] == "Pride and Prejudice"
    assert body["authors"] == ["Jane Austen"]
    assert body["language"] == "en"
    assert body["cover_url"] == "https://covers.openlibrary.org/b/id/8739161-L.jpg"
    assert body["copies"] == []
    assert body["reason"] == ""


def test_a_book_in_the_catalog_comes_with_its_id_and_copies(staff_client, open_library):
    book = BookFactory(isbn=ISBN)
    copy = CopyFactory(book=book)

    body = staff_client.get(URL.format(ISBN)).json()

    assert body["source"] == "catalog"
    assert body["book"] == book.pk
    assert body["book_url"] == f"http://testserver/api/v1/books/{book.pk}/"
    assert [row["url"] for row in body["copies"]] == [f"http://testserver/api/v1/copies/{copy.pk}/"]


def test_open_library_down_is_a_200_with_source_none_and_a_message(staff_client, open_library):
    open_library.routes[BOOKS_API] = [httpx.ConnectError]

    response = staff_client.get(URL.format(ISBN))

    assert response.status_code == 200
    assert response.json()["source"] == "none"
    assert response.json()["reason"] == "unavailable"
    assert "by hand" in response.json()["message"]


def test_a_malformed_isbn_is_a_400_on_the_isbn_field(staff_client):
    response = staff_client.get(URL.format("12345"))

    assert response.status_code == 400
    assert "isbn" in response.json()["error"]["fields"]


def test_patrons_get_403_and_anonymous_401(patron_client, api_client):
    assert patron_client.get(URL.format(ISBN)).status_code == 403
    assert api_client.get(URL.format(ISBN)).status_code == 401


def test_staff_without_the_add_book_permission_get_403(api_client):
    user = get_user_model().objects.create_user("viewer", password="x-long-pass", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename="view_book"))
    api_client.force_authenticate(user)

    response = api_client.get(URL.format(ISBN))

    assert response.status_code == 403
    assert "catalog.add_book" in response.json()["error"]["message"]


def test_the_schema_documents_the_lookup_with_examples(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    operation = schema["paths"]["/api/v1/isbn/{isbn}/"]["get"]
    assert operation["tags"] == ["isbn"]
    assert "examples" in operation["responses"]["200"]["content"]["application/json"]
    assert "400" in operation["responses"]
