"""GET /api/v1/export/: the catalog as a streamed download, for staff."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.tests.factories import BookFactory, CopyFactory
from interchange import selectors
from interchange.formats import open_catalog_source

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    for number in range(5):
        book = BookFactory(title=f"Book {number}", authors=["Ann Author"], subjects=["Fiction"])
        CopyFactory(book=book, barcode=f"B-{number}")


def download(client, format: str) -> tuple[Any, bytes]:
    response = client.get(f"/api/v1/export/?format={format}")
    return response, b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("format", "content_type", "extension"),
    [
        ("csv", "text/csv; charset=utf-8", "csv"),
        ("json", "application/json", "json"),
        ("marcxml", "application/marcxml+xml", "xml"),
    ],
)
def test_staff_download_the_catalog_in_each_format(
    staff_client, catalog, format, content_type, extension
):
    response, body = download(staff_client, format)

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith('attachment; filename="shelfmark-catalog-')
    assert response["Content-Disposition"].endswith(f'.{extension}"')
    source = open_catalog_source(io.BytesIO(body), format=format)
    titles = [record.title for record in source.records()]
    assert titles == [f"Book {number}" for number in range(5)]


def test_an_unknown_or_missing_format_is_a_400_in_the_error_shape(staff_client):
    response = staff_client.get("/api/v1/export/?format=xlsx")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"format": ["Choose one of: csv, json, marcxml."]}
    assert staff_client.get("/api/v1/export/").status_code == 400


def test_patrons_and_visitors_may_not_download_it(client, patron_client):
    assert client.get("/api/v1/export/?format=csv").status_code in (401, 403)
    assert patron_client.get("/api/v1/export/?format=csv").status_code == 403


def test_the_download_reads_in_chunks_of_a_fixed_number_of_queries(
    staff_client, catalog, monkeypatch
):
    monkeypatch.setattr(selectors, "CHUNK_SIZE", 2)
    response = staff_client.get("/api/v1/export/?format=json")
    with CaptureQueriesContext(connection) as queries:
        chunks = list(response.streaming_content)

    assert len(chunks) >= 1
    # Three chunks of books (2, 2, 1) and an empty read: four queries a chunk, one to end.
    assert len(queries) == 3 * 4 + 1
