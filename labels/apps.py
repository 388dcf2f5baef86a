from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LabelsConfig(AppConfig):
    name = "labels"
    verbose_name = _("Labels")

    # The labels' endpoint takes a POST only: it is named in the API docs' sections, not on
    # the API root's links (which a client follows with GET).
    api_links: dict[str, str] = {}
    api_sections = [
        {
            "name": "labels",
            "description": (
                "Barcode and spine labels as a PDF, for label sheets (Avery/Herma L7160, "
                "L7161, L7163, L7651, 5160, 5163, 5167) and roll printers. Staff with "
                "`catalog.view_copy`; the staff page is /staff/labels/."
            ),
        }
    ]
