"""catalog.extensions: another app adds to a book's representation without the catalog
importing it (circulation will add hold counts and per-reader flags this way)."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from catalog.extensions import BookExtension, register_book_extension, unregister_book_extension
from catalog.models import Copy
from catalog.serializers import BookSerializer
from catalog.tests.factories import BookFactory, CopyFactory

pytestmark = pytest.mark.django_db


def add_reader_fields(rows, *, viewer):
    """One query for the whole page, whatever its size, and a flag that depends on the reader."""
    ids = [row["id"] for row in rows]
    barcodes: dict[int, list[str]] = {}
    for book_id, barcode in Copy.objects.filter(book_id__in=ids).values_list("book_id", "barcode"):
        barcodes.setdefault(book_id, []).append(barcode)
    for row in rows:
        row["first_barcode"] = min(barcodes.get(row["id"], [""]))
        row["seen_by_staff"] = bool(viewer and viewer.is_staff)


@pytest.fixture
def extension():
    register_book_extension(
        BookExtension(
            name="test-reader",
            keys=("first_barcode", "seen_by_staff"),
            add=add_reader_fields,
            schema_fields=lambda: {
                "first_barcode": serializers.CharField(),
                "seen_by_staff": serializers.BooleanField(),
            },
        )
    )
    yield
    unregister_book_extension("test-reader")


@pytest.fixture
def books():
    for n in range(5):
        CopyFactory(book=BookFactory(title=f"Book {n}"), barcode=f"B{n}-2")
        CopyFactory(book=Copy.objects.get(barcode=f"B{n}-2").book, barcode=f"B{n}-1")


def test_an_extension_adds_its_keys_to_lists_and_details(
    extension, books, api_client, staff_client, django_assert_num_queries
):
    # The catalog's three, circulation's (holds waiting) and this extension's one.
    with django_assert_num_queries(6):
        rows = api_client.get("/api/v1/books/").json()["results"]
    assert [row["first_barcode"] for row in rows] == [f"B{n}-1" for n in range(5)]
    assert not any(row["seen_by_staff"] for row in rows)
    assert set(rows[0]) == set(BookSerializer().fields)  # documented like every other field

    detail = staff_client.get(rows[0]["url"]).json()
    assert (detail["first_barcode"], detail["seen_by_staff"]) == ("B0-1", True)


def test_the_schema_documents_what_extensions_add(extension, client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    book = schema["components"]["schemas"]["Book"]["properties"]
    assert book["first_barcode"]["type"] == "string"
    assert book["seen_by_staff"]["type"] == "boolean"


def test_without_extensions_a_book_has_only_the_catalogs_fields(books, api_client):
    row = api_client.get("/api/v1/books/").json()["results"][0]
    assert "first_barcode" not in row
    assert "first_barcode" not in BookSerializer().fields


def test_the_website_reads_books_through_the_extensions_too(extension, books, client):
    response = client.get("/")
    assert response.status_code == 200
    assert [book["first_barcode"] for book in response.context["books"]][:1] == ["B0-1"]
