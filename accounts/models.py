"""API tokens: long random keys for scripts, stored only as a SHA-256 hash.

Why not DRF's authtoken or django-rest-knox: authtoken stores keys in clear, one per user, with
no expiry; knox hashes but issues tokens through its own login view and accepts one header
keyword. Shelfmark needs named tokens that may be issued for others, optional expiry, a record of
who issued each, and both ``Token`` and ``Bearer`` headers — a small model is simpler than
bending either.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "shm_"  # noqa: S105 - a public marker that makes leaked keys greppable


def hash_key(key: str) -> str:
    # A fast hash is right here: the key is 256 random bits, so there is nothing to brute-force.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=100, help_text=_("What the token is for, e.g. 'backup script'.")
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_hint = models.CharField(
        max_length=16, editable=False, help_text=_("First characters of the key, to recognise it.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text=_("Empty: never expires."))
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Who issued the token, to trace a token given to someone else back to its issuer. Kept
    # (emptied) when that account is deleted: the token belongs to its user, not its issuer.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text=_(
            "Who issued the token. Empty: issued with manage.py create_api_token, "
            "before issuers were recorded, or by an account since deleted."
        ),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "created_at", "id"], name="apitoken_user_idx"),
            models.Index(fields=["created_at", "id"], name="apitoken_created_idx"),
        ]
        verbose_name = _("API token")
        # Issuing a token for someone lets its holder act as them. Superusers have every
        # permission; this one lets an administrator hand the power to a chosen account without
        # handing it to all staff.
        permissions = [("issue_token_for_others", "Can issue API tokens for other users")]

    def __str__(self) -> str:
        # What the admin shows of a token (its pages' titles, the delete confirmation).
        return gettext("%(name)s (%(hint)s…) for %(user)s") % {
            "name": self.name,
            "hint": self.key_hint,
            "user": self.user,
        }

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class RateCount(models.Model):
    """How many times something was done under one key (a password reset for one email address,
    or from one client address) in the window starting at ``window_start``. In the database so
    that every worker process and container counts together, with or without a shared cache;
    ``accounts.services.rate_count`` bumps a count in one atomic statement."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="ratecount_key_window")
        ]
        # Old windows are deleted by their start.
        indexes = [models.Index(fields=["window_start"], name="ratecount_window_idx")]

    def __str__(self) -> str:
        return f"{self.key}: {self.count} since {self.window_start:%Y-%m-%d %H:%M}"
