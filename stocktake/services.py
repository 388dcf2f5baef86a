"""Stocktakes: start one, scan copies into it, close it, and mark what it did not see missing.

A scan is recorded whatever it finds, and what it finds is said at once (the outcome and a
sentence for the person scanning). The stocktake's row is locked for each scan (FOR NO KEY
UPDATE, held for the few statements of one scan), so a close waits for the scans under way and
no scan lands in a closed stocktake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from catalog.models import CopyStatus, copy_status_in_sentence
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
            _("The call numbers run from %(low)s to %(high)s: the first must come before the last.")
            % {"low": low, "high": high},
            field="call_number_to",
        )
    name = " ".join(name.split()) or _default_name(location, low, high)
    if len(name) > 200:
        raise InvalidInput(_("A stocktake's name is at most 200 characters."), field="name")
    return Stocktake.objects.create(
        name=name,
        location=location,
        call_number_from=low,
        call_number_to=high,
        started_by=signed_in(by),
    )


def _default_name(location: str, low: str, high: str) -> str:
    """The name of a stocktake started without one, in the language of whoever starts it (it
    is stored: everyone sees it so). The day stays ISO: a name is sorted and searched by it."""
    values = {
        "location": location,
        "low": low or "…",
        "high": high or "…",
        "day": f"{timezone.localdate():%Y-%m-%d}",
    }
    if low or high:
        if location:
            return (
                _("Stocktake of %(location)s, call numbers %(low)s to %(high)s, %(day)s") % values
            )
        return (
            _("Stocktake of the whole library, call numbers %(low)s to %(high)s, %(day)s") % values
        )
    if location:
        return _("Stocktake of %(location)s, %(day)s") % values
    return _("Stocktake of the whole library, %(day)s") % values


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
        return ScanResult(
            scan, _("%(code)s: no copy has this barcode. Put the book aside.") % {"code": code}
        )
    scan.copy = copy
    scan.copy_status = copy.status
    title = copy.book.title
    values = {"code": code, "title": title}
    if copy.status in _STATUS_OUTCOMES:
        scan.outcome = _STATUS_OUTCOMES[copy.status]
        message = (
            _("%(code)s (%(title)s) is on loan, yet it is here: check it in at the desk.")
            if copy.status == CopyStatus.ON_LOAN
            else _("%(code)s (%(title)s) belongs on the hold shelf, for the patron waiting for it.")
        ) % values
    elif copy.status != CopyStatus.AVAILABLE:
        scan.outcome = ScanOutcome.NOT_AVAILABLE
        message = _(
            "%(code)s (%(title)s) is marked %(status)s: it is here; check it in at the desk to "
            "put it back on the shelf, or set it aside."
        ) % {**values, "status": copy_status_in_sentence(copy.status)}
    elif not copy.in_scope:  # type: ignore[attr-defined]  # an annotation of copy_for_scan
        scan.outcome = ScanOutcome.ELSEWHERE
        where = ", ".join(part for part in (copy.location, copy.call_number) if part)
        message = (
            _("%(code)s (%(title)s) belongs elsewhere: %(where)s.") % {**values, "where": where}
            if where
            else _("%(code)s (%(title)s) belongs elsewhere: no shelf.") % values
        )
    elif copy.scanned:  # type: ignore[attr-defined]  # an annotation of copy_for_scan
        scan.outcome = ScanOutcome.ALREADY_SEEN
        message = _("%(code)s (%(title)s) was scanned before.") % values
    else:
        scan.outcome = ScanOutcome.SEEN
        message = _("%(code)s: %(title)s.") % values
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
            _("Marking copies missing needs the permission to change copies (%(permission)s).")
            % {"permission": MARK_MISSING_PERMISSION},
            code="permission_denied",
        )
    stocktake = lock_row(Stocktake, stocktake.pk)
    if stocktake.status != StocktakeStatus.CLOSED:
        raise Conflict(
            _("Close the stocktake first: copies are marked missing once every shelf is scanned."),
            code="stocktake_open",
        )
    marked = copies_mark_missing(copies=selectors.not_seen(stocktake))
    stocktake.missing_marked_at = timezone.now()
    stocktake.missing_marked += marked
    stocktake.save(update_fields=["missing_marked_at", "missing_marked"])
    return marked


def _refuse_if_closed(stocktake: Stocktake) -> None:
    if stocktake.status != StocktakeStatus.OPEN:
        if stocktake.closed_at:
            closed = timezone.localtime(stocktake.closed_at)
            message = _(
                "The stocktake '%(name)s' was closed on %(day)s at %(time)s: start a new one to "
                "scan more."
            ) % {
                "name": stocktake.name,
                "day": formats.date_format(closed, "SHORT_DATE_FORMAT"),
                "time": formats.time_format(closed, "TIME_FORMAT"),
            }
        else:
            message = _("The stocktake '%(name)s' was closed: start a new one to scan more.") % {
                "name": stocktake.name
            }
        raise Conflict(message, code="stocktake_closed")
