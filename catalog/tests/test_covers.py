"""Book covers: the service, the cover view, and covers in the pages and the API."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from PIL import Image

from catalog import services
from catalog.models import Book
from catalog.selectors import cover_url
from catalog.tests.factories import BookFactory
from catalog.views import COVER_CACHE_UNVERSIONED, COVER_CACHE_VERSIONED
from shelfmark.errors import InvalidInput

pytestmark = pytest.mark.django_db


def image(format_: str = "PNG", size: tuple[int, int] = (20, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format_)
    return buffer.getvalue()


def _huge_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_a_cover_is_stored_under_a_name_made_of_its_content(media):
    book = BookFactory()

    book = services.book_cover_set(book=book, content=image())

    assert book.cover.name.startswith(f"covers/{book.pk}-")
    assert book.cover.name.endswith(".png")
    assert (media / book.cover.name).read_bytes() == image()


def test_a_new_cover_is_a_new_url_and_the_old_file_goes(media, django_capture_on_commit_callbacks):
    book = BookFactory()
    first = services.book_cover_set(book=book, content=image()).cover.name
    first_url = cover_url(book.pk, first)

    with django_capture_on_commit_callbacks(execute=True):
        second = services.book_cover_set(book=book, content=image("JPEG")).cover.name

    assert second != first
    assert cover_url(book.pk, second) != first_url
    assert not (media / first).exists()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"<html>hello</html>", "not an image"),
        (image(size=(1, 1)), "placeholder"),
        (image("BMP"), "JPEG, PNG, GIF or WebP"),
        # 10000 x 10000 in a few hundred KB: refused from its header, before Pillow's own limit.
        (_huge_png(), "megapixels"),
    ],
)
def test_what_is_not_a_cover_is_refused(content, fragment):
    book = BookFactory()

    with pytest.raises(InvalidInput, match=fragment) as raised:
        services.book_cover_set(book=book, content=content)

    assert raised.value.field == "cover"
    assert not Book.objects.get(pk=book.pk).cover


def test_clearing_a_cover():
    book = services.book_cover_set(book=BookFactory(), content=image())

    services.book_cover_clear(book=book)

    assert not Book.objects.get(pk=book.pk).cover


# --- The cover view ------------------------------------------------------------------------------


def test_the_cover_view_serves_the_image_with_its_type_and_a_long_cache_when_versioned(client):
    book = services.book_cover_set(book=BookFactory(), content=image("JPEG"))
    url = cover_url(book.pk, book.cover.name)

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == COVER_CACHE_VERSIONED
    assert b"".join(response.streaming_content) == image("JPEG")


def test_without_the_current_version_the_cover_is_cached_briefly(client):
    book = services.book_cover_set(book=BookFactory(), content=image())

    response = client.get(f"/books/{book.pk}/cover?v=old")

    assert response.status_code == 200
    assert response["Cache-Control"] == COVER_CACHE_UNVERSIONED


def test_no_cover_no_book_or_no_file_is_a_404(client, media):
    book = BookFactory()
    assert client.get(f"/books/{book.pk}/cover").status_code == 404
    assert client.get("/books/999999/cover").status_code == 404
    with_cover = services.book_cover_set(book=BookFactory(), content=image())
    (media / with_cover.cover.name).unlink()
    assert client.get(f"/books/{with_cover.pk}/cover").status_code == 404


# --- Pages and the API ---------------------------------------------------------------------------


def test_pages_show_the_cover_lazily_with_alt_text_and_size():
    book = services.book_cover_set(book=BookFactory(title="Emma"), content=image())
    BookFactory(title="No Cover")
    url = cover_url(book.pk, book.cover.name)

    for path in ("/", f"/books/{book.pk}/"):
        page = Client().get(path).content.decode()
        assert f'src="{url}"' in page
        assert 'alt="Cover of Emma"' in page
        assert 'loading="lazy"' in page
        assert "width=" in page
        assert "height=" in page
    assert Client().get("/").content.decode().count("<img") == 1  # none for "No Cover"


def test_the_api_gives_the_covers_absolute_url_or_null(api_client, django_assert_num_queries):
    book = services.book_cover_set(book=BookFactory(title="Emma"), content=image())
    other = BookFactory(title="Zed")

    with django_assert_num_queries(5):  # as without covers: the name is a column of the page
        rows = api_client.get("/api/v1/books/").json()["results"]
    with django_assert_num_queries(5):
        detail = api_client.get(f"/api/v1/books/{book.pk}/").json()

    covers = {row["id"]: row["cover"] for row in rows}
    assert covers[book.pk] == f"http://testserver{cover_url(book.pk, book.cover.name)}"
    assert covers[other.pk] is None
    assert detail["cover"] == covers[book.pk]
