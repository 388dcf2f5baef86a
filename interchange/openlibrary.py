"""The Open Library client: an ISBN's metadata and cover, politely.

Which endpoints, and why. A lookup asks the Books API first,
``/api/books?bibkeys=ISBN:<isbn>&jscmd=data&format=json``: one request answers with the title,
subtitle, the authors' *names* (the edition record at ``/isbn/<isbn>.json`` has only author keys,
one more request per author), publishers, publication date, page count, subjects and the cover's
URLs, and an unknown ISBN is an empty object. It lacks the language and usually the description,
so the edition record it names (``/books/OL…M.json``) is asked next for its language, and, when
the edition has no description, its work (``/works/OL…W.json``). At most three requests, whatever
the number of authors, at the pace Open Library asks of a client. Those two follow-ups only add
detail: if they fail, the lookup still answers with what it has (and is not cached, so the next
one asks again).

Being polite:

- A User-Agent naming Shelfmark and a contact address (settings.OPENLIBRARY_USER_AGENT /
  OPENLIBRARY_CONTACT_EMAIL): Open Library throttles clients that do not say who they are.
- At most one request per ``OPENLIBRARY_MIN_INTERVAL`` seconds across every web and worker
  process (``CacheRateLimiter`` with REDIS_URL, else ``DatabaseRateLimiter``).
- 429 and 5xx answers and network errors are retried with exponential backoff, honouring
  Retry-After, within one deadline for the whole lookup: ``OPENLIBRARY_TOTAL_SECONDS``, or the
  caller's shorter ``within`` (the staff page waits ``OPENLIBRARY_PAGE_SECONDS``). Each request
  runs in a helper thread that the lookup stops waiting for at the deadline, since httpx's
  timeouts bound each connect and read but neither a whole request nor the name lookup first.
- Every answer is kept in the database (``IsbnLookup``): a book 30 days, an unknown ISBN a day;
  failures never, so the next lookup asks again.

Nothing here raises to the caller for trouble on the network or at Open Library: ``lookup``
returns a ``LookupResult`` that says found, not found or unavailable (with why).
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import enum
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from iso639 import Lang
from iso639.exceptions import InvalidLanguageValue

from catalog.rules import clean_language, clean_text, squash_spaces
from interchange.models import IsbnLookup, LookupStatus, RequestSlot
from shelfmark.errors import RuleError

logger = logging.getLogger(__name__)

SERVICE = "openlibrary"
FOUND_KEPT = datetime.timedelta(days=30)
NOT_FOUND_KEPT = datetime.timedelta(days=1)
MAX_ATTEMPTS = 4  # per request: the first try and three retries
MAX_SUBJECTS = 15  # Open Library lists dozens for classics; a form wants the main ones
MAX_JSON_BYTES = 2 * 1024 * 1024

# Tests install an httpx.MockTransport here (conftest.py makes sure no test reaches the network).
TRANSPORT: httpx.BaseTransport | None = None

Clock = Callable[[], float]
Sleep = Callable[[float], None]


# --- Results --------------------------------------------------------------------------------------


class Outcome(enum.StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class BookMetadata:
    """A book as Open Library describes it, cleaned with the catalog's rules."""

    title: str
    subtitle: str = ""
    authors: tuple[str, ...] = ()
    publisher: str = ""
    year: int | None = None
    language: str = ""  # ISO 639-1 where there is one, else 639-2/3
    pages: int | None = None
    subjects: tuple[str, ...] = ()
    description: str = ""
    cover_url: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["authors"], data["subjects"] = list(self.authors), list(self.subjects)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BookMetadata:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        known["authors"] = tuple(known.get("authors", ()))
        known["subjects"] = tuple(known.get("subjects", ()))
        return cls(**known)


@dataclass(frozen=True)
class LookupResult:
    isbn: str
    outcome: Outcome
    metadata: BookMetadata | None = None
    # Why it is unavailable (or incomplete), for a person: "Open Library did not answer in time".
    reason: str = ""
    from_cache: bool = False


@dataclass(frozen=True)
class CoverDownload:
    content: bytes | None
    reason: str = ""


class Unavailable(Exception):
    """Open Library could not be asked, or did not answer usefully; the message says why."""


# --- Rate limiting --------------------------------------------------------------------------------


