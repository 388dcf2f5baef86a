"""The Open Library client against a recorded Open Library (never the network)."""

from __future__ import annotations

import datetime
import itertools
import threading
import time

import httpx
import pytest
from django.db import connection
from django.utils import timezone

from interchange.models import IsbnLookup, LookupStatus, RequestSlot
from interchange.openlibrary import OpenLibraryClient, Outcome, fetch_cover, lookup
from interchange.openlibrary.client import MAX_ATTEMPTS, parse_retry_after
from interchange.openlibrary.pacing import CacheRateLimiter, DatabaseRateLimiter
from interchange.tests.fakes import (
    BOOKS_API,
    COVER,
    EDITION,
    ISBN,
    WORK,
    FakeOpenLibrary,
    jpeg,
    recorded,
)

pytestmark = pytest.mark.django_db


class FakeClock:
    """Time that passes only when the client sleeps."""

    def __init__(self, now: float = 1_000_000.0):
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def client_for(fake: FakeOpenLibrary, clock: FakeClock | None = None) -> OpenLibraryClient:
    clock = clock or FakeClock()
    return OpenLibraryClient(transport=fake.transport(), clock=clock, sleep=clock.sleep)


# --- Answers -------------------------------------------------------------------------------------


def test_a_found_isbn_has_the_metadata_of_the_books_api_the_edition_and_the_work(settings):
    settings.OPENLIBRARY_CONTACT_EMAIL = "desk@library.example.org"
    fake = FakeOpenLibrary.found()

    result = lookup(ISBN, client=client_for(fake))

    assert result.outcome is Outcome.FOUND
    assert result.reason == ""
    metadata = result.metadata
    assert metadata.title == "Pride and Prejudice"
    assert metadata.subtitle == "A Novel"
    assert metadata.authors == ("Jane Austen",)
    assert metadata.publisher == "Penguin Books"
    assert metadata.year == 2003
    assert metadata.language == "en"  # /languages/eng -> ISO 639-1
    assert metadata.pages == 480
    assert metadata.subjects == ("Courtship", "England -- Fiction")  # once each
    assert metadata.description == "Elizabeth Bennet meets the proud Mr Darcy."  # the work's
    assert metadata.cover_url == "https://covers.openlibrary.org/b/id/8739161-L.jpg"
    assert fake.paths() == [BOOKS_API, EDITION, WORK]
    books_api = fake.requests[0]
    assert books_api.url.params["bibkeys"] == f"ISBN:{ISBN}"
    assert books_api.url.params["jscmd"] == "data"
    assert "desk@library.example.org" in books_api.headers["User-Agent"]
    assert books_api.headers["User-Agent"].startswith("Shelfmark/")


def test_the_user_agent_setting_replaces_the_whole_header(settings):
    settings.OPENLIBRARY_USER_AGENT = "OurLibrary/2 (ops@example.org)"
    fake = FakeOpenLibrary.found()

    lookup(ISBN, client=client_for(fake))

    assert fake.requests[0].headers["User-Agent"] == "OurLibrary/2 (ops@example.org)"


def test_an_edition_with_a_description_needs_no_work():
    fake = FakeOpenLibrary.found()
    edition = httpx.Response(200, json={"key": "/books/OL7353617M", "description": "Own text."})
    fake.routes[EDITION] = [edition]

    result = lookup(ISBN, client=client_for(fake))

    assert result.metadata.description == "Own text."
    assert WORK not in fake.paths()


def test_an_unknown_isbn_is_not_found():
    fake = FakeOpenLibrary({BOOKS_API: [recorded("books_api_empty.json")]})

    result = lookup(ISBN, client=client_for(fake))

    assert result.outcome is Outcome.NOT_FOUND
    assert result.metadata is None
    assert fake.paths() == [BOOKS_API]


# --- Retries -----------------------------------------------------------------------------------


def test_429_is_retried_after_the_time_retry_after_asks_for(settings):
    settings.OPENLIBRARY_BACKOFF_SECONDS = 1
    fake = FakeOpenLibrary.found()
    fake.routes[BOOKS_API] = [
        recorded("error_500.html", 429, **{"Retry-After": "7"}),
        recorded("books_api_pride.json"),
    ]
    clock = FakeClock()

    result = lookup(ISBN, client=client_for(fake, clock))

    assert result.outcome is Outcome.FOUND
    assert clock.sleeps == [7]  # Retry-After, longer than the first backoff (1 s)
    assert fake.paths() == [BOOKS_API, BOOKS_API, EDITION, WORK]


def test_500_then_success_backs_off_exponentially(settings):
    settings.OPENLIBRARY_BACKOFF_SECONDS = 0.5
    fake = FakeOpenLibrary.found()
    fake.routes[BOOKS_API] = [
        recorded("error_500.html", 500),
        recorded("error_500.html", 503),
        recorded("books_api_pride.json"),
    ]
    clock = FakeClock()

    result = lookup(ISBN, client=client_for(fake, clock))

    assert result.outcome is Outcome.FOUND
    assert clock.sleeps == [0.5, 1.0]


