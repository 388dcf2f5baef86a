"""manage.py purge_interchange_records: the interchange app's daily purge, here and now."""

from __future__ import annotations

from typing import Any

from core.management.task_command import TaskCommand
from interchange import tasks
from interchange.services.purge import interchange_purge


class Command(TaskCommand):
    help = (
        "Delete what imports and ISBN lookups keep only for a while: previews nobody "
        "confirmed (after 2 days), the uploaded files of finished imports (after 30 days; the "
        "runs and their error reports stay) and expired Open Library answers. Safe to run as "
        "often as liked (cron: daily)."
    )
    task = tasks.purge_interchange_records

    def run_here(self, **options: Any) -> None:
        self.write_purged(interchange_purge())
