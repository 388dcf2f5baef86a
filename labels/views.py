"""The staff labels page (/staff/labels/): choose copies and a layout, get the PDF."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from labels.forms import LabelForm
from labels.printing import labels_print
from labels.selectors import MOST_LABELS, recent_import_runs
from shelfmark import pages
from shelfmark.errors import DomainError

# Printing reads copies: the permission to view them (the Librarians group has it).
PERMISSIONS = ("catalog.view_copy",)
TEMPLATE = "labels/labels.html"


@require_http_methods(["GET", "POST"])
@pages.staff_page(*PERMISSIONS, forbidden="labels/forbidden.html")
def labels_page(request: HttpRequest) -> HttpResponse:
    runs = recent_import_runs()
    form = LabelForm(request.POST or None, import_runs=runs)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            printed = labels_print(form.label_request())
        except DomainError as error:
            problems = error.extra.get("problems") or [error.message]
        else:
            response = HttpResponse(printed.pdf, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{printed.filename}"'
            return response
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "problems": problems, "most": MOST_LABELS, "has_runs": bool(runs)}
    return render(request, TEMPLATE, context, status=status)
