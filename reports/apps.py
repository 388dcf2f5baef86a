from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    # Each report's URL names it (/api/v1/reports/{name}/): no list on the API root.
    api_links: dict[str, str] = {}
    api_sections = [
        {
            "name": "reports",
            "description": (
                "The library's reports over a date range (`from`, `to`: YYYY-MM-DD): loans per "
                "month, busiest titles and authors, patrons by category, the overdue list with "
                "contacts, copies never borrowed, new acquisitions. JSON, or CSV with "
                "`format=csv`. Staff with the permissions each report names (reading loans, "
                "patrons or copies). The staff pages, with charts, are at /staff/reports/."
            ),
        }
    ]
