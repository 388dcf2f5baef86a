"""The guards on every request to Open Library: allowed hosts for each redirect, one deadline
per call, covers limited in pixels. Real local servers on 127.0.0.1 where sockets matter (a
redirect to another server, an answer that drips); never the network."""

from __future__ import annotations

import time

import httpx
import pytest

from catalog.models import Book
from interchange.models import IsbnLookup
from interchange.openlibrary import OpenLibraryClient, Outcome, fetch_cover, lookup
from interchange.openlibrary import client as client_module
from interchange.openlibrary.client import MAX_REDIRECTS, origin_allows
from interchange.services.isbn import COVER_NOT_STORED, book_add_with_copy
from interchange.tests.fakes import (
    BOOKS_API,
    COVER,
    EDITION,
    ISBN,
    WORK,
    Drip,
    FakeOpenLibrary,
    LocalServer,
    image_answer,
    jpeg,
    png_declaring,
    recorded,
    redirect_to,
)

pytestmark = pytest.mark.django_db
COVER_URL = f"https://covers.openlibrary.org{COVER}"


class NoWait:
    """A rate limiter that never waits (conftest's interval of 0 does the same for the
    default one)."""

    def acquire(self, *, deadline: float) -> bool:
        return True


def real_client() -> OpenLibraryClient:
    """A client on a real HTTP transport (the tests' default refuses every request)."""
    return OpenLibraryClient(transport=httpx.HTTPTransport(), limiter=NoWait())


@pytest.fixture
def real_network(monkeypatch):
    """The code's own client (built where the service builds it) on a real HTTP transport, for
    the local servers."""
    monkeypatch.setattr(client_module, "TRANSPORT", httpx.HTTPTransport())


def moved(location: str, status: int = 302) -> httpx.Response:
    return httpx.Response(status, headers={"Location": location})


# --- Redirects ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:8000/admin/",  # the attack: the server's own ports
        "http://localhost/",
        "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "http://covers.openlibrary.org/b/id/1-L.jpg",  # down to http
        "https://covers.openlibrary.org:8443/b/id/1-L.jpg",  # another port
        "https://archive.org.attacker.example/x.jpg",
        "https://evilarchive.org/x.jpg",
        "ftp://covers.openlibrary.org/x.jpg",
    ],
)
def test_a_cover_redirected_off_open_librarys_hosts_is_not_followed(location):
    fake = FakeOpenLibrary({COVER: [moved(location)], "/admin/": [httpx.Response(200)]})

    download = fetch_cover(COVER_URL, client=OpenLibraryClient(transport=fake.transport()))

    assert download.content is None
    assert [str(request.url.copy_with(query=None)) for request in fake.requests] == [COVER_URL]


def test_a_cover_redirected_to_the_internet_archive_is_fetched_from_there():
    # What covers.openlibrary.org does: its images live on the Internet Archive's servers.
    archive = "https://ia800100.us.archive.org/view_archive.php?archive=/x.zip&file=1-L.jpg"
    fake = FakeOpenLibrary(
        {COVER: [moved(archive)], "/view_archive.php": [httpx.Response(200, content=jpeg())]}
    )

    download = fetch_cover(COVER_URL, client=OpenLibraryClient(transport=fake.transport()))

    assert download.content == jpeg()
    assert [request.url.host for request in fake.requests] == [
        "covers.openlibrary.org",
        "ia800100.us.archive.org",
    ]
    assert fake.requests[1].url.params["file"] == "1-L.jpg"  # the Location as given


def test_a_merged_edition_redirected_within_open_library_is_followed():
    fake = FakeOpenLibrary.found()
    fake.routes["/books/OL1M.json"] = [recorded("edition_OL7353617M.json")]
    fake.routes[EDITION] = [moved("/books/OL1M.json", 301)]

    result = lookup(ISBN, client=OpenLibraryClient(transport=fake.transport()))

    assert result.metadata.language == "en"
    assert fake.paths() == [BOOKS_API, EDITION, "/books/OL1M.json", WORK]


def test_a_lookup_redirected_elsewhere_is_unavailable_without_asking_there():
    fake = FakeOpenLibrary({BOOKS_API: [moved("http://10.0.0.5/api/books")]})

    result = lookup(ISBN, client=OpenLibraryClient(transport=fake.transport()))

    assert result.outcome is Outcome.UNAVAILABLE
    assert result.reason == "Open Library could not be reached."
    assert len(fake.requests) == 1  # refused, not retried


