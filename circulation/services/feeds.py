"""A patron's calendar feed: the secret in its URL is made here and shown once; only its hash
is stored (circulation.models.CalendarFeed)."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from circulation.models import CalendarFeed, Patron
from shelfmark.transactions import lock_row, service_transaction

SECRET_BYTES = 32  # 256 random bits: unguessable, so a fast hash is enough to store it


def feed_secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@service_transaction
def calendar_feed_issue(*, patron: Patron) -> str:
    """Give ``patron`` a new feed secret, replacing (and so revoking) any earlier one; returns
    the secret, which cannot be read back later."""
    patron = lock_row(Patron, patron.pk, no_key=True)  # two clicks at once: one feed row
    secret = secrets.token_urlsafe(SECRET_BYTES)
    CalendarFeed.objects.update_or_create(
        patron=patron,
        defaults={"secret_hash": feed_secret_hash(secret), "created_at": timezone.now()},
    )
    return secret


@service_transaction
def calendar_feed_revoke(*, patron: Patron) -> bool:
    """Turn ``patron``'s feed off: its URL answers 404 from now on. False if there was none."""
    deleted, _ = CalendarFeed.objects.filter(patron_id=patron.pk).delete()
    return bool(deleted)
