from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from circulation import tasks
from circulation.services.fines import fines_accrue
from core.management.task_command import TaskCommand, parse_date


class Command(TaskCommand):
    help = (
        "Bring every overdue loan's fine up to date (FINES_ENABLED; otherwise nothing): each "
        "is charged what it grew by since its last charge. Safe to run as often as liked "
        "(cron: hourly)."
    )
    task = tasks.accrue_fines

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--date",
            type=parse_date,
            help="Act as if today were this date (YYYY-MM-DD). Default: today.",
        )

    def run_here(self, **options: Any) -> None:
        today = options["date"] or timezone.localdate()
        charged = fines_accrue(today)
        self.stdout.write(f"Fines brought up to date on {today:%Y-%m-%d}: {charged} loans charged.")
