"""Which copies get labels: a list of barcodes, the copies added since a day, the copies an
import run added, or the copies of the books a search finds. Each is one query, capped at
MOST_LABELS: more is refused with the count, never cut short in silence."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import Book, Copy
from catalog.rules import clean_barcode
from catalog.selectors import book_search
from interchange.models import ImportKind, ImportRun
from labels.kinds import LabelCopy, listed
from shelfmark.errors import InvalidInput, RuleError

# One PDF's labels: 3,000 is about 140 sheets of L7160, and a few seconds' drawing.
MOST_LABELS = 3_000
_COLUMNS = ("barcode", "call_number", "book__title")


def copies_by_barcodes(barcodes: Sequence[str]) -> list[LabelCopy]:
    """The copies with these barcodes, in the order given (each once); any barcode the catalog
    does not have is refused, named."""
    codes: list[str] = []
    malformed: list[str] = []
    for raw in barcodes:
        try:
            code = clean_barcode(raw)
        except RuleError:
            if raw.strip():
                malformed.append(raw.strip())
            continue
        codes.append(code)
    if malformed:
        raise InvalidInput(
            _("Not barcodes: %(codes)s.") % {"codes": listed(malformed)}, field="copies"
        )
    codes = list(dict.fromkeys(codes))  # each once, in the order first given
    _no_more_than(len(codes))
    found = {row.barcode: row for row in _label_copies(Copy.objects.filter(barcode__in=codes))}
    if unknown := [code for code in codes if code not in found]:
        raise InvalidInput(
            _("No copy has the barcode %(codes)s.") % {"codes": listed(unknown)}
            if len(unknown) == 1
            else ngettext(
                "%(count)d barcode belongs to no copy: %(codes)s.",
                "%(count)d barcodes belong to no copy: %(codes)s.",
                len(unknown),
            )
            % {"count": len(unknown), "codes": listed(unknown)},
            code="unknown_barcode",
            field="copies",
        )
    return [found[code] for code in codes]


def copies_added_since(day: datetime.date) -> list[LabelCopy]:
    """The copies added on ``day`` (the library's time zone) or later, as they were added."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return _capped(Copy.objects.filter(created_at__gte=start).order_by("created_at", "id"))


def copies_of_import_run(run_id: int) -> list[LabelCopy]:
    """The copies added while the catalog import ``run_id`` ran, as they were added. An
    import writes its copies between its start and its end, so these are its copies, and
    any a person added at the desk in those same minutes."""
    run = ImportRun.objects.filter(pk=run_id).first()
    if run is None or run.kind != ImportKind.CATALOG:
        raise InvalidInput(
            _("There is no catalog import %(id)s.") % {"id": run_id},
            code="unknown_import_run",
            field="import_run",
        )
    if run.options.get("dry_run") or run.started_at is None:
        raise InvalidInput(
            _("Import %(id)s added no copies: it was a preview or has not started.")
            % {"id": run_id},
            code="import_added_nothing",
            field="import_run",
        )
    copies = Copy.objects.filter(created_at__gte=run.started_at)
    if run.finished_at is not None:
        copies = copies.filter(created_at__lte=run.finished_at)
    return _capped(copies.order_by("created_at", "id"))


def copies_found_by(query: str) -> list[LabelCopy]:
    """The copies of the books a catalog search finds (as the catalog page finds them), by
    title."""
    books = book_search(Book.objects.all(), query).values("id")
    ranked = Copy.objects.filter(book__in=books)
    return _capped(ranked.order_by("book__title", "book_id", "barcode"))


def _capped(copies: QuerySet[Copy]) -> list[LabelCopy]:
    rows = _label_copies(copies[: MOST_LABELS + 1])
    _no_more_than(len(rows))
    return rows


def _label_copies(copies: QuerySet[Copy]) -> list[LabelCopy]:
    return [LabelCopy(*row) for row in copies.values_list(*_COLUMNS)]


def _no_more_than(count: int) -> None:
    if count > MOST_LABELS:
        raise InvalidInput(
            _(
                "That is more than %(most)s copies: print at most %(most)s labels at a time (a"
                " shorter list of barcodes, or a later day)."
            )
            % {"most": formats.number_format(MOST_LABELS, force_grouping=True)},
            code="too_many_labels",
        )


def recent_import_runs(limit: int = 20) -> list[tuple[int, str]]:
    """The latest catalog imports that ran (not previews), for the labels page to offer:
    (id, what a person recognises it by)."""
    runs = (
        ImportRun.objects.filter(kind=ImportKind.CATALOG, started_at__isnull=False)
        .exclude(options__dry_run=True)
        .order_by("-created_at", "-id")
        .values_list("id", "source_name", "started_at", "created")[:limit]
    )
    return [
        (
            run_id,
            ngettext(
                "%(name)s, %(started)s (%(count)s book)",
                "%(name)s, %(started)s (%(count)s books)",
                created,
            )
            % {
                "name": name,
                "started": formats.date_format(
                    timezone.localtime(started), "SHORT_DATETIME_FORMAT"
                ),
                "count": formats.number_format(created, force_grouping=True),
            },
        )
        for run_id, name, started, created in runs
    ]
