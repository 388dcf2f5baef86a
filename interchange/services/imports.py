"""Running an import: a file's records, in batches, through the catalog's bulk service.

One run, from the command line or a worker, goes like this:

- The records stream from the reader (``interchange.formats``) in batches of ``BATCH_SIZE``;
  memory holds one batch, whatever the size of the file.
- Each batch is one transaction (``catalog.services.bulk.books_import``): valid records go in,
  each bad one fails with every problem it has and leaves nothing behind. The batch's counts and
  problems are saved on the run in the same transaction, so a page can show them while the run
  goes on, and a run cut short (Ctrl-C, a crash, a killed worker) leaves whole batches only, with
  the run's counts saying exactly what is in the catalog; running the file again resumes it,
  since books already in the catalog are matched rather than added twice.
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
from django.db.models import F
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
from interchange.run_locks import run_lock
from interchange.services.reading import Batch, read_ahead
from shelfmark.transactions import service_transaction

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
    file). The run's lock is held throughout (``interchange.run_locks``): a RUNNING run whose
    lock is free has no process running it any more."""
    with run_lock(run.pk) as taken:
        if not taken:
            raise RuntimeError(f"Import run {run.pk} is being run by another process.")
        return _import_records(source, run, importer, progress, problem_sink)


def _import_records(
    source: Source | Any,
    run: ImportRun,
    importer: Importer,
    progress: Progress | None,
    problem_sink: ProblemSink | None,
) -> ImportRun:
    options = run.options or {}
    on_duplicate = options.get("on_duplicate", "skip")
    dry_run = bool(options.get("dry_run"))
    strict = bool(options.get("strict"))
    run.format, run.encoding, run.size = source.format, source.encoding or "", source.size
    run.status, run.started_at = ImportStatus.RUNNING, timezone.now()
    run.save()

    batches = read_ahead(source, BATCH_SIZE, importer.check)

    def one_batch(read: Batch) -> None:
        batch, read_so_far = read.items, read.bytes_read
        if strict:
            outcomes = importer.write(batch, on_duplicate)
            for record, outcome in zip(batch, outcomes, strict=True):
                if outcome.result is Result.FAILED:
                    raise StrictStop(record.number, outcome.problems)
            tally = _tally_saved(run, batch, outcomes, read_so_far, keep_problems=not dry_run)
        elif dry_run:
            with transaction.atomic():
                outcomes = importer.write(batch, on_duplicate)
                transaction.set_rollback(True)
            tally = _tally_saved(run, batch, outcomes, read_so_far, keep_problems=False)
        else:
            tally = _batch_imported(run, importer, batch, read_so_far, on_duplicate)
        _tally_applied(run, tally, problem_sink)
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


class Tally(NamedTuple):
    """What one batch added to its run: counts, and the problems to report."""

    counts: dict[Result, int]
    records: int
    warnings: int
    bytes_read: int  # of the file, to the end of the batch
    reported: list[tuple[int, list[Problem], str]]  # for the sink: number, problems, severity


@service_transaction
def _batch_imported(
    run: ImportRun, importer: Importer, batch: list[Any], bytes_read: int, on_duplicate: str
) -> Tally:
    """A batch written and its tally saved on the run, in one transaction: a process killed
    between the two would leave books the run's counts do not show. Retried whole after a
    deadlock (``service_transaction``); the run in memory changes only after it committed."""
    outcomes = importer.write(batch, on_duplicate)
    return _tally_saved(run, batch, outcomes, bytes_read, keep_problems=True)


def _tally_saved(
    run: ImportRun,
    batch: list[Any],
    outcomes: list[Outcome],
    bytes_read: int,
    *,
    keep_problems: bool,
) -> Tally:
    """The batch's tally, added to the run's row (in the transaction open, if one is: the
    batch's own, or a strict run's) and its problems stored; ``keep_problems`` false (a dry run)
    keeps the first ``DRY_RUN_PROBLEMS_KEPT`` of the run only."""
    counts = dict.fromkeys(Result, 0)
    problems: list[ImportProblem] = []
    reported: list[tuple[int, list[Problem], str]] = []
    warnings = 0
    for record, outcome in zip(batch, outcomes, strict=True):
        counts[outcome.result] += 1
        for severity, found in (
            (Severity.ERROR, outcome.problems),
            (Severity.WARNING, outcome.warnings),
        ):
            if not found:
                continue
            reported.append((record.number, found, severity))
            problems += _problem_rows(run, record.number, found, severity)
            if severity == Severity.WARNING:
                warnings += len(found)
    if not keep_problems:
        room = DRY_RUN_PROBLEMS_KEPT - run.problems.count()
        problems = problems[: max(room, 0)]
    ImportRun.objects.filter(pk=run.pk).update(
        records=F("records") + len(batch),
        created=F("created") + counts[Result.CREATED],
        updated=F("updated") + counts[Result.UPDATED],
        skipped=F("skipped") + counts[Result.SKIPPED],
        failed=F("failed") + counts[Result.FAILED],
        warnings=F("warnings") + warnings,
        bytes_read=bytes_read,
    )
    ImportProblem.objects.bulk_create(problems)
    return Tally(counts, len(batch), warnings, bytes_read, reported)


def _tally_applied(run: ImportRun, tally: Tally, problem_sink: ProblemSink | None) -> None:
    """The saved tally, on the run in memory, and its problems to the sink (the report file)."""
    run.records += tally.records
    run.created += tally.counts[Result.CREATED]
    run.updated += tally.counts[Result.UPDATED]
    run.skipped += tally.counts[Result.SKIPPED]
    run.failed += tally.counts[Result.FAILED]
    run.warnings += tally.warnings
    run.bytes_read = tally.bytes_read
    if problem_sink:
        for number, problems, severity in tally.reported:
            problem_sink(number, problems, severity)


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
