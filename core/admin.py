"""The schedule's jobs in the Django admin, for a look at when the periodic work last ran and
runs next. The Idempotency-Key answers have no page: they are the requests' own, kept a day."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.models import ScheduledJob


@admin.register(ScheduledJob)
class ScheduledJobAdmin(admin.ModelAdmin):
    """When each periodic task last ran and runs next: read only."""

    list_display = ["name", "last_enqueued_at", "next_run_at", "last_task_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
