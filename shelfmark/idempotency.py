"""The answers kept for requests sent with an ``Idempotency-Key``, so that a retry gets the first
answer instead of doing the work again (shelfmark.api.idempotency does that for the API).

The table belongs to an app, named by ``settings.IDEMPOTENCY_KEY_MODEL`` ("app_label.Model", as
AUTH_USER_MODEL names the user model) and built on the abstract model here: the project's
plumbing names no app, and has no tables of its own. Here rather than in ``shelfmark.api`` so
that an app's models import no web layer.

Keys are per user and kept at least ``KEEP`` (24 hours); ``idempotency_keys_purge`` removes
older ones, for scheduled work to call.
"""

from __future__ import annotations

import datetime

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone

# Clients may retry with the same key for at least this long.
KEEP = datetime.timedelta(hours=24)
KEY_MAX_LENGTH = 255


class IdempotencyKeyBase(models.Model):
    """One user's key and the answer the request sent with it got.

    The row is written in the same transaction as the work the request does, so the key and
    the work commit together or not at all; a second request with the same key waits on the
    unique index until the first one ends, then reads its answer.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=KEY_MAX_LENGTH)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of the method, path and body: what 'the same' means."
    )
    status_code = models.PositiveSmallIntegerField()
    body = models.TextField(blank=True, help_text="The answer's JSON, as it was sent.")
    location = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="%(class)s_once_per_user")
        ]
        indexes = [models.Index(fields=["created_at"], name="%(class)s_created_idx")]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path} → {self.status_code})"


def idempotency_key_model() -> type[IdempotencyKeyBase]:
    """The project's table of keys (settings.IDEMPOTENCY_KEY_MODEL)."""
    model = apps.get_model(settings.IDEMPOTENCY_KEY_MODEL)
    assert issubclass(model, IdempotencyKeyBase), settings.IDEMPOTENCY_KEY_MODEL
    return model


def idempotency_keys_purge(
    *, older_than: datetime.timedelta = KEEP, now: datetime.datetime | None = None
) -> int:
    """Delete the keys (and their answers) older than ``older_than``, at least ``KEEP``: a
    client retrying within that window must still get the first answer. Returns how many."""
    if older_than < KEEP:
        raise ValueError(f"Keys are kept at least {KEEP}; {older_than} is shorter.")
    cutoff = (now or timezone.now()) - older_than
    deleted, _ = idempotency_key_model()._default_manager.filter(created_at__lt=cutoff).delete()
    return deleted
