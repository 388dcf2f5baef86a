"""The Librarians and Administrators groups (made by circulation's migration 0002) run
stocktakes: view, start (add) and scan and close (change) them."""

from django.db import migrations

from core.migrations._grants import grant_to_groups


class Migration(migrations.Migration):
    dependencies = [
        ("stocktake", "0001_initial"),
        ("circulation", "0002_events_immutable_and_roles"),
    ]

    operations = [
        grant_to_groups(
            "stocktake",
            ["view_stocktake", "add_stocktake", "change_stocktake"],
            ["Librarians", "Administrators"],
        )
    ]