class RateLimiter(Protocol):
    def acquire(self, *, deadline: float) -> bool:
        """Wait for this process's turn; False (at once) when it would come after ``deadline``."""


def _interval() -> float:
    return float(settings.OPENLIBRARY_MIN_INTERVAL)


@dataclass
class CacheRateLimiter:
    """One request per time slot (slot n starts at n * interval), claimed with ``cache.add``,
    which is atomic in Redis: of all the processes sharing the cache, exactly one gets each slot.

    A request starts at the beginning of its slot, never inside the current one: two claims of
    consecutive slots are then a whole interval apart, wherever in the slot they were made.
    """

    clock: Clock = time.time
    sleep: Sleep = time.sleep
    max_ahead: int = 120  # slots looked at before giving up (the deadline usually comes first)

    def acquire(self, *, deadline: float) -> bool:
        interval = _interval()
        if interval <= 0:
            return True
        first = math.floor(self.clock() / interval) + 1
        for slot in range(first, first + self.max_ahead):
            start = slot * interval
            if start > deadline:
                return False
            # Kept a little past the slot so a slow claimant cannot see it free again.
            if cache.add(f"{SERVICE}:slot:{slot}", 1, timeout=math.ceil(interval) + 60):
                wait = start - self.clock()
                if wait > 0:
                    self.sleep(wait)
                return True
        return False


@dataclass
class DatabaseRateLimiter:
    """The next free start time in one row (``RequestSlot``), reserved under its row lock: each
    caller takes ``max(now, next_at)`` and moves ``next_at`` one interval on, commits, then
    sleeps until its reserved time. Holds across gunicorn workers and containers on PostgreSQL
    (SELECT … FOR UPDATE) and SQLite (its write lock, taken at BEGIN IMMEDIATE in this project).
    Callers must not be inside a transaction: the lock would be held while they wait."""

    clock: Clock = time.time
    sleep: Sleep = time.sleep

    def acquire(self, *, deadline: float) -> bool:
        interval = _interval()
        if interval <= 0:
            return True
        if not RequestSlot.objects.filter(service=SERVICE).exists():
            try:
                with transaction.atomic():
                    RequestSlot.objects.create(service=SERVICE)
            except IntegrityError:  # another process made it meanwhile
                pass
        with transaction.atomic():
            row = RequestSlot.objects.select_for_update().get(service=SERVICE)
            start = max(self.clock(), row.next_at)
            if start > deadline:
                return False
            row.next_at = start + interval
            row.save(update_fields=["next_at"])
        wait = start - self.clock()
        if wait > 0:
            self.sleep(wait)
        return True


def default_rate_limiter(clock: Clock = time.time, sleep: Sleep = time.sleep) -> RateLimiter:
    """The cache when it is shared (REDIS_URL); otherwise the database, which every process
    shares (the default in-process cache would pace each worker on its own)."""
    if settings.REDIS_URL:
        return CacheRateLimiter(clock=clock, sleep=sleep)
    return DatabaseRateLimiter(clock=clock, sleep=sleep)


# --- The client -----------------------------------------------------------------------------------


def user_agent() -> str:
    if settings.OPENLIBRARY_USER_AGENT:
        return str(settings.OPENLIBRARY_USER_AGENT)
    contact = (
        settings.OPENLIBRARY_CONTACT_EMAIL or email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    )
    return f"Shelfmark/1.0 (library catalog; {contact or 'no contact address configured'})"


@dataclass
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes


@dataclass
class OpenLibraryClient:
    transport: httpx.BaseTransport | None = None
    limiter: RateLimiter | None = None
    clock: Clock = time.time
    sleep: Sleep = time.sleep
    _limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self._limiter = self.limiter or default_rate_limiter(self.clock, self.sleep)

    # --- ISBN lookup ---------------------------------------------------------------------------

    def lookup(self, isbn: str, *, within: float | None = None) -> LookupResult:
        """What Open Library knows of ``isbn`` (ISBN-13 digits, already normalized), within
        ``within`` seconds when given (at most OPENLIBRARY_TOTAL_SECONDS)."""
        cached = cached_lookup(isbn)
        if cached is not None:
            return cached
        seconds = settings.OPENLIBRARY_TOTAL_SECONDS
        deadline = self.clock() + (seconds if within is None else min(within, seconds))
        try:
            with self._http() as http:
                record = self._books_api_record(http, isbn, deadline=deadline)
                if record is None:
                    lookup_store(isbn, None)
                    return LookupResult(isbn, Outcome.NOT_FOUND)
                edition, work, incomplete = self._details(http, record, deadline=deadline)
        except Unavailable as error:
            logger.warning("Open Library lookup of %s failed: %s", isbn, error)
            return LookupResult(isbn, Outcome.UNAVAILABLE, reason=str(error))
        metadata = metadata_from(record, edition, work)
        if metadata is None:  # a record without a title is of no use to a catalog
            lookup_store(isbn, None)
            return LookupResult(isbn, Outcome.NOT_FOUND)
        if not incomplete:
            lookup_store(isbn, metadata)
        return LookupResult(isbn, Outcome.FOUND, metadata, reason=incomplete)

    def _books_api_record(
        self, http: httpx.Client, isbn: str, *, deadline: float
    ) -> dict[str, Any] | None:
        url = f"{settings.OPENLIBRARY_BASE_URL}/api/books"
        params = {"bibkeys": f"ISBN:{isbn}", "jscmd": "data", "format": "json"}
        data = self._json(http, url, params=params, deadline=deadline)
        record = data.get(f"ISBN:{isbn}") if isinstance(data, dict) else None
        return record if isinstance(record, dict) and record else None

    def _details(
        self, http: httpx.Client, record: dict[str, Any], *, deadline: float
    ) -> tuple[dict[str, Any], dict[str, Any], str]:
        """The edition record (language, description) and, when that has no description, its
        work's. Failures here leave the answer incomplete rather than unavailable."""
        edition: dict[str, Any] = {}
        work: dict[str, Any] = {}
        try:
            key = record.get("key")
            if isinstance(key, str) and re.fullmatch(r"/books/OL\d+M", key):
                edition = self._json(http, f"{settings.OPENLIBRARY_BASE_URL}{key}.json", deadline)
            works = edition.get("works") or []
            work_key = works[0].get("key") if works and isinstance(works[0], dict) else None
            if (
                not edition.get("description")
                and isinstance(work_key, str)
                and re.fullmatch(r"/works/OL\d+W", work_key)
            ):
                work = self._json(http, f"{settings.OPENLIBRARY_BASE_URL}{work_key}.json", deadline)
        except Unavailable as error:
            return edition, work, f"Some details are missing: {error}"
        return edition, work, ""

    # --- Covers --------------------------------------------------------------------------------

    def fetch_cover(self, url: str) -> CoverDownload:
        """The image at ``url`` (an Open Library cover URL), at most OPENLIBRARY_COVER_MAX_BYTES;
        whether it is an image is the catalog's rule to say (catalog.rules.clean_cover)."""
        allowed = {urlsplit(settings.OPENLIBRARY_COVERS_URL).netloc}
        allowed.add(urlsplit(settings.OPENLIBRARY_BASE_URL).netloc)
        parts = urlsplit(url)
        # Only Open Library's own hosts: a URL from a cached answer must not make the server
        # fetch anything else.
        if parts.scheme not in ("https", "http") or parts.netloc not in allowed:
            return CoverDownload(None, "The cover's address is not Open Library's.")
        deadline = self.clock() + settings.OPENLIBRARY_TOTAL_SECONDS
        try:
            with self._http() as http:
                # default=false: a missing cover is a 404, not a blank placeholder image.
                answer = self._get(
                    http,
                    url,
                    params={"default": "false"},
                    deadline=deadline,
                    max_bytes=settings.OPENLIBRARY_COVER_MAX_BYTES,
                )
        except Unavailable as error:
            return CoverDownload(None, str(error))
        if answer.status != 200:
            return CoverDownload(None, "Open Library has no cover image for this book.")
        return CoverDownload(answer.body)

    # --- HTTP ----------------------------------------------------------------------------------

    @contextmanager
    def _http(self) -> Iterator[httpx.Client]:
        with httpx.Client(
            transport=self.transport or TRANSPORT,
            headers={"User-Agent": user_agent(), "Accept": "application/json, image/*"},
            timeout=httpx.Timeout(settings.OPENLIBRARY_TIMEOUT),
            follow_redirects=True,  # /isbn/… and covers redirect
        ) as http:
            yield http

    def _json(
        self,
        http: httpx.Client,
        url: str,
        deadline: float,
        *,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        answer = self._get(http, url, params=params, deadline=deadline, max_bytes=MAX_JSON_BYTES)
        if answer.status == 404:
            return {}
        if answer.status != 200:
            raise Unavailable(f"Open Library answered {answer.status}.")
        try:
            data = httpx.Response(200, content=answer.body).json()
        except ValueError:
            raise Unavailable("Open Library's answer was not valid JSON.") from None
        if not isinstance(data, dict):
            raise Unavailable("Open Library's answer was not a JSON object.")
        return data

    def _get(
        self,
        http: httpx.Client,
        url: str,
        *,
        deadline: float,
        max_bytes: int,
        params: Mapping[str, str] | None = None,
    ) -> _Answer:
        """GET with the rate limit, and retries (exponential backoff, Retry-After honoured) on
        429, 5xx and network errors, all within ``deadline``."""
        for attempt in range(1, MAX_ATTEMPTS + 1):
            if not self._limiter.acquire(deadline=deadline):
                raise Unavailable("Too many lookups at once; try again in a moment.")
            retry_after: float | None = None
            try:
                answer = self._send_by(deadline, http, url, params=params, max_bytes=max_bytes)
            except httpx.TimeoutException:
                problem = "Open Library did not answer in time."
            except httpx.HTTPError as error:
                # The kind of error is for the log; people are told what it means.
                logger.info("Open Library request to %s failed: %r", url, error)
                problem = "Open Library could not be reached."
            else:
                if answer.status != 429 and answer.status < 500:
                    return answer
                problem = (
                    "Open Library asks us to slow down (429)."
                    if answer.status == 429
                    else f"Open Library has a problem ({answer.status})."
                )
                retry_after = parse_retry_after(answer.headers.get("Retry-After"), self.clock())
            wait = settings.OPENLIBRARY_BACKOFF_SECONDS * 2 ** (attempt - 1)
            if retry_after is not None:
                wait = max(wait, retry_after)
            if attempt == MAX_ATTEMPTS or self.clock() + wait > deadline:
                raise Unavailable(problem)
            self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send_by(
        self,
        deadline: float,
        http: httpx.Client,
        url: str,
        *,
        params: Mapping[str, str] | None,
        max_bytes: int,
    ) -> _Answer:
        """One request, given up on at ``deadline`` however the server or the network behaves:
        it runs in a helper thread, waited for until then. A request given up on ends in its
        thread, unseen, by its own timeouts (or when the client it uses is closed)."""
        remaining = deadline - self.clock()
        if remaining <= 0:
            raise httpx.TimeoutException("The lookup's deadline has passed.")
        timeout = min(settings.OPENLIBRARY_TIMEOUT, remaining)
        outcome: list[_Answer | BaseException] = []

        def send() -> None:
            try:
                outcome.append(
                    self._send(http, url, params=params, max_bytes=max_bytes, timeout=timeout)
                )
            except BaseException as error:  # handed to the caller, which decides
                outcome.append(error)

        thread = threading.Thread(target=send, name="openlibrary-request", daemon=True)
        thread.start()
        thread.join(remaining)
        if not outcome:
            raise httpx.TimeoutException("No answer before the lookup's deadline.")
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    def _send(
        self,
        http: httpx.Client,
        url: str,
        *,
        params: Mapping[str, str] | None,
        max_bytes: int,
        timeout: float,
    ) -> _Answer:
        with http.stream("GET", url, params=params, timeout=timeout) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise Unavailable("Open Library's answer is too large.")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise Unavailable("Open Library's answer is too large.")
            return _Answer(response.status_code, response.headers, bytes(body))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Retry-After in seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


# --- Reading Open Library's records ---------------------------------------------------------------


def _text(value: Any) -> str:
    """A description or note: a string, or {"type": "/type/text", "value": "..."}."""
    if isinstance(value, dict):
        value = value.get("value")
    return clean_text(value) if isinstance(value, str) else ""


def _names(items: Any, key: str = "name") -> list[str]:
    names = []
    for item in items if isinstance(items, list) else []:
        name = item.get(key) if isinstance(item, dict) else item
        if isinstance(name, str) and squash_spaces(name):
            names.append(squash_spaces(name))
    return names


def _year(publish_date: Any) -> int | None:
    """ "1998", "March 4, 2003", "2003-01-01", "c1975": the first plausible year in it."""
    for match in re.findall(r"(?<!\d)(\d{4})(?!\d)", str(publish_date or "")):
        if 1000 <= int(match) <= 2100:
            return int(match)
    return None


def _pages(*candidates: Any) -> int | None:
    for value in candidates:
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 100_000:
            return value
    return None


def _language(edition: Mapping[str, Any]) -> str:
    """/languages/eng (MARC's codes) -> "en"; the three-letter code when 639-1 has none."""
    for key in _names(edition.get("languages"), key="key"):
        code = key.rsplit("/", 1)[-1]
        try:
            language = Lang(code)
        except InvalidLanguageValue:
            continue
        try:
            return clean_language(language.pt1 or language.pt3)
        except RuleError:
            continue
    return ""


def _cover_url(record: Mapping[str, Any], edition: Mapping[str, Any]) -> str:
    covers = record.get("cover")
    if isinstance(covers, dict):
        for size in ("large", "medium"):
            if isinstance(covers.get(size), str):
                return str(covers[size])
    ids = [cover for cover in edition.get("covers") or [] if isinstance(cover, int) and cover > 0]
    return f"{settings.OPENLIBRARY_COVERS_URL}/b/id/{ids[0]}-L.jpg" if ids else ""


def metadata_from(
    record: Mapping[str, Any], edition: Mapping[str, Any], work: Mapping[str, Any]
) -> BookMetadata | None:
    """The Books API's record (jscmd=data), with the edition's and work's extras."""
    title = squash_spaces(record.get("title") if isinstance(record.get("title"), str) else "")
    if not title:
        return None
    publishers = _names(record.get("publishers")) or _names(edition.get("publishers"))
    subjects = _names(record.get("subjects")) or _names(work.get("subjects"))
    return BookMetadata(
        title=title[:500],
        subtitle=squash_spaces(str(record.get("subtitle") or ""))[:500],
        authors=tuple(dict.fromkeys(name[:255] for name in _names(record.get("authors")))),
        publisher=publishers[0][:255] if publishers else "",
        year=_year(record.get("publish_date") or edition.get("publish_date")),
        language=_language(edition),
        pages=_pages(record.get("number_of_pages"), edition.get("number_of_pages")),
        subjects=tuple(dict.fromkeys(name[:255] for name in subjects))[:MAX_SUBJECTS],
        description=(_text(edition.get("description")) or _text(work.get("description")))[:20_000],
        cover_url=_cover_url(record, edition),
    )


# --- The database cache ---------------------------------------------------------------------------


def cached_lookup(isbn: str) -> LookupResult | None:
    row = IsbnLookup.objects.filter(isbn=isbn, expires_at__gt=timezone.now()).first()
    if row is None:
        return None
    if row.status == LookupStatus.FOUND:
        return LookupResult(isbn, Outcome.FOUND, BookMetadata.from_dict(row.data), from_cache=True)
    return LookupResult(isbn, Outcome.NOT_FOUND, from_cache=True)


def lookup_store(isbn: str, metadata: BookMetadata | None) -> None:
    """Keep an answer: a book for FOUND_KEPT, "no such ISBN" (None) for NOT_FOUND_KEPT."""
    now = timezone.now()
    # A concurrent lookup of the same ISBN may store it first: the same answer.
    with contextlib.suppress(IntegrityError):
        _store(isbn, metadata, now)


def _store(isbn: str, metadata: BookMetadata | None, now: datetime.datetime) -> None:
    IsbnLookup.objects.update_or_create(
        isbn=isbn,
        defaults={
            "status": LookupStatus.FOUND if metadata else LookupStatus.NOT_FOUND,
            "data": metadata.as_dict() if metadata else {},
            "fetched_at": now,
            "expires_at": now + (FOUND_KEPT if metadata else NOT_FOUND_KEPT),
        },
    )


def lookup(isbn: str, *, within: float | None = None) -> LookupResult:
    return OpenLibraryClient().lookup(isbn, within=within)


def fetch_cover(url: str) -> CoverDownload:
    return OpenLibraryClient().fetch_cover(url)
