"""The server-rendered pages."""

import re

import pytest
from django.test import Client

from catalog.models import CopyStatus
from catalog.tests.factories import BookFactory, CopyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    return Client()


def test_empty_catalog_page_says_what_to_do(client):
    page = client.get("/").content.decode()
    assert "The catalog is empty" in page
    assert "load_demo_catalog" in page


def test_home_lists_books_like_the_tutorial(client):
    BookFactory(
        title="Frankenstein",
        subtitle="or, The Modern Prometheus",
        authors=["Mary Shelley"],
        isbn="9780141439471",
    )
    page = client.get("/").content.decode()
    for text in ("Frankenstein", "or, The Modern Prometheus", "Mary Shelley", "9780141439471"):
        assert text in page


def test_page_is_accessible_and_self_contained(client):
    BookFactory()
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert "<main" in page
    assert "<header" in page
    assert "<footer" in page
    assert '<nav aria-label="Site">' in page
    assert '<label for="q">' in page
    assert 'name="viewport"' in page
    # No CDN: every stylesheet and script is served by Shelfmark itself.
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_search_box_matches_like_the_api(client):
    BookFactory(title="Walden", authors=["Henry David Thoreau"], isbn="9780141439518")
    BookFactory(title="Leaves of Grass", authors=["Walt Whitman"])
    for query in ("thoreau", "978-0-14-143951-8", "0141439513", "WALDEN"):
        page = client.get("/", {"q": query}).content.decode()
        assert "Walden" in page, query
        assert "Leaves of Grass" not in page, query
    page = client.get("/", {"q": "zzzz"}).content.decode()
    assert "No books match" in page


def test_home_paginates_with_next_and_previous_links(client):
    for n in range(30):
        BookFactory(title=f"Volume {n:02d}")
    first = client.get("/").content.decode()
    assert "Volume 00" in first
    assert "Volume 25" not in first
    next_url = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(next_url).content.decode()
    assert "Volume 25" in second
    assert "Volume 00" not in second
    assert 'rel="prev"' in second


def test_home_query_count_is_fixed(client, django_assert_num_queries):
    for n in range(30):
        BookFactory(authors=[f"Writer {n}"], subjects=[f"Topic {n}"])
    # The page, authors, subjects; and the holds waiting, which circulation adds to every book
    # (catalog.extensions).
    with django_assert_num_queries(5):
        client.get("/")


@pytest.mark.parametrize(
    "query", [{"cursor": "garbage"}, {"year_min": "abc"}, {"available": "perhaps"}]
)
def test_bad_parameters_get_a_clear_page_not_a_500(client, query):
    response = client.get("/", query)
    assert 400 <= response.status_code < 500
    assert "could not be understood" in response.content.decode()


def test_book_page_shows_everything_and_copies(client, settings, django_assert_num_queries):
    # The catalog's own part: other apps' includes count their queries in their own tests.
    settings.CATALOG_BOOK_PAGE_INCLUDES = []
    book = BookFactory(
        title="Moby-Dick",
        subtitle="or, The Whale",
        authors=["Herman Melville"],
        isbn="9780142437247",
        publisher="Penguin Classics",
        year=1851,
        language="en",
        pages=720,
        description="A whaling voyage.",
        subjects=["Sea stories"],
    )
    CopyFactory(book=book, barcode="MD-1", call_number="813.3 MEL")
    CopyFactory(book=book, barcode="MD-2", status=CopyStatus.ON_LOAN)
    with django_assert_num_queries(6):  # book, copy counts, authors, subjects, copies; the holds
        page = client.get(f"/books/{book.pk}/").content.decode()
    for text in (
        "Moby-Dick",
        "or, The Whale",
        "Herman Melville",
        "978-0-14-243724-7",
        "Penguin Classics",
        "1851",
        "English (en)",
        "720",
        "A whaling voyage.",
        "Sea stories",
        "MD-1",
        "813.3 MEL",
        "On loan",
    ):
        assert text in page, text
    assert re.search(r"<strong>1</strong> of 2 available", page)


def test_unknown_book_page_is_404(client):
    assert client.get("/books/424242/").status_code == 404
    assert client.get("/books/99999999999999999999999/").status_code == 404


def test_book_page_includes_what_other_apps_add(client, settings, tmp_path):
    (tmp_path / "extra.html").write_text('<p class="extra">Extra for {{ book.title }}</p>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    settings.CATALOG_BOOK_PAGE_INCLUDES = ["extra.html"]
    book = BookFactory(title="Walden")

    page = client.get(f"/books/{book.pk}/").content.decode()

    assert '<p class="extra">Extra for Walden</p>' in page