def test_a_redirect_loop_ends_after_a_few_hops():
    fake = FakeOpenLibrary({COVER: [moved(COVER_URL)]})

    download = fetch_cover(COVER_URL, client=OpenLibraryClient(transport=fake.transport()))

    assert download.content is None
    assert len(fake.requests) == MAX_REDIRECTS + 1


def test_a_redirect_to_a_malformed_address_is_a_failure_not_an_error():
    fake = FakeOpenLibrary({COVER: [moved("http://[::1")]})

    download = fetch_cover(COVER_URL, client=OpenLibraryClient(transport=fake.transport()))

    assert download.content is None


def test_a_real_redirect_to_another_local_server_never_reaches_it(settings):
    target = LocalServer(image_answer(jpeg()))
    covers = LocalServer(redirect_to(f"{target.url}/secret"))
    with target, covers:
        settings.OPENLIBRARY_COVERS_URL = covers.url  # the redirecting server is allowed

        download = fetch_cover(f"{covers.url}/b/id/1-L.jpg", client=real_client())

    assert download.content is None
    assert covers.paths == ["/b/id/1-L.jpg?default=false"]
    assert target.paths == []  # never fetched


def test_a_real_redirect_within_the_allowed_server_is_followed(settings):
    def handle(request):
        if request.path.startswith("/b/"):
            redirect_to("/image.jpg")(request)
        else:
            image_answer(jpeg())(request)

    with LocalServer(handle) as covers:
        settings.OPENLIBRARY_COVERS_URL = covers.url

        download = fetch_cover(f"{covers.url}/b/id/1-L.jpg", client=real_client())

    assert download.content == jpeg()
    assert covers.paths == ["/b/id/1-L.jpg?default=false", "/image.jpg"]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://covers.openlibrary.org/b/id/1-L.jpg", True),
        ("https://COVERS.openlibrary.org:443/b/id/1-L.jpg", True),
        ("https://openlibrary.org/api/books", True),
        ("https://ia800100.us.archive.org/x.jpg", True),
        ("https://archive.org/x.jpg", False),  # *.archive.org: the servers below it
        ("https://user@covers.openlibrary.org/", False),
        ("https://covers.openlibrary.org.attacker.example/", False),
        ("http://openlibrary.org/api/books", False),
        ("https://127.0.0.1/", False),
    ],
)
def test_allowed_origins(url, allowed):
    client = OpenLibraryClient()

    assert client.allows(httpx.URL(url)) is allowed


def test_an_origin_with_a_port_allows_that_port_only():
    assert origin_allows("http://127.0.0.1:8080", httpx.URL("http://127.0.0.1:8080/x"))
    assert not origin_allows("http://127.0.0.1:8080", httpx.URL("http://127.0.0.1:8081/x"))
    assert not origin_allows("http://127.0.0.1:8080", httpx.URL("http://127.0.0.1/x"))


# --- One deadline per call ------------------------------------------------------------------------


def test_a_dripping_cover_is_given_up_at_the_covers_deadline(settings, real_network, media):
    settings.OPENLIBRARY_COVER_SECONDS = 1.0
    drip = Drip(every=0.2)
    with LocalServer(drip) as covers:
        settings.OPENLIBRARY_COVERS_URL = covers.url

        started = time.monotonic()
        added = book_add_with_copy(
            book={"title": "Pride and Prejudice", "isbn": ISBN},
            cover_url=f"{covers.url}/b/id/1-L.jpg",
        )
        waited = time.monotonic() - started
        time.sleep(0.6)  # the drip notices the hang-up at its next byte

    assert waited < 1.0 + 0.8, waited
    assert added.book.pk
    assert not added.book.cover
    assert added.cover_problem == COVER_NOT_STORED  # the message every failure has
    # The connection was closed, not left reading the drip in a helper thread.
    assert drip.hung_up_at is not None
    assert drip.hung_up_at - started < 1.0 + 0.8


def test_a_dripping_lookup_is_given_up_at_the_callers_deadline(settings, real_network):
    drip = Drip(every=0.2)
    with LocalServer(drip) as server:
        settings.OPENLIBRARY_BASE_URL = server.url

        started = time.monotonic()
        result = lookup(ISBN, within=1.0)
        waited = time.monotonic() - started

    assert waited < 1.0 + 0.8, waited
    assert result.outcome is Outcome.UNAVAILABLE
    assert result.reason == "Open Library did not answer in time."
    assert not IsbnLookup.objects.exists()


