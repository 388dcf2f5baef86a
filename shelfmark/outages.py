"""Outages: while something Shelfmark depends on is away for a moment (PostgreSQL restarting,
Redis stopped, the media volume full), requests are answered 503 with Retry-After, not 500, and
normally again as soon as it is back.

The one place that decides is the project's handler500 (``shelfmark.views.server_error``, which
asks ``outage_of``). Django calls it for every exception no view or middleware answered, while
that exception is being handled (``sys.exc_info()``), whichever layer raised it: a view, a DRF
view (the API's exception handler leaves these to Django), a middleware (the session's save), or
a 404 or 403 page that itself needed the database. Django wraps every middleware in
``convert_exception_to_response`` (django/core/handlers/exception.py), so each layer turns an
exception into a response there and the layers outside see only a response: a
``process_exception`` middleware would miss what the middleware below it raise. Django still
sends ``got_request_exception`` (Sentry) and logs its error line with the traceback, as for a
500; ``log_outage`` adds one warning naming what is away, and the request's own line
(shelfmark.observability) records the 503.

What counts:

- the database: django.db's ``OperationalError`` and ``InterfaceError`` (no connection, a
  connection lost, the server shutting down or starting, too many connections; also a statement
  timeout, or a deadlock outside ``shelfmark.transactions``' retries: a retry can cure those too);
- the cache, Redis with REDIS_URL: redis' ``ConnectionError`` and ``TimeoutError``, which Django's
  RedisCache passes on (the API's rate limits, the sign-in counts, cached pages);
- storage: an ``OSError`` with ENOSPC or EDQUOT (an upload's temporary file, a stored import file
  or cover), and the database's own disk full (PostgreSQL's 53100, SQLite's SQLITE_FULL).

Not SQLite's every ``OperationalError``: sqlite3 raises that class for a statement's own mistakes
too ("no such table", "no such column", a syntax error: SQLITE_ERROR), which are bugs and stay a
500. Only its result codes that tell of the file or its locks count (``SQLITE_OUTAGE_CODES``).

An exception raised ``from`` one of these (its ``__cause__``) counts as it does. Coming back needs
nothing here: Django closes a connection that failed at the end of the request, and
CONN_HEALTH_CHECKS checks a kept one before reusing it; redis-py replaces a pooled connection the
server dropped on its next use.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from dataclasses import dataclass

import redis.exceptions
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest

logger = logging.getLogger("shelfmark.outages")

# Seconds a client is asked to wait (Retry-After): a restart takes seconds; a full disk waits
# for someone to make room.
RETRY_AFTER_SECONDS = 5
STORAGE_RETRY_AFTER_SECONDS = 300

FULL_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
POSTGRESQL_DISK_FULL = "53100"
# SQLite's primary result codes (an extended code's low byte) that tell of the database file
# or its locks, not of the statement: busy or locked past the timeout, out of memory, a read or
# write that failed, a file that cannot be opened, the locking protocol, the disk full.
SQLITE_OUTAGE_CODES = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_NOMEM,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PROTOCOL,
    }
)


@dataclass(frozen=True)
class Outage:
    dependency: str  # what is away, for the log: "database", "cache", "storage"
    code: str  # the API error's code: "unavailable" or "storage_full"
    retry_after: int  # seconds, the Retry-After header

    @property
    def storage_full(self) -> bool:
        return self.code == "storage_full"


DATABASE = Outage("database", "unavailable", RETRY_AFTER_SECONDS)
CACHE = Outage("cache", "unavailable", RETRY_AFTER_SECONDS)
STORAGE = Outage("storage", "storage_full", STORAGE_RETRY_AFTER_SECONDS)
DATABASE_STORAGE = Outage("database storage", "storage_full", STORAGE_RETRY_AFTER_SECONDS)


def outage_of(error: BaseException | None) -> Outage | None:
    """The outage ``error`` tells of, or None for any other failure (a bug: a 500)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        outage = _outage(error)
        if outage is not None:
            return outage
        error = error.__cause__
    return None


def _outage(error: BaseException) -> Outage | None:
    if isinstance(error, OperationalError | InterfaceError):
        if _sqlite_statement_error(error):
            return None
        return DATABASE_STORAGE if _database_disk_full(error) else DATABASE
    if isinstance(error, redis.exceptions.ConnectionError | redis.exceptions.TimeoutError):
        return CACHE
    if isinstance(error, OSError) and error.errno in FULL_DISK_ERRNOS:
        return STORAGE
    return None


def _database_disk_full(error: BaseException) -> bool:
    """Whether the driver's error under Django's says the database's disk is full."""
    driver = error.__cause__
    return (
        getattr(driver, "sqlstate", None) == POSTGRESQL_DISK_FULL
        or getattr(driver, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    )


def _sqlite_statement_error(error: BaseException) -> bool:
    """Whether SQLite's error under Django's is about the statement, not the database's file.
    One without a result code (raised by hand, not by SQLite) counts as an outage."""
    code = getattr(error.__cause__, "sqlite_errorcode", None)
    return code is not None and code & 0xFF not in SQLITE_OUTAGE_CODES


def log_outage(request: HttpRequest, outage: Outage, error: BaseException | None) -> None:
    """One warning naming what is away; Django's own error line, with the traceback, follows."""
    reason = f"{type(error).__name__}: {' '.join(str(error).split())}"[:300] if error else "-"
    # As Django's own line has it: a path's decoded newline cannot forge a line of the log.
    path = request.path.encode("unicode_escape").decode("ascii")
    logger.warning(
        "%s unavailable: answered %s %s with 503 (%s)",
        outage.dependency.capitalize(),
        request.method,
        path,
        reason,
        extra={"outage": outage.dependency, "error": type(error).__name__ if error else None},
    )
