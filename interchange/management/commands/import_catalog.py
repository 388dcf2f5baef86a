"""manage.py import_catalog FILE: books and copies from CSV, Goodreads, LibraryThing, Libib,
MARC, MARCXML or Shelfmark's own JSON export."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from interchange.formats import FORMATS, open_catalog_source
from interchange.management.import_command import ImportCommand
from interchange.models import ImportKind
from interchange.services.imports import catalog_import


class Command(ImportCommand):
    help = (
        "Import books and copies from FILE. The format is recognised from the file (or given "
        "with --format); every bad record goes to an error report with all its problems, the "
        "good ones go in. Safe to run again: books already in the catalog are matched by ISBN, "
        "then by title and first author, and not added twice — which also resumes a run that "
        "was interrupted."
    )
    kind = ImportKind.CATALOG

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--format",
            default="auto",
            choices=["auto", *FORMATS],
            help="The file's layout (default: recognised from its content).",
        )
        parser.add_argument(
            "--on-duplicate",
            default="skip",
            choices=["skip", "update"],
            help="A book already in the catalog: leave it as it is (skip, the default) or give "
            "it the file's non-empty values (update). New copies are added either way.",
        )

    def run_import(self, source: Any, run: Any, **options: Any) -> Any:
        return catalog_import(source, run, progress=self.on_progress, problem_sink=self.on_problems)

    def options_for_run(self, options: dict[str, Any]) -> dict[str, Any]:
        return {"on_duplicate": options["on_duplicate"]}

    def open_source(self, file: Any, options: dict[str, Any]) -> Any:
        return open_catalog_source(
            file, format=options["format"], encoding=options["encoding"], size=self.size
        )
