from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from circulation import tasks
from core.management.task_command import TaskCommand, parse_date


class Command(TaskCommand):
    help = (
        "Expire the holds on the hold shelf whose pickup deadline has passed; each copy goes to "
        "the next patron waiting or back to the shelf. Safe to run as often as liked (cron: "
        "hourly)."
    )
    task = tasks.expire_holds

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--date",
            type=parse_date,
            help="Act as if today were this date (YYYY-MM-DD). Default: today.",
        )

    def run_here(self, **options: Any) -> None:
        today = options["date"] or timezone.localdate()
        result = tasks.expire_holds_now(today)
        self.stdout.write(f"Holds expired on {today:%Y-%m-%d}: {result['expired']}.")
        for hold in result["holds"]:
            self.stdout.write(f"  {hold}")
