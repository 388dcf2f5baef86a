from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _repair_triggers(using: str = "default", **kwargs: Any) -> None:
    """Put back SQLite's search and version triggers after a migration that rebuilt a catalog
    table (Django rebuilds a SQLite table to alter it, and its triggers go with the old one)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    if "catalog_searchword" not in connection.introspection.table_names():
        return  # migrated back to before search had its FTS tables
    from catalog import versions
    from catalog.search import sqlite

    sqlite.ensure_schema(connection)
    versions.ensure_triggers(connection, versions.CATALOG_TABLES)


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalog")

    # Links on the API root (/api/) and the API docs' sections for this app's resources.
    api_links = {
        "books": "book-list",
        "authors": "author-list",
        "subjects": "subject-list",
        "copies": "copy-list",
    }
    _access = (
        "Anyone may read; adding, changing and deleting need a staff account with the model "
        "permission the admin asks for too (e.g. `catalog.add_book`; superusers have all)."
    )
    api_sections = [
        {"name": "books", "description": f"Books in the catalog. {_access}"},
        {"name": "authors", "description": f"Authors, by sort name. {_access}"},
        {"name": "subjects", "description": f"Subjects (topics) of books. {_access}"},
        {
            "name": "copies",
            "description": (
                f"Physical copies, by barcode. {_access} The statuses `on_loan` and "
                "`on_hold_shelf` belong to circulation and cannot be set or left here."
            ),
        },
    ]

    def ready(self) -> None:
        post_migrate.connect(_repair_triggers, sender=self)
