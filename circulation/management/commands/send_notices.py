from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandParser
from django.utils import timezone

from circulation import tasks
from circulation.models import NoticeKind
from circulation.selectors.notices import notices_due
from circulation.services.notices import notices_send
from core.management.task_command import TaskCommand, parse_date


class Command(TaskCommand):
    help = (
        "Email the notices due today that have not been sent (due soon, overdue reminders, "
        "holds ready), and say what was sent. Safe to run as often as liked (cron: every 15 "
        "minutes): a notice goes out once."
    )
    task = tasks.send_notices

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--date",
            type=parse_date,
            help="Act as if today were this date (YYYY-MM-DD). Default: today.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List the notices due, send nothing."
        )

    def run_here(self, **options: Any) -> None:
        today = options["date"] or timezone.localdate()
        if options["dry_run"]:
            due = notices_due(
                today,
                due_soon_days=settings.NOTICE_DUE_SOON_DAYS,
                overdue_reminders=settings.NOTICE_OVERDUE_REMINDERS,
                overdue_interval_days=settings.NOTICE_OVERDUE_INTERVAL_DAYS,
            )
            self.stdout.write(f"Notices due on {today:%Y-%m-%d}: {len(due)} (dry run: none sent).")
            for item in due:
                email = item.patron.email or "no email address"
                self.stdout.write(
                    f"  {NoticeKind(item.kind).label} to {item.patron.name} <{email}> about "
                    f"'{item.title}'"
                )
            return
        for line in notices_send(today=today).summary():
            self.stdout.write(line)
