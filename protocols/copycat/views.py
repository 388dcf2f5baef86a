"""The staff page "Copy cataloguing": search other catalogs (GET, so a search can be bookmarked
and reloaded), then "Use this record" (POST, then a redirect to the book). For the staff who
may use "Add by ISBN", with its permissions: it adds books and copies the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from catalog.services.bulk import Result
from interchange.views.isbn import ADD_PERMISSIONS, staff_page
from protocols.copycat.forms import SearchForm, UseRecordForm, record_token
from protocols.copycat.targets import SearchBy, configured_targets
from shelfmark.errors import DomainError

if TYPE_CHECKING:
    from protocols.copycat.services import RecordImported

TEMPLATE = "protocols/copy_cataloguing.html"


@require_http_methods(["GET", "POST"])
@staff_page(*ADD_PERMISSIONS)
def copy_cataloguing(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _use_record(request)
    data = request.GET.copy()
    if "term" in data and "targets" not in data and "ticked" not in data:
        # A link to a search (from "Add by ISBN") searches every catalog; the page's own form
        # says that its boxes were there to tick ("ticked"), so unticking all is an error.
        data.setlist("targets", [target.key for target in configured_targets()])
    form = SearchForm(data if "term" in data else None)
    context: dict[str, Any] = {"form": form, "back": request.GET.urlencode()}
    if form.is_bound and form.is_valid():
        # Imported here: httpx and pymarc load on the first search, not with every web worker
        # (shelfmark/tests/test_startup.py).
        from protocols.copycat import client

        found = client.search(
            form.chosen_targets(),
            SearchBy(form.cleaned_data["search_by"]),
            form.cleaned_data["term"],
        )
        context["results"] = [
            {
                "result": result,
                "records": [
                    {
                        "record": record,
                        "token": record_token(result.target, record.marcxml)
                        if record.marcxml
                        else "",
                    }
                    for record in result.records
                ],
            }
            for result in found
        ]
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, TEMPLATE, context, status=status)


def _use_record(request: HttpRequest) -> HttpResponse:
    form = UseRecordForm(request.POST)
    back = _search_url(request.POST.get("back", ""))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return HttpResponseRedirect(back)
    record = form.cleaned_data["record"]
    try:
        from protocols.copycat.services import copycat_record_import

        imported = copycat_record_import(
            marcxml=record["marcxml"].encode("utf-8"),
            source_name=record["target"],
            barcode=form.cleaned_data.get("barcode") or "",
            user=request.user,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(back)
    if imported.book_id is None:
        messages.error(request, _not_imported(imported))
        return HttpResponseRedirect(back)
    messages.success(request, _imported(imported, form.cleaned_data.get("barcode") or ""))
    for warning in imported.warnings:
        messages.warning(request, warning)
    return HttpResponseRedirect(reverse("book-page", args=[imported.book_id]))


def _imported(imported: RecordImported, barcode: str) -> str:
    values = {"title": imported.title, "barcode": barcode}
    if imported.result is Result.CREATED:
        if barcode:
            return _("Added “%(title)s” with copy %(barcode)s.") % values
        return _("Added “%(title)s”.") % values
    if imported.result is Result.UPDATED:
        return _("“%(title)s” was in the catalog already; copy %(barcode)s was added to it.") % (
            values
        )
    return _("“%(title)s” is in the catalog already; nothing was changed.") % values


def _not_imported(imported: RecordImported) -> str:
    reasons = " ".join(imported.problems) or imported.run.message
    return _(
        "The record was not imported: %(reasons)s The imports list has the report (import %(run)s)."
    ) % {"reasons": reasons, "run": imported.run.pk}


def _search_url(query: str) -> str:
    """The page with the search the record came from: its query string, taken apart and put
    back together, so nothing but our own parameters reach the redirect."""
    wanted = {"search_by", "term", "targets"}
    kept = [(name, value) for name, value in parse_qsl(query) if name in wanted]
    url = reverse("copy-cataloguing")
    return f"{url}?{urlencode(kept)}" if kept else url
