"""Stocktakes: a count of what is on the shelves, of the whole library or of one shelf range,
and every scan made for it. A stocktake lives in the database from its start, so a closed
browser loses nothing, and any number of staff scan into it at once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from catalog.models import Copy


class StocktakeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Stocktake(models.Model):
    name = models.CharField(max_length=200)
    # The shelf range counted: a location (blank: every location) and call numbers from and to
    # (blank: no bound; "to" includes every call number it begins: "829" takes "829.1 ABC").
    location = models.CharField(max_length=100, blank=True)
    call_number_from = models.CharField(max_length=64, blank=True)
    call_number_to = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=10, choices=StocktakeStatus.choices, default=StocktakeStatus.OPEN
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the copies it did not see were marked missing (once: a second time finds none).
    missing_marked_at = models.DateTimeField(null=True, blank=True)
    missing_marked = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("stocktake")
        verbose_name_plural = _("stocktakes")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=StocktakeStatus.values),
                name="stocktake_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status=StocktakeStatus.OPEN, closed_at__isnull=True)
                | models.Q(status=StocktakeStatus.CLOSED, closed_at__isnull=False),
                name="stocktake_closed_when_closed_at",
            ),
            models.CheckConstraint(
                condition=models.Q(missing_marked_at__isnull=True)
                | models.Q(status=StocktakeStatus.CLOSED),
                name="stocktake_missing_after_close",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ScanOutcome(models.TextChoices):
    SEEN = "seen", _("Seen")  # on the shelf, as expected
    ALREADY_SEEN = "already_seen", _("Scanned before")
    ELSEWHERE = "elsewhere", _("Belongs elsewhere")  # another location or call number range
    ON_LOAN = "on_loan", _("On loan")  # lent, yet on the shelf: a return not checked in
    ON_HOLD_SHELF = "on_hold_shelf", _("On the hold shelf")
    NOT_AVAILABLE = "not_available", _("Lost, missing, withdrawn or in repair")
    UNKNOWN = "unknown", _("Unknown barcode")


# The outcomes that mean someone should look at the copy.
SURPRISES = frozenset(
    {
        ScanOutcome.ELSEWHERE,
        ScanOutcome.ON_LOAN,
        ScanOutcome.ON_HOLD_SHELF,
        ScanOutcome.NOT_AVAILABLE,
        ScanOutcome.UNKNOWN,
    }
)


class StocktakeScan(models.Model):
    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="scans")
    barcode = models.CharField(max_length=64)
    # Null for a barcode no copy has; a copy deleted later leaves its scan.
    copy = models.ForeignKey(Copy, null=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(max_length=20, choices=ScanOutcome.choices)
    # The copy's status when scanned (blank for an unknown barcode): what the surprise was.
    copy_status = models.CharField(max_length=20, blank=True)
    scanned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    scanned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stocktake scan")
        verbose_name_plural = _("stocktake scans")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["stocktake", "copy"], name="stocktakescan_copy_idx"),
            models.Index(fields=["stocktake", "-id"], name="stocktakescan_recent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=ScanOutcome.values),
                name="stocktakescan_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.barcode}: {self.outcome}"
