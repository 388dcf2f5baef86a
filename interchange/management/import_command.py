"""What the import commands share (import_catalog, import_patrons): open the file, record the
run, show progress, write the error report, print the summary."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import ngettext

from catalog.services.bulk import Problem
from interchange.models import ImportRun, ImportStatus
from interchange.progress import Progress
from interchange.records import SourceError
from interchange.selectors import warning_counts
from interchange.services.imports import REPORT_HEADER, import_records, report_row
from interchange.services.kinds import importer_for, source_open


class ImportCommand(BaseCommand):
    kind: str  # ImportKind

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The file to import.")
        parser.add_argument(
            "--encoding",
            help="The file's text encoding, e.g. utf-8, utf-16, cp1252, latin-1 (default: "
            "detected).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read and check everything, report what would happen, change nothing.",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Stop at the first bad record and import nothing at all.",
        )
        parser.add_argument(
            "--report",
            metavar="PATH",
            help="Where to write the error report (CSV: line or record number, field, reason, "
            "value). Default: FILE's name with .errors.csv, in the current folder.",
        )

    # Subclasses: their own options, as the run keeps them (the kind's importer reads them).
    def options_for_run(self, options: dict[str, Any]) -> dict[str, Any]:
        return {}

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            file = path.open("rb")
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        self.size: int | None = path.stat().st_size if path.is_file() else None
        with file:
            try:
                source = source_open(
                    file,
                    kind=self.kind,
                    format=options.get("format", "auto"),
                    encoding=options["encoding"],
                    size=self.size,
                )
            except SourceError as error:
                raise CommandError(f"{path.name}: {error}") from None
            self.stdout.write(
                f"{path.name}: {source.format}"
                + (f", {source.encoding}" if source.encoding else "")
                + (" (dry run: nothing will change)" if options["dry_run"] else "")
            )
            self._show_mapping(source.mapping)
            run = ImportRun.objects.create(
                kind=self.kind,
                source_name=path.name,
                options={
                    **self.options_for_run(options),
                    "dry_run": options["dry_run"],
                    "strict": options["strict"],
                },
            )
            self.report_path = self._report_path(path, options["report"])
            self.report: Any = None
            self.report_file: IO[str] | None = None
            self.progress = Progress(total_bytes=source.size, stream=sys.stderr)
            try:
                run = import_records(
                    source,
                    run,
                    importer_for(run),
                    progress=self.on_progress,
                    problem_sink=self.on_problems,
                )
            except KeyboardInterrupt:
                self.progress.close()
                run.refresh_from_db()
                raise CommandError(run.message) from None
            except SourceError as error:
                self.progress.close()
                raise CommandError(f"{path.name}: {error}") from None
            finally:
                self.progress.close()
                if self.report_file is not None:
                    self.report_file.close()
        self._summary(run)
        if run.status == ImportStatus.FAILED:
            raise CommandError(run.message)

    # --- Callbacks from the import service ---------------------------------------------------

    def on_progress(self, run: ImportRun) -> None:
        self.progress.update(bytes_read=run.bytes_read, records=run.records, failed=run.failed)

    def on_problems(self, number: int, problems: Iterable[Problem], severity: str) -> None:
        if self.report is None:
            self.report_path.parent.mkdir(parents=True, exist_ok=True)
            self.report_file = self.report_path.open("w", newline="", encoding="utf-8")
            self.report = csv.writer(self.report_file)
            self.report.writerow(REPORT_HEADER)
        for problem in problems:
            self.report.writerow(
                report_row(number, problem.field, problem.reason, problem.value, severity)
            )

    # --- Output -----------------------------------------------------------------------------

    def _show_mapping(self, mapping: dict[str, str]) -> None:
        if not mapping:
            return
        width = max(len(column) for column in mapping)
        for column, field in mapping.items():
            self.stdout.write(f"  {column:<{width}} -> {field}")

    def _report_path(self, path: Path, given: str | None) -> Path:
        if given:
            return Path(given)
        name = f"{path.stem}.errors.csv"
        here = Path.cwd()
        if _writable(here):
            return here / name
        # A read-only working folder (the Docker image's /app): the data volume instead.
        return Path(settings.MEDIA_ROOT) / "imports" / name

    def _summary(self, run: ImportRun) -> None:
        counts = (
            f"{run.created:,} created, {run.updated:,} updated, {run.skipped:,} skipped "
            f"(already there), {run.failed:,} failed"
        )
        read = ngettext("%(count)s record read", "%(count)s records read", run.records) % {
            "count": f"{run.records:,}"
        }
        if run.options.get("dry_run"):
            self.stdout.write(f"Dry run, nothing changed. {read}; they would give: {counts}.")
        else:
            self.stdout.write(f"{read}: {counts} (import {run.pk}).")
        for reason, count in warning_counts(run.pk):
            self.stdout.write(f"Warning ({count:,}): {reason}")
        if self.report is not None:
            self.stdout.write(f"Report: {self.report_path}")
        elif run.failed == 0:
            self.stdout.write("No problems.")


def _writable(folder: Path) -> bool:
    probe = folder / ".shelfmark-write-test"
    try:
        probe.touch()
        probe.unlink()
    except OSError:
        return False
    return True
