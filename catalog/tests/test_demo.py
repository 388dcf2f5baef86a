"""The demo catalog file and its loader."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from stdnum import isbn as stdnum_isbn

from catalog.demo import DEMO_CATALOG, demo_catalog_load, demo_entries
from catalog.models import Author, Book, Copy, Subject
from catalog.services.search_text import search_text_for


def test_demo_file_is_a_realistic_catalog_with_valid_isbns():
    entries = demo_entries()
    assert len(entries) >= 200
    isbns = [entry["isbn"] for entry in entries if entry["isbn"]]
    assert len(isbns) == len(set(isbns))
    for isbn in isbns:
        assert len(isbn) == 13
        assert stdnum_isbn.is_valid(isbn), isbn
    authors = {author["name"] for entry in entries for author in entry["authors"]}
    assert len(authors) >= 100
    assert all(entry["subjects"] for entry in entries)
    assert any(len(entry["authors"]) > 1 for entry in entries)


@pytest.mark.django_db
def test_load_is_idempotent_and_complete(tmp_path):
    entries = demo_entries()[:12]
    sample = tmp_path / "sample.json"
    sample.write_text(json.dumps({"version": 1, "books": entries}))

    first = demo_catalog_load(sample)
    assert first.books_created == len(entries)
    assert first.copies_created == sum(entry["copies"] for entry in entries)
    counts = (
        Book.objects.count(),
        Author.objects.count(),
        Subject.objects.count(),
        Copy.objects.count(),
    )

    second = demo_catalog_load(sample)
    assert (second.books_created, second.copies_created) == (0, 0)
    assert second.books_present == len(entries)
    assert counts == (
        Book.objects.count(),
        Author.objects.count(),
        Subject.objects.count(),
        Copy.objects.count(),
    )
    book = Book.objects.get(title=entries[0]["title"], isbn=entries[0]["isbn"] or None)
    assert [a.name for a in book.authors.order_by("book_authors__position")] == [
        a["name"] for a in entries[0]["authors"]
    ]
    first_author = book.authors.first()
    assert first_author is not None
    assert first_author.sort_name == entries[0]["authors"][0]["sort_name"]
    # Loaded through the bulk import, found as a book made through the services is.
    for book in Book.objects.prefetch_related("book_authors__author", "subjects"):
        authors = [link.author for link in book.book_authors.all()]
        assert book.search_text == search_text_for(book, authors), book.title
    assert set(Copy.objects.values_list("location", flat=True)) == {"Main shelves"}


# The whole catalog: on PostgreSQL the Docker smoke test loads it (twice, in
# compose's web container), so with both databases this runs in the SQLite pass only.
@pytest.mark.any_database
@pytest.mark.django_db
def test_command_loads_the_shipped_catalog():
    out = StringIO()
    call_command("load_demo_catalog", stdout=out)
    assert Book.objects.count() == len(demo_entries(DEMO_CATALOG))
    assert "books added" in out.getvalue()
