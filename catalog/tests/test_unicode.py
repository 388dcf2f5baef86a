"""Unicode that looks the same is the same, through the API, the database and the migration
that brought existing rows into composed form (catalog/migrations/0005_names_in_nfc.py)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction

from catalog.models import Author, Book, BookAuthor, Subject
from catalog.tests.factories import BookFactory

pytestmark = pytest.mark.django_db

NFD_BRONTE = "Charlotte Bronte\u0308"
NFC_BRONTE = "Charlotte Brontë"
migration = importlib.import_module("catalog.migrations.0005_names_in_nfc")


def test_a_decomposed_spelling_is_the_same_author(staff_client):
    first = staff_client.post("/api/v1/authors/", {"name": NFC_BRONTE})
    second = staff_client.post("/api/v1/authors/", {"name": NFD_BRONTE})
    book = staff_client.post("/api/v1/books/", {"title": "Jane Eyre", "authors": [NFD_BRONTE]})

    assert first.status_code == 201
    assert second.status_code == 409
    assert book.json()["authors"] == [{"id": first.json()["id"], "name": NFC_BRONTE}]
    assert Author.objects.count() == 1


def test_filters_and_search_find_either_spelling(api_client):
    BookFactory(title="Villette", authors=[NFC_BRONTE])
    # (Upper-case ASCII only: SQLite's LOWER() folds nothing else.)
    for author in (NFD_BRONTE, "CHARLOTTE Brontë"):
        titles = [
            b["title"]
            for b in api_client.get("/api/v1/books/", {"author": author}).json()["results"]
        ]
        assert titles == ["Villette"]
    found = api_client.get("/api/v1/books/", {"q": "bront\u200be"}).json()["results"]
    assert [b["title"] for b in found] == ["Villette"]


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/books/", {"title": "\u200b\u200b"}, "title"),
        ("/api/v1/authors/", {"name": "\u2060"}, "name"),
        ("/api/v1/copies/", {"barcode": "\u200b", "book": 1}, "barcode"),
    ],
)
def test_invisible_titles_names_and_barcodes_are_refused(staff_client, url, body, field):
    response = staff_client.post(url, body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


@pytest.mark.postgres
def test_postgresql_refuses_a_decomposed_name_written_around_the_services():
    with pytest.raises(IntegrityError, match="author_name_nfc"), transaction.atomic():
        Author.objects.create(name=NFD_BRONTE, sort_name="x")


def test_the_migration_merges_names_that_normalize_alike():
    if connection.vendor == "postgresql":  # let the old spellings in, as before the migration
        with connection.cursor() as cursor:
            for table, name in migration.CHECKS:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    composed = Author.objects.create(name=NFC_BRONTE, sort_name="Brontë, Charlotte")
    decomposed = Author.objects.create(name=NFD_BRONTE, sort_name="x")
    lonely = Author.objects.create(name="Emile Zola\u0300", sort_name="x")
    both = BookFactory(title="Both", authors=[composed.pk])
    BookAuthor.objects.create(book=both, author=decomposed, position=1)
    only_nfd = BookFactory(title="Only NFD")
    BookAuthor.objects.create(book=only_nfd, author=decomposed, position=0)
    Subject.objects.create(name="Poe\u0301sie")
    Book.objects.filter(pk=only_nfd.pk).update(title="Ange\u0301lique")

    # What RunPython hands the function, without a schema editor's own transaction handling.
    editor = SimpleNamespace(connection=connection, execute=connection.cursor().execute)
    migration.forwards(apps, editor)

    assert not Author.objects.filter(pk=decomposed.pk).exists()
    assert list(both.authors.all()) == [composed]
    assert list(only_nfd.authors.all()) == [composed]
    lonely.refresh_from_db()
    assert lonely.name == "Emile Zolà"
    assert Subject.objects.get().name == "Poésie"
    assert Book.objects.get(pk=only_nfd.pk).title == "Angélique"
