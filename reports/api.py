"""The reports API: ``GET /api/v1/reports/{name}/?from=&to=`` as JSON, ``&format=csv`` as CSV."""

from __future__ import annotations

from typing import Any

from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from circulation.models import Loan
from reports.definitions import MOST_ROWS, REPORTS, Report, period_of
from reports.downloads import csv_response
from shelfmark.api.permissions import IsStaff
from shelfmark.api.schema import ErrorSerializer
from shelfmark.api.views import ResourceApi
from shelfmark.errors import NotAllowed, NotFound

FORMATS = ("json", "csv")


def report_for(name: str, user: Any) -> Report:
    """The report ``name``, when ``user`` holds the permissions it needs."""
    report = REPORTS.get(name)
    if report is None:
        raise NotFound(
            _("No report named '%(name)s'; the reports: %(reports)s.")
            % {"name": name[:60], "reports": ", ".join(REPORTS)}
        )
    missing = [permission for permission in report.permissions if not user.has_perm(permission)]
    if missing:
        raise NotAllowed(
            _("The report '%(title)s' needs the permissions %(permissions)s; ask an administrator.")
            % {"title": report.title, "permissions": ", ".join(missing)},
            code="permission_denied",
        )
    return report


class ReportApi(ResourceApi):
    """One report over a period: `from` and `to` (YYYY-MM-DD; `to` defaults to today, `from` to
    a year before it, or to the beginning for the overdue list and copies never borrowed; a
    blank `from` means from the beginning). JSON has the columns, the rows (at most 1,000;
    `total_rows` says how many there are) and the chart's points; `format=csv` downloads every
    row. Staff with the permissions the report names."""

    permission_classes = [IsStaff]
    pagination_class = None

    def get_scope(self) -> Any:
        # The kit asks every view for its scope; a report reads through its own queries
        # (reports.definitions) and its permissions are the report's (``report_for``).
        return Loan.objects.none()

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # ?format= names the answer's format here (json or csv), not one of DRF's renderers.
        return (JSONRenderer(), JSONRenderer.media_type)

    @extend_schema(
        operation_id="report",
        parameters=[
            OpenApiParameter("name", str, OpenApiParameter.PATH, enum=list(REPORTS)),
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="First day (blank: the beginning)."
            ),
            OpenApiParameter(
                "to", OpenApiTypes.DATE, description="Last day, included (default: today)."
            ),
            OpenApiParameter(
                "format", str, enum=list(FORMATS), description="json (default) or csv."
            ),
        ],
        responses={
            (200, "application/json"): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description='{"name", "title", "description", "from", "to", "columns": '
                '[{"key", "label"}], "rows": [{…}], "total_rows", "truncated", "chart": '
                '[{"label", "value"}]}',
            ),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            400: OpenApiResponse(ErrorSerializer, description="A malformed date or format."),
            404: OpenApiResponse(ErrorSerializer, description="No report of that name."),
        },
        tags=["reports"],
    )
    def get(self, request: Request, name: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        wanted = request.query_params.get("format", "json")
        if wanted not in FORMATS:
            raise exceptions.ValidationError({"format": [_("Choose json or csv.")]})
        report = report_for(name, request.user)
        period = period_of(report, request.query_params.get("from"), request.query_params.get("to"))
        if wanted == "csv":
            return csv_response(report, period)  # headed by the columns' keys, for programs
        result = report.run(period, MOST_ROWS)
        return Response(
            {
                "name": report.name,
                "title": str(report.title),
                "description": str(report.description),
                "from": period.start,
                "to": period.end,
                "columns": [{"key": c.key, "label": str(c.label)} for c in report.columns],
                "rows": result.rows,
                "total_rows": result.total,
                "truncated": result.total > len(result.rows),
                "chart": [{"label": label, "value": value} for label, value in result.chart],
            }
        )
