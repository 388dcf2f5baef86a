"""Reads of stocktakes: which copies a stocktake expects on its shelves, which it saw and which
it did not, its rows for the API and the pages, and its latest scans."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
)

from catalog.models import Copy, CopyStatus
from shelfmark.rows import Row, RowShape, add_counts, renamed
from stocktake.models import SURPRISES, ScanOutcome, Stocktake, StocktakeScan

# Scans that saw the copy where the stocktake counts (a copy scanned on the wrong shelf was seen
# too: it is found, not missing).
_SAW = (ScanOutcome.SEEN, ScanOutcome.ALREADY_SEEN, ScanOutcome.ELSEWHERE)


def in_scope(stocktake: Stocktake) -> Q:
    """The copies on the stocktake's shelves (its location, its call number range)."""
    scope = Q()
    if stocktake.location:
        scope &= Q(location__iexact=stocktake.location)
    if stocktake.call_number_from:
        scope &= Q(call_number__gte=stocktake.call_number_from)
    if stocktake.call_number_to:
        up_to = stocktake.call_number_to
        scope &= Q(call_number__lte=up_to) | Q(call_number__startswith=up_to)
    return scope


def copy_for_scan(stocktake: Stocktake, barcode: str) -> Copy | None:
    """The copy with ``barcode``, its book's title, whether it is on the stocktake's shelves
    (``in_scope``) and whether this stocktake scanned it before (``scanned``): one query."""
    scope = in_scope(stocktake)
    return (
        Copy.objects.filter(barcode=barcode)
        .select_related("book")
        .only("id", "barcode", "status", "location", "call_number", "book__title")
        .annotate(
            in_scope=ExpressionWrapper(scope, output_field=BooleanField())
            if scope
            else Value(True),
            scanned=Exists(
                StocktakeScan.objects.filter(stocktake=stocktake, copy_id=OuterRef("pk"))
            ),
        )
        .first()
    )


def expected_copies(stocktake: Stocktake) -> QuerySet[Copy]:
    """The copies the stocktake expects to find: on its shelves, and on the shelf (available)."""
    return Copy.objects.filter(in_scope(stocktake), status=CopyStatus.AVAILABLE)


def not_seen(stocktake: Stocktake) -> QuerySet[Copy]:
    """The expected copies no scan of this stocktake saw, by call number."""
    seen = StocktakeScan.objects.filter(
        stocktake=stocktake, outcome__in=_SAW, copy__isnull=False
    ).values("copy_id")
    return expected_copies(stocktake).exclude(pk__in=seen).order_by("call_number", "barcode")


NOT_SEEN_COLUMNS = (
    "id",
    "barcode",
    "book_id",
    "book_title",
    "call_number",
    "location",
    "last_seen",
)


def not_seen_rows(stocktake: Stocktake) -> list[Row]:
    rows = not_seen(stocktake).annotate(book_title=F("book__title")).values(*NOT_SEEN_COLUMNS)
    return renamed(book_id="book")(list(rows))


def _with_counts(rows: list[Row], *, viewer: Any = None) -> list[Row]:
    surprises = ", ".join(f"'{outcome}'" for outcome in sorted(SURPRISES))
    saw = ", ".join(f"'{outcome}'" for outcome in sorted(_SAW))
    add_counts(
        rows,
        table=StocktakeScan._meta.db_table,
        per="stocktake_id",
        counts={
            "scans": "count(*)",
            "seen": f"count(DISTINCT copy_id) FILTER (WHERE outcome IN ({saw}))",
            "surprises": f"count(*) FILTER (WHERE outcome IN ({surprises}))",
        },
    )
    return rows


STOCKTAKE_ROWS = RowShape(
    columns=(
        "id",
        "name",
        "location",
        "call_number_from",
        "call_number_to",
        "status",
        "started_by_name",
        "started_at",
        "closed_by_name",
        "closed_at",
        "missing_marked_at",
        "missing_marked",
    ),
    annotations=lambda: {
        "started_by_name": F("started_by__username"),
        "closed_by_name": F("closed_by__username"),
    },
    represent=_with_counts,
)


def scan_counts(stocktake: Stocktake) -> dict[str, int]:
    """How many different copies the stocktake saw, and how many scans were surprises: what
    the scanning page updates after each scan (one query over its scans, not the shelves)."""
    return StocktakeScan.objects.filter(stocktake=stocktake).aggregate(
        seen=Count("copy_id", distinct=True, filter=Q(outcome__in=_SAW)),
        surprises=Count("id", filter=Q(outcome__in=SURPRISES)),
    )


def stocktake_detail(stocktake: Stocktake) -> Row:
    """The stocktake's row, with how many copies it expects and how many of those it has not
    seen yet: its page's and the API's detail (four queries)."""
    (row,) = STOCKTAKE_ROWS.present(STOCKTAKE_ROWS.rows(Stocktake.objects.filter(pk=stocktake.pk)))
    return {
        **row,
        "expected": expected_copies(stocktake).count(),
        "not_seen": not_seen(stocktake).count(),
    }


SCAN_COLUMNS = (
    "id",
    "barcode",
    "copy_id",
    "outcome",
    "copy_status",
    "scanned_at",
    "book_title",
    "call_number",
    "location",
)


def latest_scans(stocktake: Stocktake, *, limit: int = 50) -> list[Row]:
    """The stocktake's latest scans, the newest first, with what they found."""
    scans = (
        StocktakeScan.objects.filter(stocktake=stocktake)
        .annotate(
            book_title=F("copy__book__title"),
            call_number=F("copy__call_number"),
            location=F("copy__location"),
        )
        .order_by("-id")
        .values(*SCAN_COLUMNS)[:limit]
    )
    return [{**scan, "outcome_label": ScanOutcome(scan["outcome"]).label} for scan in scans]
