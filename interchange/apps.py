from django.apps import AppConfig


class InterchangeConfig(AppConfig):
    name = "interchange"
    verbose_name = "Imports and exports"

    # Links on the API root (/api/) and the API docs' sections for this app's resources.
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
    ]
