"""API tokens: long random keys for scripts, stored only as a SHA-256 hash.

Why not DRF's authtoken or django-rest-knox: authtoken stores keys in clear, one per user, with
no expiry; knox hashes but issues tokens through its own login view and accepts one header
keyword. Shelfmark needs named tokens that staff can issue for others, optional expiry, and both
``Token`` and ``Bearer`` headers — a small model is simpler than bending either.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "shm_"  # noqa: S105 - a public marker that makes leaked keys greppable


def hash_key(key: str) -> str:
    # A fast hash is right here: the key is 256 random bits, so there is nothing to brute-force.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=100, help_text="What the token is for, e.g. 'backup script'."
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(
        max_length=16, editable=False, help_text="First characters of the key, to recognise it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "created_at", "id"], name="apitoken_user_idx"),
            models.Index(fields=["created_at", "id"], name="apitoken_created_idx"),
        ]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.key_hint}…) for {self.user}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
