"""manage.py import_patrons FILE: patrons from a CSV (a school's class list)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from interchange.management.import_command import ImportCommand
from interchange.models import ImportKind


class Command(ImportCommand):
    help = (
        "Import patrons from a CSV file with the columns name (or first name and last name), "
        "card number, email, phone, category and expiry (YYYY-MM-DD), in any order. Each "
        "category must exist (the admin's Patron categories). A patron whose card number is "
        "registered already is matched, not added twice, so a run can be repeated safely."
    )
    kind = ImportKind.PATRONS

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--on-duplicate",
            default="skip",
            choices=["skip", "update"],
            help="A card number already registered: leave that patron as they are (skip, the "
            "default) or give them the file's non-empty values (update).",
        )

    def options_for_run(self, options: dict[str, Any]) -> dict[str, Any]:
        return {"on_duplicate": options["on_duplicate"]}
