"""What the one-shot commands for scheduled work share, in every app (send_notices,
expire_holds, purge_old_records, purge_interchange_records): run the work here and now (for
cron), or hand it to the worker."""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_tasks.base import Task


def parse_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"'{value}' is not a date: write it as YYYY-MM-DD.") from None


class TaskCommand(BaseCommand):
    """Runs ``run_here`` by default; ``--enqueue`` hands ``task`` to the worker instead (and
    ``--wait`` waits for its result, which is how to check that a worker runs)."""

    task: Task[[], Any]  # the task doing the same work, for --enqueue

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Hand the work to the worker (manage.py run_schedule --worker) instead of "
            "doing it here; prints the task's id.",
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=0,
            metavar="SECONDS",
            help="With --enqueue: wait this long for a worker to finish it, and print the result "
            "(exit status 1 if none did).",
        )

    def handle(self, *args: Any, enqueue: bool, wait: float, **options: Any) -> None:
        if not enqueue:
            if wait:
                raise CommandError("--wait goes with --enqueue.")
            self.run_here(**options)
            return
        result = self.task.enqueue()
        self.stdout.write(f"Enqueued {self.task.name} as task {result.id}.")
        if not wait:
            return
        deadline = time.monotonic() + wait
        while not result.is_finished and time.monotonic() < deadline:
            time.sleep(0.5)
            result.refresh()
        if not result.is_finished:
            raise CommandError(
                f"No worker finished task {result.id} within {wait:g} s. Is a worker running? "
                "(manage.py run_schedule --worker; with Docker: docker compose ps worker)"
            )
        if result.errors:
            raise CommandError(f"The task failed:\n{result.errors[-1].traceback}")
        self.stdout.write(
            f"Done by worker {result.worker_ids[-1]}: {json.dumps(result.return_value)}"
        )

    def run_here(self, **options: Any) -> None:
        raise NotImplementedError

    def write_purged(self, counts: dict[str, int]) -> None:
        """``Purged: 3 task results, 0 idempotency keys.`` (the purge commands' one line)."""
        listed = ", ".join(f"{count} {what.replace('_', ' ')}" for what, count in counts.items())
        self.stdout.write(f"Purged: {listed}.")
