"""The schedule's jobs in the Django admin, for a look at when the periodic work last ran and
runs next. The Idempotency-Key answers have no page: they are the requests' own, kept a day."""

from __future__ import annotations

from django.contrib import admin

from core.models import ScheduledJob
from shelfmark.admin import ReadOnlyAdmin


@admin.register(ScheduledJob)
class ScheduledJobAdmin(ReadOnlyAdmin):
    """When each periodic task last ran and runs next: read only."""

    list_display = ["name", "last_enqueued_at", "next_run_at", "last_task_id"]
