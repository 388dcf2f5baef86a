"""The staff reports pages (/staff/reports/): the list, and each report with its period, its
chart, its table and a CSV download."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from reports.api import report_for
from reports.charts import bar_chart
from reports.definitions import MOST_ROWS, REPORTS, period_of
from reports.downloads import csv_response
from shelfmark import pages
from shelfmark.errors import InvalidInput, NotAllowed, NotFound
from shelfmark.pages import forbidden_page

FORBIDDEN = "reports/forbidden.html"


@require_GET
@pages.staff_page(forbidden=FORBIDDEN)
def report_list(request: HttpRequest) -> HttpResponse:
    reports = [
        report
        for report in REPORTS.values()
        if all(request.user.has_perm(permission) for permission in report.permissions)
    ]
    return render(request, "reports/list.html", {"reports": reports})


@require_GET
@pages.staff_page(forbidden=FORBIDDEN)
def report_page(request: HttpRequest, name: str) -> HttpResponseBase:
    try:
        report = report_for(name, request.user)
    except NotFound:
        return render(request, "404.html", status=404)
    except NotAllowed:
        return forbidden_page(request, FORBIDDEN, REPORTS[name].permissions)
    start, end = request.GET.get("from"), request.GET.get("to")
    context: dict[str, Any] = {"report": report, "from": start, "to": end or ""}
    try:
        period = period_of(report, start, end)
    except InvalidInput as error:
        context["errors"] = [
            message for messages in (error.as_field_errors() or {}).values() for message in messages
        ] or [error.message]
        return render(request, "reports/report.html", context, status=400)
    if request.GET.get("format") == "csv":
        return csv_response(report, period, for_people=True)
    result = report.run(period, MOST_ROWS)
    context.update(
        period=period,
        result=result,
        rows=[
            [(column.label, column.shown(row.get(column.key))) for column in report.columns]
            for row in result.rows
        ],
        chart=bar_chart(
            result.chart,
            title=_("%(report)s: %(measure)s")
            % {"report": report.title, "measure": report.chart_label},
            horizontal=report.horizontal,
        ),
        truncated=result.total > len(result.rows),
        from_value=period.start.isoformat() if period.start else "",
    )
    return render(request, "reports/report.html", context)
