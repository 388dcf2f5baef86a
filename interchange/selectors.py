"""Reads for exports, and for the staff website's import pages.

Exports: the whole catalog as ``ExportBook`` rows, streamed in chunks.

A chunk is ``CHUNK_SIZE`` books read by id (keyset, never OFFSET) with their authors, subjects
and copies in three more queries, so memory holds one chunk whatever the catalog's size, and
the first chunk is ready at once. The columns are the declared ones (``interchange.columns``).
Order is fixed — books by id (the order an import created them in), authors in title-page
order, subjects in the book's own order (the order they were given: the link table's id),
copies by barcode, sorted in Python (the same on SQLite and PostgreSQL, whose collations
differ) — so exporting twice gives the same file, and an export imported and exported again
too.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Collection, Iterator
from typing import Any

from django.db.models import Count
from django.utils import timezone

from catalog.models import Book, BookAuthor, Copy
from interchange.columns import BOOK_FIELDS, COPY_FIELDS, export_book, export_copy
from interchange.models import ImportProblem, ImportRun, ImportStatus, Severity
from interchange.records import ExportBook, ExportCopy
from interchange.run_locks import runs_held
from shelfmark import keyset

CHUNK_SIZE = 1000


def export_books(*, chunk_size: int | None = None) -> Iterator[ExportBook]:
    """Every book of the catalog, with its authors, subjects and copies."""
    chunk_size = chunk_size or CHUNK_SIZE
    after = 0
    while True:
        books = list(
            Book.objects.filter(pk__gt=after).order_by("pk").values("pk", *BOOK_FIELDS)[:chunk_size]
        )
        if not books:
            return
        after = books[-1]["pk"]
        yield from _export_rows(books)


def export_books_by_id(ids: list[int]) -> list[ExportBook]:
    """The books with these ids (a page of them: four queries), in the order given."""
    found = export_books_keyed(ids)
    return [found[book_id] for book_id in ids if book_id in found]


def export_books_keyed(ids: Collection[int]) -> dict[int, ExportBook]:
    """The books with these ids by id (four queries); an id no book has is left out."""
    books = list(Book.objects.filter(pk__in=ids).values("pk", *BOOK_FIELDS))
    keys = [book["pk"] for book in books]
    return dict(zip(keys, _export_rows(books), strict=True))


def _export_rows(books: list[dict[str, Any]]) -> Iterator[ExportBook]:
    """``books`` (rows with "pk" and BOOK_FIELDS) with their authors, subjects and copies."""
    ids = [book["pk"] for book in books]
    authors: dict[int, list[str]] = defaultdict(list)
    for book_id, name in (
        BookAuthor.objects.filter(book_id__in=ids)
        .order_by("book_id", "position")
        .values_list("book_id", "author__name")
    ):
        authors[book_id].append(name)
    subjects: dict[int, list[str]] = defaultdict(list)
    for book_id, name in (
        Book.subjects.through.objects.filter(book_id__in=ids)
        .order_by("book_id", "id")
        .values_list("book_id", "subject__name")
    ):
        subjects[book_id].append(name)
    copies: dict[int, list[ExportCopy]] = defaultdict(list)
    for copy in Copy.objects.filter(book_id__in=ids).values("book_id", *COPY_FIELDS):
        book_id = copy.pop("book_id")
        copies[book_id].append(export_copy(copy))
    for book in books:
        pk = book.pop("pk")
        yield export_book(
            book,
            authors=authors[pk],
            subjects=subjects[pk],
            copies=sorted(copies[pk], key=lambda copy: copy["barcode"]),
        )


# --- Imports -------------------------------------------------------------------------------------

# No news from a queued or running run for this long: its worker is gone (or none runs). A
# batch of 1000 records takes seconds, so this is generous.
STALLED_AFTER = datetime.timedelta(minutes=15)
# Newest first; the id breaks ties (keyset paging needs a unique last column), and the model's
# index (importrun_recent_idx) serves exactly this order.
IMPORT_RUN_ORDERING = ("-created_at", "-id")
IMPORT_RUN_LIST_FIELDS = (
    "id",
    "kind",
    "status",
    "created_at",
    "finished_at",
    "last_progress_at",
    "started_at",
    "source_name",
    "options",
    "records",
    "created",
    "updated",
    "skipped",
    "failed",
    "warnings",
    "created_by__username",
)
REPORT_CHUNK_SIZE = 2000


def is_stalled(
    *,
    status: str,
    last_seen: datetime.datetime | None,
    now: datetime.datetime | None = None,
) -> bool:
    """Queued or running, and nothing heard of the run for ``STALLED_AFTER``."""
    if status not in (ImportStatus.QUEUED, ImportStatus.RUNNING) or last_seen is None:
        return False
    return (now or timezone.now()) - last_seen > STALLED_AFTER


def run_is_stalled(run: ImportRun, *, now: datetime.datetime | None = None) -> bool:
    """``is_stalled``, or running with no process holding it any more (``run_is_abandoned``)."""
    return _no_news_for_long(run, now) or run_is_abandoned(run)


def run_is_abandoned(run: ImportRun) -> bool:
    """Running, and no live process runs it (``runs_abandoned``)."""
    return run.status == ImportStatus.RUNNING and bool(runs_abandoned([run.pk]))


def runs_abandoned(running: Collection[int]) -> set[int]:
    """Which of the ``running`` runs' ids no live process runs: the one that did ended (killed,
    its container stopped) before it could say so (``interchange.run_locks``)."""
    return set(running) - runs_held(running)


def import_run_page(
    *, kinds: Collection[str], size: int, position: keyset.Position | None = None
) -> keyset.Page[dict[str, Any]]:
    """A page of past runs of ``kinds``, newest first, as dicts (one query, whatever the page
    size, and one more when a run is running): who, when, which file, the status and counts,
    and whether the run looks stalled."""
    rows = ImportRun.objects.filter(kind__in=kinds).values(*IMPORT_RUN_LIST_FIELDS)
    page = keyset.page(rows, ordering=IMPORT_RUN_ORDERING, size=size, position=position)
    now = timezone.now()
    abandoned = runs_abandoned(
        [row["id"] for row in page.rows if row["status"] == ImportStatus.RUNNING]
    )
    for row in page.rows:
        row["dry_run"] = bool((row["options"] or {}).get("dry_run"))
        row["stalled"] = row["id"] in abandoned or is_stalled(
            status=row["status"], last_seen=_last_seen(row), now=now
        )
    return page


def import_run_detail(pk: int) -> ImportRun | None:
    """One run, with who started it (one query)."""
    return ImportRun.objects.select_related("created_by").filter(pk=pk).first()


def import_run_progress(run: ImportRun, *, now: datetime.datetime | None = None) -> dict[str, Any]:
    """How far the run is, from its row (so a reload or another process sees the same): what
    the progress page shows and its JSON endpoint returns."""
    size = run.size or 0
    percent = min(100, int(run.bytes_read * 100 / size)) if size else None
    abandoned = run_is_abandoned(run)
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "finished": run.status in (ImportStatus.DONE, ImportStatus.FAILED),
        "stalled": abandoned or _no_news_for_long(run, now),
        "abandoned": abandoned,  # its worker ended: recover_imports runs it again
        "bytes_read": run.bytes_read,
        "size": run.size,
        "percent": percent,
        "records": run.records,
        "created": run.created,
        "updated": run.updated,
        "skipped": run.skipped,
        "failed": run.failed,
        "warnings": run.warnings,
        "message": run.message,
    }


def import_problems_first(run_id: int, *, limit: int) -> list[dict[str, Any]]:
    """The run's first ``limit`` problems, in the order they were met."""
    rows = (
        ImportProblem.objects.filter(run_id=run_id)
        .order_by("id")
        .values("number", "field", "reason", "value", "severity")[:limit]
    )
    return [dict(row) for row in rows]


