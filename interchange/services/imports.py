"""Running an import: a file's records, in batches, through the catalog's bulk service.

One run, from the command line or a worker, goes like this:

- The records stream from the reader (``interchange.formats``) in batches of ``BATCH_SIZE``;
  memory holds one batch, whatever the size of the file.
- Each batch is one transaction (``catalog.services.bulk.books_import``): valid records go in,
  each bad one fails with every problem it has and leaves nothing behind. After each batch the
  run's counts, progress and problems are saved, so a page can show them while the run goes on,
  and a run cut short (Ctrl-C, a crash) leaves whole batches only; running the file again
  resumes it, since books already in the catalog are matched rather than added twice.
- ``dry_run``: every batch is rolled back, so nothing changes; what would have been created is
  remembered, so a book the file lists twice is counted once, as it would be for real.
- ``strict``: the whole file is one transaction, which the first bad record rolls back: the
  catalog then has none of the file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO, NamedTuple, Protocol

from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.services.bulk import (
    POSSIBLE_DUPLICATE,
    BarcodeMaker,
    CleanBook,
    KeyIndex,
    Outcome,
    Problem,
    Result,
    Verdict,
    books_check,
    books_import_checked,
)
from interchange.cells import inert
from interchange.formats import open_catalog_source
from interchange.models import ImportProblem, ImportRun, ImportStatus, Severity
from interchange.records import BookRecord, Source
from interchange.services.reading import Batch, read_ahead

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
# The report's columns (the command's file, the website's download): one line per problem, each
# an error (the record was left out) or a warning (it went in; something was noticed).
REPORT_HEADER = ["line_or_record", "field", "reason", "value", "severity"]
# A dry run keeps the problems it shows (the preview lists the first ones; counts are complete).
DRY_RUN_PROBLEMS_KEPT = 1000

Progress = Callable[[ImportRun], None]
# Gets a record's number, problems and their severity ("error" or "warning"): the report file.
ProblemSink = Callable[[int, Iterable[Problem], str], None]


class StrictStop(Exception):
    """--strict met a bad record: the transaction is rolled back and the run stops."""

    def __init__(self, number: int, problems: list[Problem]):
        self.number = number
        self.problems = problems
        first = problems[0]
        if first.field:
            message = _("Record %(number)s (%(field)s): %(reason)s") % {
                "number": number,
                "field": first.field,
                "reason": first.reason,
            }
        else:
            message = _("Record %(number)s: %(reason)s") % {
                "number": number,
                "reason": first.reason,
            }
        super().__init__(message)


class Importer(Protocol):
    """A kind of import (``interchange.services.kinds`` registers one per ``ImportKind``), made
    for one run:

    - ``open``: the file opened by the kind's reader (``SourceError`` when refused whole);
    - ``check``: a batch of records -> the items ``write`` takes, each with its record's
      ``number``, without the database (the rules): run ahead by the reader (``reading``);
    - ``write``: the items, on_duplicate -> one outcome per item, in the run's transaction.
    """

    def __init__(self, run: ImportRun) -> None: ...

    @staticmethod
    def open(file: BinaryIO, *, format: str, encoding: str | None, size: int | None) -> Any:
        """A ``Source`` of the kind's records (``BookRecord``, ``PatronRecord``)."""

    def check(self, records: list[Any]) -> list[Any]: ...

    def write(self, items: list[Any], on_duplicate: str) -> list[Outcome]: ...


class CheckedRecord(NamedTuple):
    """A book record as the reader hands it over: where it is in the file, the verdict of the
    reader and the rules on it (all its problems, or the book cleaned), and the reader's
    warnings."""

    number: int
    verdict: Verdict
    warnings: list[Problem]


