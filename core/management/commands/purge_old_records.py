from __future__ import annotations

from typing import Any

from core import tasks
from core.management.task_command import TaskCommand


class Command(TaskCommand):
    help = (
        "Delete what Shelfmark keeps only for a while: results of finished background tasks "
        f"older than {tasks.TASK_RESULTS_KEEP_DAYS} days, and the API's Idempotency-Key answers "
        "older than 24 hours. Safe to run as often as liked "
        "(cron: daily)."
    )
    task = tasks.purge_old_records

    def run_here(self, **options: Any) -> None:
        self.write_purged(tasks.purge_old_records_now())
