"""The staff website's imports: upload a file, look at the preview (a dry run made by the
worker), confirm or cancel it, follow the real run, download its error report, and the list of
past imports.

Every page reads the run's row, which the worker updates after each batch, so a reload (or
another librarian's browser) shows the same progress. While a run is queued or running its page
refreshes itself: imports.js polls the JSON progress endpoint and updates the bar; without
JavaScript a <meta> refresh in <noscript> reloads the page.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.html import format_html_join
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from interchange import selectors
from interchange.forms.imports import MEGABYTE, ImportUploadForm, too_big_message
from interchange.models import ImportKind, ImportRun
from interchange.services import uploads
from interchange.services.imports import REPORT_HEADER, report_row
from shelfmark import keyset
from shelfmark.downloads import csv_download
from shelfmark.errors import DomainError
from shelfmark.pages import View, forbidden_page, is_staff_with

PAGE_SIZE = 25
PREVIEW_PROBLEMS_SHOWN = 50
# While a run is queued or running: how often its page reloads itself without JavaScript.
REFRESH_SECONDS = 3
# Room for the form's other fields and the multipart boundaries, on top of the file itself.
UPLOAD_OVERHEAD = 64 * 1024

# Who may import what: the permissions of the services' single writes (the Librarians group has
# them). A run's pages are for those who may import its kind.
KIND_PERMISSIONS: dict[str, tuple[str, ...]] = {
    ImportKind.CATALOG: ("catalog.add_book", "catalog.add_copy"),
    ImportKind.PATRONS: ("circulation.add_patron",),
}


def allowed_kinds(user: Any) -> list[str]:
    """The kinds of import ``user`` may run (and see), in the order of ``ImportKind``."""
    return [
        kind for kind, permissions in KIND_PERMISSIONS.items() if is_staff_with(user, permissions)
    ]


def imports_view(view: View) -> View:
    """Staff who may import something: anonymous visitors are sent to sign in, other accounts
    get a 403 page saying what is missing."""

    @functools.wraps(view)
    def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not allowed_kinds(request.user):
            return _forbidden(request, ImportKind.CATALOG)
        return view(request, *args, **kwargs)

    return run


def _forbidden(request: HttpRequest, kind: str) -> HttpResponse:
    permissions = KIND_PERMISSIONS[kind]
    return forbidden_page(
        request,
        "interchange/imports/forbidden.html",
        permissions,
        kind_label=ImportKind(kind).label,
        # For the page's sentence (one text to translate): "<code>a</code>, <code>b</code>".
        permission_list=format_html_join(", ", "<code>{}</code>", ((p,) for p in permissions)),
    )


def _run_for(request: HttpRequest, pk: int) -> ImportRun | HttpResponse:
    """The run ``pk``, or the answer when there is none (404) or it is of a kind this account
    may not import (403)."""
    run = selectors.import_run_detail(pk)
    if run is None:
        raise Http404("No such import.")
    if run.kind not in allowed_kinds(request.user):
        return _forbidden(request, run.kind)
    return run


# --- The list ------------------------------------------------------------------------------------


@require_GET
@imports_view
def import_list(request: HttpRequest) -> HttpResponse:
    """Past imports and previews, newest first, a page at a time."""
    try:
        position = keyset.decode_cursor(request.GET.get("cursor"))
        page = selectors.import_run_page(
            kinds=allowed_kinds(request.user), size=PAGE_SIZE, position=position
        )
    except keyset.KeysetError:
        return redirect("import-list")  # a damaged link: start from the newest
    return render(
        request,
        "interchange/imports/list.html",
        {
            "runs": page.rows,
            "next_url": _page_url(request, page.next),
            "previous_url": _page_url(request, page.previous),
        },
    )


def _page_url(request: HttpRequest, position: keyset.Position | None) -> str | None:
    if position is None:
        return None
    return f"{request.path}?cursor={keyset.encode_cursor(position)}"


# --- Upload --------------------------------------------------------------------------------------


@csrf_exempt  # checked below, after the size check: a CSRF check reads the whole body
@require_http_methods(["GET", "POST"])
@imports_view
def import_new(request: HttpRequest) -> HttpResponse:
    """The upload form. A POST whose body is larger than the limit allows is refused from its
    Content-Length, before a byte of it is read."""
    max_megabytes: int = settings.IMPORT_MAX_UPLOAD_MB
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > max_megabytes * MEGABYTE + UPLOAD_OVERHEAD:
            context = {
                "form": _upload_form(request, max_megabytes, bound=False),
                "refused": too_big_message(length, max_megabytes),
            }
            response = render(request, "interchange/imports/new.html", context, status=413)
            # The body was not read: the connection cannot serve another request.
            response["Connection"] = "close"
            return response
    return _import_new_checked(request, max_megabytes)


@csrf_protect
def _import_new_checked(request: HttpRequest, max_megabytes: int) -> HttpResponse:
    form = _upload_form(request, max_megabytes, bound=request.method == "POST")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        run = uploads.import_preview_create(
            upload=data["file"],
            kind=data["kind"],
            format=data["format"],
            encoding=data["encoding"],
            on_duplicate=data["on_duplicate"],
            barcodes=data["barcodes"],
            user=request.user,  # type: ignore[arg-type]  # signed in (imports_view)
            language=get_language(),
        )
        return redirect("import-detail", pk=run.pk)
    status = 400 if form.is_bound else 200
    return render(request, "interchange/imports/new.html", {"form": form}, status=status)


def _upload_form(request: HttpRequest, max_megabytes: int, *, bound: bool) -> ImportUploadForm:
    kinds = allowed_kinds(request.user)
    if bound:
        return ImportUploadForm(
            request.POST, request.FILES, kinds=kinds, max_megabytes=max_megabytes
        )
    return ImportUploadForm(kinds=kinds, max_megabytes=max_megabytes)


# --- One run: preview, progress, summary ---------------------------------------------------------


@require_GET
@imports_view
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A preview (what the file would give), a run in progress, or a finished run's summary."""
    run = _run_for(request, pk)
    if isinstance(run, HttpResponse):
        return run
    progress = selectors.import_run_progress(run)
    finished = progress["finished"]
    problems = (
        selectors.import_problems_first(run.pk, limit=PREVIEW_PROBLEMS_SHOWN) if finished else []
    )
    return render(
        request,
        "interchange/imports/detail.html",
        {
            "run": run,
            "progress": progress,
            "dry_run": bool(run.options.get("dry_run")),
            "on_duplicate": run.options.get("on_duplicate", "skip"),
            "barcode_prefix": (run.options.get("barcodes") or "").partition(":")[2],
            "problems": problems,
            "warning_counts": selectors.warning_counts(run.pk) if finished else [],
            "problem_count": selectors.import_problem_count(run.pk) if finished else 0,
            "problems_shown": PREVIEW_PROBLEMS_SHOWN,
            "refresh_seconds": REFRESH_SECONDS if not finished and not progress["stalled"] else 0,
            "stalled_minutes": int(selectors.STALLED_AFTER.total_seconds() // 60),
        },
    )


@require_GET
@imports_view
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's progress as JSON, for the page's script."""
    run = _run_for(request, pk)
    if isinstance(run, HttpResponse):
        return run
    response = JsonResponse(selectors.import_run_progress(run))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@imports_view
def import_report(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The error report as CSV, the same columns as the command line's: streamed from the
    problems' rows, so its size does not matter."""
    run = _run_for(request, pk)
    if isinstance(run, HttpResponse):
        return run
    stem = slugify(run.source_name.rsplit(".", 1)[0]) or "import"
    rows = (report_row(*row) for row in selectors.import_report_rows(run.pk))
    return csv_download(REPORT_HEADER, rows, filename=f"{stem}.errors.csv")


# --- Actions -------------------------------------------------------------------------------------


@require_POST
@imports_view
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview is right: run the real import of the same file."""
    run = _run_for(request, pk)
    if isinstance(run, HttpResponse):
        return run
    try:
        real = uploads.import_confirm(
            preview_id=run.pk,
            user=request.user,  # type: ignore[arg-type]  # signed in (imports_view)
            language=get_language(),
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("import-detail", pk=pk)
    messages.success(request, _("The import of %(file)s is queued.") % {"file": real.source_name})
    return redirect("import-detail", pk=real.pk)


@require_POST
@imports_view
def import_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Drop the preview and its file."""
    run = _run_for(request, pk)
    if isinstance(run, HttpResponse):
        return run
    try:
        uploads.import_cancel(preview_id=run.pk)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("import-detail", pk=pk)
    messages.success(
        request,
        _("The preview of %(file)s is cancelled and its file gone.") % {"file": run.source_name},
    )
    return redirect("import-list")


@require_POST
@imports_view
def import_requeue(request: HttpRequest, pk: int) -> HttpResponse:
    """Run a stalled or failed run again from the start of its file."""
    run = _run_for(request, pk)
    if isinstance(run, HttpResponse):
        return run
    try:
        uploads.import_requeue(run_id=run.pk, language=get_language())
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Queued again: it starts from the top of the file."))
    return redirect("import-detail", pk=pk)
