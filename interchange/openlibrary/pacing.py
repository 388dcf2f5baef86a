"""The pace Open Library asks of a client: at most one request per ``OPENLIBRARY_MIN_INTERVAL``
seconds across every web and worker process (``CacheRateLimiter`` with REDIS_URL, else
``DatabaseRateLimiter``)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction

from interchange.models import RequestSlot

SERVICE = "openlibrary"

Clock = Callable[[], float]
Sleep = Callable[[float], None]


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
