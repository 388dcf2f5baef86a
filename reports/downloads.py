"""A report as CSV: every row (pages and JSON stop at MOST_ROWS), streamed."""

from __future__ import annotations

from django.http import StreamingHttpResponse

from reports.definitions import Period, Report
from shelfmark.downloads import csv_download


def csv_response(
    report: Report, period: Period, *, for_people: bool = False
) -> StreamingHttpResponse:
    """The report's rows as CSV. Headed by the columns' keys (the API's: a program reads them),
    or ``for_people`` (the staff page's download) by their labels, in the visitor's language;
    the cells are the same either way (ISO dates, plain numbers: what a spreadsheet reads)."""
    rows = ([row.get(column.key) for column in report.columns] for row in report.rows(period))
    start = period.start.isoformat() if period.start else "start"
    return csv_download(
        [str(column.label) if for_people else column.key for column in report.columns],
        rows,
        filename=f"{report.name}-{start}-to-{period.end.isoformat()}.csv",
    )
