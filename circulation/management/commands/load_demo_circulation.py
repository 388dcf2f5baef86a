from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from circulation.demo import demo_circulation_load


class Command(BaseCommand):
    help = (
        "Load the demo circulation: patron categories, a calendar, a dozen patrons (one with a "
        "login, printed last), loans and holds on the demo catalog's copies (loaded first if "
        "needed). Safe to run again: adds nothing twice."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = demo_circulation_load()
        story = (
            f"{report.loans_created} loans and {report.holds_created} holds added"
            if report.story_told
            else "loans and holds already there"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo circulation: {report.categories_created} patron categories, "
                f"{report.calendar_entries_created} calendar entries and rules, "
                f"{report.patrons_created} patrons added; {story}."
            )
        )
        for message in report.skipped:
            self.stdout.write(f"  skipped: {message}")
        if report.login_password is not None:
            self.stdout.write(
                f"Patron login: username '{report.login_username}', password "
                f"'{report.login_password}'"
            )
        else:
            self.stdout.write(
                f"Patron login '{report.login_username}' has a password set elsewhere. "
                f"To reset it: manage.py changepassword {report.login_username}"
            )
