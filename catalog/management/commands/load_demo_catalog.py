from typing import Any

from django.core.management.base import BaseCommand

from catalog.demo import DEMO_CATALOG, demo_catalog_load


class Command(BaseCommand):
    help = "Load the demo catalog of classic books (safe to run again: adds nothing twice)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Loading the demo catalog from {DEMO_CATALOG.name}…")
        report = demo_catalog_load()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo catalog: {report.books_created} books added, {report.books_present} "
                f"already there, {report.copies_created} copies added."
            )
        )
