"""ISBN lookups: every answer Open Library gave, kept so that a book scanned twice (or by two
librarians) costs one request, and the shared slot that spaces requests out across processes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LookupStatus(models.TextChoices):
    FOUND = "found", _("Found")
    NOT_FOUND = "not_found", _("Not found")


class IsbnLookup(models.Model):
    """Open Library's answer for one ISBN, until ``expires_at``. Errors are never kept: the next
    lookup asks again."""

    isbn = models.CharField(_("ISBN"), max_length=13, unique=True, help_text=_("ISBN-13 digits."))
    status = models.CharField(max_length=20, choices=LookupStatus.choices)
    # The metadata as interchange.openlibrary.BookMetadata.as_dict() gives it ({} when not found).
    data = models.JSONField(default=dict, blank=True)
    fetched_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("ISBN lookup")
        ordering = ["-fetched_at", "id"]
        indexes = [models.Index(fields=["expires_at"], name="isbnlookup_expires_idx")]

    def __str__(self) -> str:
        return f"{self.isbn}: {self.status}"


class RequestSlot(models.Model):
    """When the next request to an outside service may start (a Unix time), one row per service:
    the database-backed rate limiter (interchange.openlibrary.pacing.DatabaseRateLimiter)
    reserves the next slot under a row lock, so every worker process and container shares one
    pace."""

    service = models.CharField(max_length=50, unique=True)
    next_at = models.FloatField(default=0.0)

    def __str__(self) -> str:
        return f"{self.service}: next at {self.next_at}"
