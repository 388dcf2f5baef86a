"""Stocktakes: start one, scan copies into it, close it, and mark what it did not see missing.

A scan is recorded whatever it finds, and what it finds is said at once (the outcome and a
sentence for the person scanning). The stocktake's row is locked for each scan (FOR NO KEY
UPDATE, held for the few statements of one scan), so a close waits for the scans under way and
no scan lands in a closed stocktake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from catalog.models import CopyStatus
from catalog.rules import clean_barcode
from catalog.services.copies import copies_mark_missing, copy_mark_seen
from shelfmark.errors import Conflict, InvalidInput, NotAllowed, RuleError
from shelfmark.transactions import lock_row, service_transaction
from shelfmark.users import signed_in
from stocktake import selectors
from stocktake.models import ScanOutcome, Stocktake, StocktakeScan, StocktakeStatus

# Who may mark copies missing: the catalog's own permission on copies, beside the stocktake's.
MARK_MISSING_PERMISSION = "catalog.change_copy"
_STATUS_OUTCOMES: dict[str, ScanOutcome] = {
    CopyStatus.ON_LOAN: ScanOutcome.ON_LOAN,
    CopyStatus.ON_HOLD_SHELF: ScanOutcome.ON_HOLD_SHELF,
}


@dataclass(frozen=True)
class ScanResult:
    scan: StocktakeScan
    message: str
    book_title: str = ""


@service_transaction
def stocktake_start(
    *,
    name: str = "",
    location: str = "",
    call_number_from: str = "",
    call_number_to: str = "",
    by: Any = None,
) -> Stocktake:
    location, low, high = (
        " ".join(value.split()) for value in (location, call_number_from, call_number_to)
    )
    if low and high and low > high and not low.startswith(high):
        raise InvalidInput(
            f"The call numbers run from {low} to {high}: the first must come before the last.",
            field="call_number_to",
        )
    name = " ".join(name.split()) or _default_name(location, low, high)
    if len(name) > 200:
        raise InvalidInput("A stocktake's name is at most 200 characters.", field="name")
    return Stocktake.objects.create(
        name=name,
        location=location,
        call_number_from=low,
        call_number_to=high,
        started_by=signed_in(by),
    )


def _default_name(location: str, low: str, high: str) -> str:
    where = location or "the whole library"
    if low or high:
        where += f", call numbers {low or '…'} to {high or '…'}"
    return f"Stocktake of {where}, {timezone.localdate():%Y-%m-%d}"


@service_transaction
def stocktake_scan(*, stocktake: Stocktake, barcode: str, by: Any = None) -> ScanResult:
    """Record a scan of ``barcode`` and say what it found; a copy scanned is seen today."""
    try:
        code = clean_barcode(barcode)
    except RuleError as error:
        raise InvalidInput(str(error), field="barcode") from None
    stocktake = lock_row(Stocktake, stocktake.pk, no_key=True)
    _refuse_if_closed(stocktake)
    copy = selectors.copy_for_scan(stocktake, code)
    scan = StocktakeScan(
        stocktake=stocktake,
        barcode=code,
        scanned_by=signed_in(by),
    )
    if copy is None:
        scan.outcome = ScanOutcome.UNKNOWN
        scan.save()
        return ScanResult(scan, f"{code}: no copy has this barcode. Put the book aside.")
    scan.copy = copy
    scan.copy_status = copy.status
    title = copy.book.title
    if copy.status in _STATUS_OUTCOMES:
        scan.outcome = _STATUS_OUTCOMES[copy.status]
        message = (
            f"{code} ({title}) is on loan, yet it is here: check it in at the desk."
            if copy.status == CopyStatus.ON_LOAN
            else f"{code} ({title}) belongs on the hold shelf, for the patron waiting for it."
        )
    elif copy.status != CopyStatus.AVAILABLE:
        scan.outcome = ScanOutcome.NOT_AVAILABLE
        message = (
            f"{code} ({title}) is marked {copy.get_status_display().lower()}: it is here; "
            "check it in at the desk to put it back on the shelf, or set it aside."
        )
    elif not copy.in_scope:  # type: ignore[attr-defined]  # an annotation of copy_for_scan
        scan.outcome = ScanOutcome.ELSEWHERE
        where = ", ".join(part for part in (copy.location, copy.call_number) if part) or "no shelf"
        message = f"{code} ({title}) belongs elsewhere: {where}."
    elif copy.scanned:  # type: ignore[attr-defined]  # an annotation of copy_for_scan
        scan.outcome = ScanOutcome.ALREADY_SEEN
        message = f"{code} ({title}) was scanned before."
    else:
        scan.outcome = ScanOutcome.SEEN
        message = f"{code}: {title}."
    scan.save()
    copy_mark_seen(copy_id=copy.pk, day=timezone.localdate())
    return ScanResult(scan, message, title)


@service_transaction
def stocktake_close(*, stocktake: Stocktake, by: Any = None) -> Stocktake:
    """Close the stocktake (no more scans); closing a closed one changes nothing."""
    stocktake = lock_row(Stocktake, stocktake.pk)
    if stocktake.status == StocktakeStatus.OPEN:
        stocktake.status = StocktakeStatus.CLOSED
        stocktake.closed_at = timezone.now()
        stocktake.closed_by = signed_in(by)
        stocktake.save(update_fields=["status", "closed_at", "closed_by"])
    return stocktake


@service_transaction
def stocktake_mark_missing(*, stocktake: Stocktake, by: Any) -> int:
    """Mark missing every copy the closed stocktake expected and did not see (those still on
    the shelf now); how many."""
    if by is None or not by.has_perm(MARK_MISSING_PERMISSION):
        raise NotAllowed(
            "Marking copies missing needs the permission to change copies"
            f" ({MARK_MISSING_PERMISSION}).",
            code="permission_denied",
        )
    stocktake = lock_row(Stocktake, stocktake.pk)
    if stocktake.status != StocktakeStatus.CLOSED:
        raise Conflict(
            "Close the stocktake first: copies are marked missing once every shelf is scanned.",
            code="stocktake_open",
        )
    marked = copies_mark_missing(copies=selectors.not_seen(stocktake))
    stocktake.missing_marked_at = timezone.now()
    stocktake.missing_marked += marked
    stocktake.save(update_fields=["missing_marked_at", "missing_marked"])
    return marked


def _refuse_if_closed(stocktake: Stocktake) -> None:
    if stocktake.status != StocktakeStatus.OPEN:
        closed = timezone.localtime(stocktake.closed_at) if stocktake.closed_at else None
        raise Conflict(
            f"The stocktake '{stocktake.name}' was closed"
            + (f" on {closed:%Y-%m-%d at %H:%M}" if closed else "")
            + ": start a new one to scan more.",
            code="stocktake_closed",
        )