def test_the_request_thread_stops_reading_at_the_deadline_by_itself():
    """A stream that closing the client cannot interrupt (a mock transport's): the helper
    thread checks the deadline between chunks and stops, instead of reading on unseen."""
    read_at = []

    def slow_stream():
        for _ in range(30):  # 3 s at most
            read_at.append(time.monotonic())
            yield b"\xff"
            time.sleep(0.1)

    def answer(request):
        return httpx.Response(200, content=slow_stream())

    client = OpenLibraryClient(transport=httpx.MockTransport(answer), limiter=NoWait())

    download = fetch_cover(COVER_URL, within=0.5, client=client)
    returned = time.monotonic()
    time.sleep(1.0)

    assert download.content is None
    assert max(read_at) < returned + 0.3, "the helper thread read on after the deadline"


def test_the_defaults_end_every_call_before_the_web_worker_is_killed(settings):
    # docker/gunicorn.conf.py kills a worker whose request takes 30 s: a 500 for the person.
    assert settings.OPENLIBRARY_TOTAL_SECONDS < 30
    assert settings.OPENLIBRARY_COVER_SECONDS < 30
    assert settings.OPENLIBRARY_PAGE_SECONDS + settings.OPENLIBRARY_COVER_SECONDS < 30


# --- Pixels ---------------------------------------------------------------------------------------


def test_a_small_png_declaring_ten_thousand_pixels_square_is_refused(media):
    png = png_declaring(10_000, 10_000)
    assert len(png) < 290 * 1024  # small in bytes: only its pixels give it away
    fake = FakeOpenLibrary({COVER: [httpx.Response(200, content=png)]})

    download = fetch_cover(COVER_URL, client=OpenLibraryClient(transport=fake.transport()))

    assert download.content is None


def test_a_cover_over_the_pixel_limit_is_refused_below_pillows_own_limit():
    # 64 megapixels: over the setting's 40, under the 89 that make Pillow warn.
    fake = FakeOpenLibrary({COVER: [httpx.Response(200, content=png_declaring(8_000, 8_000))]})

    download = fetch_cover(COVER_URL, client=OpenLibraryClient(transport=fake.transport()))

    assert download.content is None
    assert "8000x8000" in download.reason


def test_the_pixel_limit_is_the_setting(settings):
    fake = FakeOpenLibrary({COVER: [httpx.Response(200, content=jpeg(20, 30))]})
    client = OpenLibraryClient(transport=fake.transport())

    settings.OPENLIBRARY_COVER_MAX_PIXELS = 20 * 30 - 1
    assert fetch_cover(COVER_URL, client=client).content is None

    settings.OPENLIBRARY_COVER_MAX_PIXELS = 20 * 30
    assert fetch_cover(COVER_URL, client=client).content == jpeg(20, 30)


def test_pillows_decompression_bomb_warning_is_a_refusal_too(settings):
    settings.OPENLIBRARY_COVER_MAX_PIXELS = 10**12  # only Pillow's own limit is left
    fake = FakeOpenLibrary({COVER: [httpx.Response(200, content=png_declaring(10_000, 10_000))]})

    download = fetch_cover(COVER_URL, client=OpenLibraryClient(transport=fake.transport()))

    assert download.content is None
    assert "decompression bomb" in download.reason


# --- One message for a URL a person gave ----------------------------------------------------------


@pytest.mark.parametrize(
    ("cover_url", "answers"),
    [
        ("http://127.0.0.1:5432/", []),  # not Open Library's
        ("not a url at all", []),
        (COVER_URL, [httpx.ConnectError]),  # could not be reached
        (COVER_URL, [httpx.Response(404)]),  # no cover
        (COVER_URL, [httpx.Response(200, content=b"<html>not an image</html>")]),
        (COVER_URL, [httpx.Response(200, content=b"")]),  # empty
        (COVER_URL, [httpx.Response(200, content=jpeg(1, 1))]),  # a placeholder pixel
        (COVER_URL, [moved("http://127.0.0.1:22/")]),  # sent elsewhere
        (COVER_URL, [httpx.Response(200, content=png_declaring(10_000, 10_000))]),
    ],
)
def test_every_cover_failure_tells_the_person_the_same(monkeypatch, media, cover_url, answers):
    fake = FakeOpenLibrary({COVER: answers} if answers else {})
    monkeypatch.setattr(client_module, "TRANSPORT", fake.transport())

    added = book_add_with_copy(book={"title": "Emma"}, cover_url=cover_url)

    assert added.cover_problem == COVER_NOT_STORED
    assert not Book.objects.get().cover
