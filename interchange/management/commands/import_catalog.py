"""manage.py import_catalog FILE: books and copies from CSV, Goodreads, LibraryThing, Libib,
MARC, MARCXML or Shelfmark's own JSON export."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandParser

from catalog.services.bulk import DEFAULT_PREFIX, barcodes_option
from interchange.formats import FORMATS
from interchange.management.import_command import ImportCommand
from interchange.models import ImportKind


class Command(ImportCommand):
    help = (
        "Import books and copies from FILE. The format is recognised from the file (or given "
        "with --format); every bad record goes to an error report with all its problems, the "
        "good ones go in. Safe to run again: books already in the catalog are matched by ISBN, "
        "else by title, subtitle, authors, year and publisher, and not added twice — which also "
        "resumes a run that was interrupted. A book that only may be one of the catalog's is "
        "added, and reported as a possible duplicate."
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
            "it the file's non-empty values (update; never its ISBN). New copies are added "
            "either way.",
        )
        parser.add_argument(
            "--barcodes",
            default="",
            type=_barcodes_argument,
            metavar="generate[:PREFIX]",
            help="Holdings without a barcode (a call number or location only): by default the "
            "book goes in without a copy for them, and the report lists them. 'generate' makes "
            f"them copies with new barcodes, PREFIX and a six-digit number ({DEFAULT_PREFIX}000001 "
            "by default; PREFIX: letters, digits and hyphens). Running the file again makes "
            "none twice.",
        )

    def options_for_run(self, options: dict[str, Any]) -> dict[str, Any]:
        return {"on_duplicate": options["on_duplicate"], "barcodes": options["barcodes"]}


def _barcodes_argument(text: str) -> str:
    """--barcodes in the form a run keeps it ("generate:PREFIX"); argparse reports a bad one."""
    try:
        return barcodes_option(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