def test_a_server_that_keeps_failing_is_unavailable_after_a_bounded_number_of_tries(settings):
    settings.OPENLIBRARY_BACKOFF_SECONDS = 1
    fake = FakeOpenLibrary({BOOKS_API: [recorded("error_500.html", 502)]})
    clock = FakeClock()

    result = lookup(ISBN, client=client_for(fake, clock))

    assert result.outcome is Outcome.UNAVAILABLE
    assert "502" in result.reason
    assert len(fake.requests) == MAX_ATTEMPTS
    assert clock.sleeps == [1, 2, 4]
    assert not IsbnLookup.objects.exists()  # errors are not cached


def test_a_timeout_is_unavailable_with_the_reason_and_not_cached():
    fake = FakeOpenLibrary({BOOKS_API: [httpx.ReadTimeout]})

    result = lookup(ISBN, client=client_for(fake))

    assert result.outcome is Outcome.UNAVAILABLE
    assert result.reason == "Open Library did not answer in time."
    assert not IsbnLookup.objects.exists()


def test_a_retry_after_beyond_the_time_budget_gives_up_at_once(settings):
    settings.OPENLIBRARY_TOTAL_SECONDS = 30
    fake = FakeOpenLibrary(
        {BOOKS_API: [recorded("error_500.html", 429, **{"Retry-After": "3600"})]}
    )
    clock = FakeClock()

    result = lookup(ISBN, client=client_for(fake, clock))

    assert result.outcome is Outcome.UNAVAILABLE
    assert "429" in result.reason
    assert clock.sleeps == []
    assert len(fake.requests) == 1


def test_the_whole_lookup_stays_within_its_time_budget(settings):
    settings.OPENLIBRARY_TOTAL_SECONDS = 10
    settings.OPENLIBRARY_BACKOFF_SECONDS = 3
    fake = FakeOpenLibrary({BOOKS_API: [recorded("error_500.html", 500)]})
    clock = FakeClock()

    lookup(ISBN, client=client_for(fake, clock))

    assert sum(clock.sleeps) <= 10
    assert clock.sleeps == [3, 6]  # the next wait (12 s) would have passed the budget


def test_failing_details_leave_a_found_answer_incomplete_and_uncached():
    fake = FakeOpenLibrary.found()
    fake.routes[EDITION] = [httpx.ConnectError]

    result = lookup(ISBN, client=client_for(fake))

    assert result.outcome is Outcome.FOUND
    assert result.metadata.title == "Pride and Prejudice"
    assert result.metadata.language == ""
    assert result.reason.startswith("Some details are missing")
    assert not IsbnLookup.objects.exists()


def test_retry_after_may_be_an_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470.0) == 10.0
    assert parse_retry_after("12", 0) == 12.0
    assert parse_retry_after("soon", 0) is None


# --- The database cache ------------------------------------------------------------------------


def test_a_found_book_is_kept_thirty_days_and_answered_from_the_database():
    fake = FakeOpenLibrary.found()
    client = client_for(fake)
    lookup(ISBN, client=client)
    asked = len(fake.requests)

    again = lookup(ISBN, client=client)

    assert len(fake.requests) == asked  # no new request
    assert again.from_cache
    assert again.metadata.authors == ("Jane Austen",)
    row = IsbnLookup.objects.get(isbn=ISBN)
    assert row.status == LookupStatus.FOUND
    kept = row.expires_at - row.fetched_at
    assert kept == datetime.timedelta(days=30)


def test_a_miss_is_kept_a_day_then_asked_again():
    fake = FakeOpenLibrary({BOOKS_API: [recorded("books_api_empty.json")]})
    client = client_for(fake)
    lookup(ISBN, client=client)
    row = IsbnLookup.objects.get(isbn=ISBN)
    assert row.expires_at - row.fetched_at == datetime.timedelta(days=1)

    assert lookup(ISBN, client=client).from_cache
    assert len(fake.requests) == 1

    IsbnLookup.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    result = lookup(ISBN, client=client)
    assert not result.from_cache
    assert len(fake.requests) == 2


# --- Covers --------------------------------------------------------------------------------------


def test_a_cover_is_downloaded_from_open_library_without_its_placeholder():
    fake = FakeOpenLibrary.found()

    download = fetch_cover(
        "https://covers.openlibrary.org/b/id/8739161-L.jpg", client=client_for(fake)
    )

    assert download.content == fake.routes[COVER][0].content
    assert fake.requests[0].url.params["default"] == "false"


def test_a_cover_elsewhere_is_never_fetched():
    fake = FakeOpenLibrary.found()

    download = fetch_cover("https://attacker.example/b/id/1-L.jpg", client=client_for(fake))

    assert download.content is None
    assert fake.requests == []


