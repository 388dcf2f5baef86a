"""A report as CSV: every row (pages and JSON stop at MOST_ROWS), streamed."""

from __future__ import annotations

from django.http import StreamingHttpResponse

from reports.definitions import Period, Report
from shelfmark.downloads import csv_download


def csv_response(report: Report, period: Period) -> StreamingHttpResponse:
    rows = ([row.get(column.key) for column in report.columns] for row in report.rows(period))
    start = period.start.isoformat() if period.start else "start"
    return csv_download(
        [column.key for column in report.columns],
        rows,
        filename=f"{report.name}-{start}-to-{period.end.isoformat()}.csv",
    )
