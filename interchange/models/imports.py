"""Imports: each run of an import file (from the command line or the website) and the problems
it reported, kept so staff can see who imported what, when, and download the error report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    CATALOG = "catalog", _("Catalog (books and copies)")
    PATRONS = "patrons", _("Patrons")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")  # stopped: --strict met an error, or the run crashed


class Severity(models.TextChoices):
    ERROR = "error", _("Error")  # the record was left out
    WARNING = "warning", _("Warning")  # the record went in; something in it was noticed


class ImportRun(models.Model):
    kind = models.CharField(max_length=20, choices=ImportKind.choices, default=ImportKind.CATALOG)
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The file: its name as uploaded or given, and (for website imports, which a worker runs
    # outside the request) the stored copy in media storage.
    source_name = models.CharField(max_length=255)
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    format = models.CharField(max_length=20, blank=True)
    encoding = models.CharField(max_length=40, blank=True)
    # How to run: {"on_duplicate": "skip"|"update", "strict": bool, "dry_run": bool, ...}
    options = models.JSONField(default=dict, blank=True)
    # Progress (bytes of the file read) and the counts, updated as batches commit.
    size = models.BigIntegerField(null=True, blank=True)
    bytes_read = models.BigIntegerField(default=0)
    records = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(
        default=0, help_text=_("Lines of the report that are warnings.")
    )
    message = models.TextField(blank=True, help_text=_("Why the run stopped, when it did."))
    # How the file's columns (or MARC tags) map onto our fields, as the reader found them: the
    # website's preview shows it ({"Title": "title", "Bookshelves": "(ignored)", ...}).
    mapping = models.JSONField(default=dict, blank=True)
    # When the run was last seen alive: queued, started, or a batch committed. A worker that
    # died leaves a RUNNING row behind; no news for a while is how the website tells.
    last_progress_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="importrun_recent_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import of {self.source_name} ({self.status})"


class ImportProblem(models.Model):
    """A line of the report: one problem of one record (a record may have several), or one thing
    noticed in a record that went in anyway (a warning)."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="problems")
    number = models.PositiveIntegerField(help_text=_("Line number, or record number for MARC."))
    field = models.CharField(max_length=100, blank=True)
    reason = models.TextField()
    value = models.TextField(blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.ERROR)

    class Meta:
        verbose_name = _("import problem")
        verbose_name_plural = _("import problems")
        ordering = ["run", "id"]

    def __str__(self) -> str:
        return f"{self.number} {self.field}: {self.reason}"