def test_a_cover_too_large_is_refused(settings):
    settings.OPENLIBRARY_COVER_MAX_BYTES = 100
    fake = FakeOpenLibrary({COVER: [httpx.Response(200, content=jpeg(200, 300))]})

    download = fetch_cover(
        "https://covers.openlibrary.org/b/id/8739161-L.jpg", client=client_for(fake)
    )

    assert download.content is None
    assert "too large" in download.reason


def test_a_missing_cover_is_none():
    fake = FakeOpenLibrary({})

    download = fetch_cover("https://covers.openlibrary.org/b/id/1-L.jpg", client=client_for(fake))

    assert download.content is None


# --- The shared rate limit ---------------------------------------------------------------------


def test_database_limiter_spaces_reservations_one_interval_apart(settings):
    settings.OPENLIBRARY_MIN_INTERVAL = 1.0
    clock = FakeClock(100.0)
    waits = []
    limiter = DatabaseRateLimiter(clock=clock, sleep=waits.append)  # time stands still

    for _ in range(3):
        assert limiter.acquire(deadline=clock() + 30)

    assert waits == [1.0, 2.0]  # the first goes at once, the next ones a second apart each
    assert RequestSlot.objects.get().next_at == 103.0
    # Past the deadline: no reservation, no wait.
    assert not limiter.acquire(deadline=clock() + 1)
    assert RequestSlot.objects.get().next_at == 103.0


def test_cache_limiter_gives_each_slot_once(settings):
    settings.OPENLIBRARY_MIN_INTERVAL = 1.0
    clock = FakeClock(100.3)
    waits = []
    limiter = CacheRateLimiter(clock=clock, sleep=waits.append)

    for _ in range(3):
        assert limiter.acquire(deadline=clock() + 30)

    # Requests start at slot boundaries, so any two are a whole interval apart.
    assert waits == pytest.approx([0.7, 1.7, 2.7])
    assert not limiter.acquire(deadline=clock() + 2)


def _requests_in_threads(limiter_class, count: int) -> list[float]:
    fake = FakeOpenLibrary({BOOKS_API: [recorded("books_api_empty.json")]})
    barrier = threading.Barrier(count)
    errors = []

    def one(index: int) -> None:
        try:
            client = OpenLibraryClient(transport=fake.transport(), limiter=limiter_class())
            barrier.wait()
            # Different ISBNs: each must ask (no cached answer in between).
            lookup(f"97801414395{index:02d}", client=client)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(fake.times) == count
    return sorted(fake.times)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "limiter_class",
    [
        # The tests' SQLite database is in memory with a shared cache, where a second writer
        # gets "table is locked" at once instead of waiting as with a database file: row-lock
        # behaviour is PostgreSQL's to test (the fake-clock test above covers the arithmetic).
        pytest.param(DatabaseRateLimiter, marks=pytest.mark.postgres),
        CacheRateLimiter,  # the in-process cache's add() is atomic too: the same algorithm
    ],
)
def test_threads_together_send_at_most_one_request_per_interval(settings, limiter_class):
    settings.OPENLIBRARY_MIN_INTERVAL = 0.3
    times = _requests_in_threads(limiter_class, 5)

    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # Without the limiter all five go within milliseconds; with it, a thread woken late by a
    # busy machine (parallel test workers) may shorten one gap a little, never to nothing.
    assert min(gaps) >= 0.3 - 0.1, gaps
    assert times[-1] - times[0] >= 4 * 0.3 - 0.1, gaps


@pytest.fixture
def hanging():
    """A transport whose requests never answer until the test ends."""
    release = threading.Event()

    def hang(request: httpx.Request) -> httpx.Response:
        release.wait(30)
        raise httpx.ConnectError("released", request=request)

    yield httpx.MockTransport(hang)
    release.set()


def test_a_lookup_within_a_deadline_gives_up_on_a_server_that_never_answers(hanging):
    client = OpenLibraryClient(transport=hanging)

    started = time.monotonic()
    result = lookup(ISBN, within=0.5, client=client)

    assert time.monotonic() - started < 1.5
    assert result.outcome is Outcome.UNAVAILABLE
    assert result.reason == "Open Library did not answer in time."
    assert not IsbnLookup.objects.exists()


def test_a_callers_deadline_never_extends_the_lookups_own(settings, hanging):
    settings.OPENLIBRARY_TOTAL_SECONDS = 0.5

    started = time.monotonic()
    result = lookup(ISBN, within=60, client=OpenLibraryClient(transport=hanging))

    assert time.monotonic() - started < 1.5
    assert result.outcome is Outcome.UNAVAILABLE


def test_a_network_error_is_told_without_the_exception_name():
    fake = FakeOpenLibrary({BOOKS_API: [httpx.ConnectError]})

    result = lookup(ISBN, client=client_for(fake))

    assert result.reason == "Open Library could not be reached."
