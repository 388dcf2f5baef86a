"""An ISBN's book as Open Library knows it, and the answers kept in the database.

Which endpoints, and why. A lookup asks the Books API first,
``/api/books?bibkeys=ISBN:<isbn>&jscmd=data&format=json``: one request answers with the title,
subtitle, the authors' *names* (the edition record at ``/isbn/<isbn>.json`` has only author keys,
one more request per author), publishers, publication date, page count, subjects and the cover's
URLs, and an unknown ISBN is an empty object. It lacks the language and usually the description,
so the edition record it names (``/books/OL…M.json``) is asked next for its language, and, when
the edition has no description, its work (``/works/OL…W.json``). At most three requests, whatever
the number of authors, within one deadline: ``OPENLIBRARY_TOTAL_SECONDS``, or the caller's
shorter ``within`` (the staff page waits ``OPENLIBRARY_PAGE_SECONDS``). Those two follow-ups only
add detail: if they fail, the lookup still answers with what it has (and is not cached, so the
next one asks again).

Every answer is kept in the database (``IsbnLookup``): a book 30 days, an unknown ISBN a day;
failures never, so the next lookup asks again. Nothing here raises to the caller for trouble on
the network or at Open Library: ``lookup`` returns a ``LookupResult`` that says found, not found
or unavailable (with why).
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from interchange.models import IsbnLookup, LookupStatus
from interchange.openlibrary.client import OpenLibraryClient, Unavailable
from interchange.openlibrary.metadata import BookMetadata, Outcome, metadata_from

logger = logging.getLogger(__name__)

FOUND_KEPT = datetime.timedelta(days=30)
NOT_FOUND_KEPT = datetime.timedelta(days=1)


@dataclass(frozen=True)
class LookupResult:
    isbn: str
    outcome: Outcome
    metadata: BookMetadata | None = None
    # Why it is unavailable (or incomplete), for a person: "Open Library did not answer in time".
    reason: str = ""
    from_cache: bool = False


def lookup(
    isbn: str, *, within: float | None = None, client: OpenLibraryClient | None = None
) -> LookupResult:
    """What Open Library knows of ``isbn`` (ISBN-13 digits, already normalized), within
    ``within`` seconds when given (at most OPENLIBRARY_TOTAL_SECONDS)."""
    cached = cached_lookup(isbn)
    if cached is not None:
        return cached
    client = client or OpenLibraryClient()
    deadline = client.deadline(settings.OPENLIBRARY_TOTAL_SECONDS, within=within)
    try:
        record = _books_api_record(client, isbn, deadline=deadline)
        if record is None:
            lookup_store(isbn, None)
            return LookupResult(isbn, Outcome.NOT_FOUND)
        edition, work, incomplete = _details(client, record, deadline=deadline)
    except Unavailable as error:
        logger.warning("Open Library lookup of %s failed: %s", isbn, error)
        return LookupResult(isbn, Outcome.UNAVAILABLE, reason=str(error))
    metadata = metadata_from(record, edition, work)
    if metadata is None:
        lookup_store(isbn, None)
        return LookupResult(isbn, Outcome.NOT_FOUND)
    if not incomplete:
        lookup_store(isbn, metadata)
    return LookupResult(isbn, Outcome.FOUND, metadata, reason=incomplete)


def _books_api_record(
    client: OpenLibraryClient, isbn: str, *, deadline: float
) -> dict[str, Any] | None:
    url = f"{settings.OPENLIBRARY_BASE_URL}/api/books"
    params = {"bibkeys": f"ISBN:{isbn}", "jscmd": "data", "format": "json"}
    data = client.get_json(url, params=params, deadline=deadline)
    record = data.get(f"ISBN:{isbn}")
    return record if isinstance(record, dict) and record else None


def _details(
    client: OpenLibraryClient, record: dict[str, Any], *, deadline: float
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The edition record (language, description) and, when that has no description, its
    work's. Failures here leave the answer incomplete rather than unavailable."""
    base = settings.OPENLIBRARY_BASE_URL
    edition: dict[str, Any] = {}
    work: dict[str, Any] = {}
    try:
        key = record.get("key")
        if isinstance(key, str) and re.fullmatch(r"/books/OL\d+M", key):
            edition = client.get_json(f"{base}{key}.json", deadline=deadline)
        works = edition.get("works") or []
        work_key = works[0].get("key") if works and isinstance(works[0], dict) else None
        if (
            not edition.get("description")
            and isinstance(work_key, str)
            and re.fullmatch(r"/works/OL\d+W", work_key)
        ):
            work = client.get_json(f"{base}{work_key}.json", deadline=deadline)
    except Unavailable as error:
        return edition, work, _("Some details are missing: %(reason)s") % {"reason": error}
    return edition, work, ""


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
        IsbnLookup.objects.update_or_create(
            isbn=isbn,
            defaults={
                "status": LookupStatus.FOUND if metadata else LookupStatus.NOT_FOUND,
                "data": metadata.as_dict() if metadata else {},
                "fetched_at": now,
                "expires_at": now + (FOUND_KEPT if metadata else NOT_FOUND_KEPT),
            },
        )