def import_problem_count(run_id: int) -> int:
    return ImportProblem.objects.filter(run_id=run_id).count()


def warning_counts(run_id: int) -> list[tuple[str, int]]:
    """How many times each warning was given in the run, most frequent first: what the summary
    says was noticed and done (the report has each with its record). A warning's reason is a
    fixed text, its details go in the value, so equal reasons count together."""
    rows = (
        ImportProblem.objects.filter(run_id=run_id, severity=Severity.WARNING)
        .values("reason")
        .annotate(count=Count("id"))
        .order_by("-count", "reason")
    )
    return [(row["reason"], row["count"]) for row in rows]


def import_report_rows(run_id: int) -> Iterator[tuple[int, str, str, str, str]]:
    """Every problem and warning of the run as a row of the report (line or record number,
    field, reason, value, severity), streamed from the database in chunks: a file with a million
    bad rows does not sit in memory."""
    return (
        ImportProblem.objects.filter(run_id=run_id)
        .order_by("id")
        .values_list("number", "field", "reason", "value", "severity")
        .iterator(chunk_size=REPORT_CHUNK_SIZE)
    )


def _last_seen(row: dict[str, Any]) -> datetime.datetime | None:
    return row.get("last_progress_at") or row.get("started_at") or row.get("created_at")


def _no_news_for_long(run: ImportRun, now: datetime.datetime | None) -> bool:
    last_seen = run.last_progress_at or run.started_at or run.created_at
    return is_stalled(status=run.status, last_seen=last_seen, now=now)
