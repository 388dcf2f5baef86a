"""The staff stocktake pages (/staff/stocktake/): start one, scan the shelves, close it, see
what was not seen and mark it missing.

The scan form works without JavaScript (each scan posts and comes back to the page). With it,
stocktake.js keeps the page for a USB scanner, as the desk does: each Enter queues the code at
once and the queue posts the scans in order, each with its own Idempotency-Key, kept in the
browser's storage until answered, so nothing typed at a scanner's speed is lost.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shelfmark import pages
from shelfmark.downloads import csv_download
from shelfmark.errors import DomainError, InvalidInput
from stocktake import selectors, services
from stocktake.forms import ScanForm, StartForm
from stocktake.models import SURPRISES, Stocktake, StocktakeStatus

# What the pages need: the Librarians group has these.
PERMISSIONS = ("stocktake.view_stocktake", "stocktake.add_stocktake", "stocktake.change_stocktake")
SCANS_SHOWN = 50


def staff_page(view: Any) -> Any:
    return pages.staff_page(*PERMISSIONS, forbidden="stocktake/forbidden.html")(view)


def _stocktake(pk: int) -> Stocktake:
    stocktake = Stocktake.objects.filter(pk=pk).first()
    if stocktake is None:
        raise Http404("No such stocktake.")
    return stocktake


@require_http_methods(["GET", "POST"])
@staff_page
def stocktake_list(request: HttpRequest) -> HttpResponse:
    form = StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            stocktake = services.stocktake_start(**form.cleaned_data, by=request.user)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                _("Started: %(name)s. Scan the first copy.") % {"name": stocktake.name},
            )
            return redirect("stocktake-page", pk=stocktake.pk)
    rows = selectors.STOCKTAKE_ROWS.present(
        selectors.STOCKTAKE_ROWS.rows(Stocktake.objects.order_by("status", "-started_at", "-id"))[
            :50
        ]
    )
    status = 400 if request.method == "POST" else 200
    return render(request, "stocktake/list.html", {"form": form, "stocktakes": rows}, status=status)


@require_GET
@staff_page
def stocktake_page(request: HttpRequest, pk: int) -> HttpResponse:
    stocktake = _stocktake(pk)
    context: dict[str, Any] = {
        "stocktake": stocktake,
        "row": selectors.stocktake_detail(stocktake),
        "scans": selectors.latest_scans(stocktake, limit=SCANS_SHOWN),
        "surprises": SURPRISES,
        "form": ScanForm(),
        "can_mark_missing": request.user.has_perm(services.MARK_MISSING_PERMISSION),
    }
    if stocktake.status == StocktakeStatus.CLOSED:
        context["not_seen"] = selectors.not_seen_rows(stocktake)
    return render(request, "stocktake/stocktake.html", context)


@require_POST
@staff_page
@pages.idempotent_post
def stocktake_scan(request: HttpRequest, pk: int) -> HttpResponseBase:
    stocktake = _stocktake(pk)
    form = ScanForm(request.POST)
    if not form.is_valid():
        if pages.wants_json(request):
            return pages.error_response(InvalidInput(_("Scan a barcode."), field="barcode"))
        messages.error(request, _("Scan a barcode."))
        return redirect("stocktake-page", pk=pk)
    try:
        result = services.stocktake_scan(
            stocktake=stocktake, barcode=form.cleaned_data["barcode"], by=request.user
        )
    except DomainError as error:
        if pages.wants_json(request):
            return pages.error_response(error)
        messages.error(request, error.message)
        return redirect("stocktake-page", pk=pk)
    if pages.wants_json(request):
        return JsonResponse(_scan_answer(result, stocktake))
    level = messages.WARNING if result.scan.outcome in SURPRISES else messages.SUCCESS
    messages.add_message(request, level, result.message)
    return redirect("stocktake-page", pk=pk)


def _scan_answer(result: services.ScanResult, stocktake: Stocktake) -> dict[str, Any]:
    scan = result.scan
    return {
        "barcode": scan.barcode,
        "outcome": scan.outcome,
        "outcome_label": scan.get_outcome_display(),
        "surprise": scan.outcome in SURPRISES,
        "message": result.message,
        "book_title": result.book_title,
        "counts": selectors.scan_counts(stocktake),
    }


@require_POST
@staff_page
def stocktake_close(request: HttpRequest, pk: int) -> HttpResponse:
    stocktake = services.stocktake_close(stocktake=_stocktake(pk), by=request.user)
    messages.success(request, _("Closed: %(name)s.") % {"name": stocktake.name})
    return redirect("stocktake-page", pk=pk)


@require_POST
@staff_page
def stocktake_mark_missing(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        marked = services.stocktake_mark_missing(stocktake=_stocktake(pk), by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("No copy was left to mark missing.")
            if not marked
            else ngettext(
                "Marked %(count)s copy missing.", "Marked %(count)s copies missing.", marked
            )
            % {"count": formats.number_format(marked, force_grouping=True)},
        )
    return redirect("stocktake-page", pk=pk)


@require_GET
@staff_page
def stocktake_not_seen_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    stocktake = _stocktake(pk)
    columns = ("barcode", "book_title", "call_number", "location", "last_seen")
    rows = ([row[column] for column in columns] for row in selectors.not_seen_rows(stocktake))
    day = timezone.localdate()
    return csv_download(
        ["barcode", "title", "call_number", "location", "last_seen"],
        rows,
        filename=f"stocktake-{stocktake.pk}-not-seen-{day:%Y-%m-%d}.csv",
    )