class CatalogImport:
    """Books and copies, through the catalog's bulk service. ``run.options``: ``on_duplicate``,
    ``barcodes`` ("" or "generate:PREFIX": ``catalog.services.bulk.holdings``), ``dry_run``,
    ``strict``."""

    def __init__(self, run: ImportRun) -> None:
        options = run.options or {}
        self.strict = bool(options.get("strict"))
        # What a dry run would have created in earlier (rolled back) batches, by title.
        self.memory: KeyIndex[str] | None = KeyIndex() if options.get("dry_run") else None
        # One for the whole run: a dry run's numbers go on from batch to batch, as a real run's.
        self.barcodes = BarcodeMaker.for_option(options.get("barcodes") or "")

    @staticmethod
    def open(file: BinaryIO, *, format: str, encoding: str | None, size: int | None) -> Source:
        return open_catalog_source(file, format=format, encoding=encoding, size=size)

    def check(self, records: list[BookRecord]) -> list[CheckedRecord]:
        """The verdict on each record, which needs no database: a record the reader found
        broken fails with all its problems, the reader's and the rules'. Under --strict, a
        warning that --strict refuses is a problem."""
        checked = []
        for record, verdict in zip(records, books_check(records), strict=True):
            refused = [w for w in record.warnings if self.strict and w.refused_when_strict]
            warnings = [
                Problem(w.field, w.reason, w.value) for w in record.warnings if w not in refused
            ]
            if record.problems or refused:
                problems = [Problem(p.field, p.reason, p.value) for p in record.problems + refused]
                seen = {problem.field for problem in problems}
                if isinstance(verdict, list):
                    problems += [p for p in verdict if p.field not in seen]
                verdict = problems
            checked.append(CheckedRecord(record.number, verdict, warnings))
        return checked

    def write(self, items: list[CheckedRecord], on_duplicate: str) -> list[Outcome]:
        outcomes = books_import_checked(
            [item.verdict for item in items], on_duplicate=on_duplicate, barcodes=self.barcodes
        )
        for item, outcome in zip(items, outcomes, strict=True):
            outcome.warnings[:0] = item.warnings
        if self.memory is not None:
            _count_repeats_once(items, outcomes, self.memory)
        return outcomes


def catalog_import(
    source: Source,
    run: ImportRun,
    *,
    progress: Progress | None = None,
    problem_sink: ProblemSink | None = None,
) -> ImportRun:
    """Import ``source``'s books as ``run`` says (``CatalogImport``); see ``import_records``."""
    return import_records(
        source, run, CatalogImport(run), progress=progress, problem_sink=problem_sink
    )


def import_records(
    source: Source | Any,
    run: ImportRun,
    importer: Importer,
    *,
    progress: Progress | None = None,
    problem_sink: ProblemSink | None = None,
) -> ImportRun:
    """Run ``source``'s records through ``importer`` (checked ahead by the reader, written
    batch by batch: the module docstring says how dry runs, --strict and interruptions go) as
    ``run.options`` say; returns the run, finished. ``progress`` is called after each batch;
    ``problem_sink`` gets each record's number, problems and their severity (the report
    file)."""
    options = run.options or {}
    on_duplicate = options.get("on_duplicate", "skip")
    dry_run = bool(options.get("dry_run"))
    strict = bool(options.get("strict"))
    run.format, run.encoding, run.size = source.format, source.encoding or "", source.size
    run.status, run.started_at = ImportStatus.RUNNING, timezone.now()
    run.save()

    batches = read_ahead(source, BATCH_SIZE, importer.check)

    def one_batch(read: Batch) -> None:
        batch = read.items
        if dry_run and not strict:
            with transaction.atomic():
                outcomes = importer.write(batch, on_duplicate)
                transaction.set_rollback(True)
        else:
            outcomes = importer.write(batch, on_duplicate)
        if strict:
            for record, outcome in zip(batch, outcomes, strict=True):
                if outcome.result is Result.FAILED:
                    raise StrictStop(record.number, outcome.problems)
        run.bytes_read = read.bytes_read
        _record(run, batch, outcomes, problem_sink, keep_problems=not dry_run)
        if progress:
            progress(run)

    try:
        if strict:
            with transaction.atomic():
                for read in batches:
                    one_batch(read)
                if dry_run:
                    transaction.set_rollback(True)  # the counts live on in ``run``
        else:
            for read in batches:
                one_batch(read)
    except StrictStop as stop:
        # The transaction took the counts and problems of the batches before with it.
        run.refresh_from_db()
        run.failed = 1
        ImportProblem.objects.bulk_create(_problem_rows(run, stop.number, stop.problems))
        if problem_sink:
            problem_sink(stop.number, stop.problems, Severity.ERROR)
        return _finish(
            run,
            ImportStatus.FAILED,
            _("Stopped (--strict), nothing imported: %(problem)s") % {"problem": stop},
        )
    except KeyboardInterrupt:
        _finish(run, ImportStatus.FAILED, _interrupted(run))
        raise
    except Exception as error:
        logger.exception("Import %s crashed", run.pk)
        _finish(
            run,
            ImportStatus.FAILED,
            f"{_interrupted(run)} ({type(error).__name__}: {error})",
        )
        raise
    finally:
        batches.close()  # stops the reader, when the run stopped early
    if dry_run and run.problems.count() >= DRY_RUN_PROBLEMS_KEPT:
        run.message = ngettext(
            "The first %(kept)s problems are kept; %(failed)s record failed.",
            "The first %(kept)s problems are kept; %(failed)s records failed.",
            run.failed,
        ) % {
            "kept": number_format(DRY_RUN_PROBLEMS_KEPT, force_grouping=True),
            "failed": number_format(run.failed, force_grouping=True),
        }
    return _finish(run, ImportStatus.DONE, run.message)


