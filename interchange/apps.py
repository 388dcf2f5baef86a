import datetime

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterchangeConfig(AppConfig):
    name = "interchange"
    verbose_name = _("Imports and exports")

    def ready(self) -> None:
        from core.schedule import Periodic, schedule_register
        from interchange import tasks

        # On the project's schedule (core.schedule; manage.py run_schedule).
        schedule_register(
            Periodic("recover_imports", tasks.recover_imports, datetime.timedelta(minutes=1))
        )
        schedule_register(
            Periodic(
                "purge_interchange_records",
                tasks.purge_interchange_records,
                datetime.timedelta(days=1),
            )
        )

    # Links on the API root (/api/) and the API docs' sections for this app's resources. The
    # ISBN lookup has no link on the root: its URL needs an ISBN (/api/v1/isbn/{isbn}/).
    api_links = {"export": "catalog-export"}
    api_sections = [
        {
            "name": "export",
            "description": (
                "The whole catalog as a file to download (CSV, JSON or MARCXML), streamed. "
                "Staff with the permission to view books. `manage.py import_catalog` reads "
                "each format back."
            ),
        },
        {
            "name": "isbn",
            "description": (
                "ISBN lookup for adding books: the catalog's book when the library has it, else "
                "Open Library's details. Staff accounts with `catalog.add_book` only. When Open "
                "Library cannot be asked, the answer is a 200 with `source` `none` and a message."
            ),
        },
    ]
