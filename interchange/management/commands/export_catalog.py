"""manage.py export_catalog: the whole catalog as CSV, JSON or MARCXML."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from interchange.exports.formats import EXPORT_FORMATS
from interchange.selectors import export_books


class Command(BaseCommand):
    help = (
        "Write the whole catalog (books, authors, subjects, copies) as CSV, JSON or MARCXML, "
        "to --output or to standard output. import_catalog reads each back: exported, imported "
        "into an empty catalog and exported again, CSV and JSON give the same file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", required=True, choices=sorted(EXPORT_FORMATS))
        parser.add_argument("--output", metavar="FILE", help="Default: standard output.")

    def handle(self, *args: Any, format: str, output: str | None, **options: Any) -> None:
        chunks = EXPORT_FORMATS[format].write(export_books())
        if output is None:
            for chunk in chunks:
                sys.stdout.buffer.write(chunk.encode())
            sys.stdout.buffer.flush()
            return
        path = Path(output)
        partial = path.with_name(path.name + ".partial")
        try:
            # Written beside, then renamed: an interrupted export never leaves a file that
            # looks whole.
            with partial.open("w", encoding="utf-8", newline="") as file:
                for chunk in chunks:
                    file.write(chunk)
            partial.replace(path)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.") from None
        self.stderr.write(f"Wrote {path}.")