def _count_repeats_once(
    batch: list[CheckedRecord], outcomes: list[Outcome], memory: KeyIndex[str]
) -> None:
    """In a dry run, a book created by an earlier (rolled back) batch is not there for the next
    one: one listed again later counts as met again, not as created twice, and one that may be
    it is reported as the real run would."""
    for record, outcome in zip(batch, outcomes, strict=True):
        if outcome.result is not Result.CREATED or outcome.key is None:
            continue
        same, near = memory.find(outcome.key)
        if same is not None:
            verdict = record.verdict
            copies = verdict.copies if isinstance(verdict, CleanBook) else []
            has_copies = any(copy["barcode"] for copy in copies)
            outcome.result = Result.UPDATED if has_copies else Result.SKIPPED
            continue
        outcome.warnings += [
            Problem(
                "title",
                POSSIBLE_DUPLICATE,
                _("a book earlier in this file: %(title)s") % {"title": title},
            )
            for title in near
        ]
        if isinstance(record.verdict, CleanBook):
            memory.add(outcome.key, record.verdict.fields["title"])


def _record(
    run: ImportRun,
    batch: list[Any],
    outcomes: list[Outcome],
    problem_sink: ProblemSink | None,
    *,
    keep_problems: bool,
) -> None:
    """The batch's counts, progress and problems, saved on the run (its own small transaction
    after the batch's, unless a strict or dry run holds one open)."""
    counts = dict.fromkeys(Result, 0)
    failures: list[ImportProblem] = []
    for record, outcome in zip(batch, outcomes, strict=True):
        counts[outcome.result] += 1
        for severity, problems in (
            (Severity.ERROR, outcome.problems),
            (Severity.WARNING, outcome.warnings),
        ):
            if not problems:
                continue
            if problem_sink:
                problem_sink(record.number, problems, severity)
            failures += _problem_rows(run, record.number, problems, severity)
            if severity == Severity.WARNING:
                run.warnings += len(problems)
    run.records += len(batch)
    run.created += counts[Result.CREATED]
    run.updated += counts[Result.UPDATED]
    run.skipped += counts[Result.SKIPPED]
    run.failed += counts[Result.FAILED]
    if not keep_problems:
        room = DRY_RUN_PROBLEMS_KEPT - run.problems.count()
        failures = failures[: max(room, 0)]
    ImportRun.objects.filter(pk=run.pk).update(
        records=run.records,
        created=run.created,
        updated=run.updated,
        skipped=run.skipped,
        failed=run.failed,
        warnings=run.warnings,
        bytes_read=run.bytes_read,
    )
    ImportProblem.objects.bulk_create(failures)


def report_row(number: int, field: str, reason: str, value: str, severity: str) -> list[int | str]:
    """One line of the report. A text a spreadsheet would run as a formula ("=HYPERLINK(…)" from
    a file) gets a leading apostrophe (``interchange.cells``): the value is seen, never run."""
    return [number, field, inert(str(reason)), inert(value), severity]


def _problem_rows(
    run: ImportRun, number: int, problems: list[Problem], severity: str = Severity.ERROR
) -> list[ImportProblem]:
    return [
        ImportProblem(
            run=run,
            number=number,
            field=p.field,
            reason=str(p.reason),
            value=p.value,
            severity=severity,
        )
        for p in problems
    ]


def _interrupted(run: ImportRun) -> str:
    return ngettext(
        "Interrupted after %(count)s record; every batch before is in. Run the same import "
        "again to finish it: what is in already is matched, not added twice.",
        "Interrupted after %(count)s records; every batch before is in. Run the same import "
        "again to finish it: what is in already is matched, not added twice.",
        run.records,
    ) % {"count": number_format(run.records, force_grouping=True)}


def _finish(run: ImportRun, status: str, message: str) -> ImportRun:
    run.status, run.message, run.finished_at = status, message, timezone.now()
    run.save()
    return run
