"""A hold's changes bump its book's version (catalog.versions): the book shows its queue's
length. On SQLite the triggers are put back after every migration too (circulation.apps)."""

from django.db import migrations

from catalog import versions
from circulation.apps import BOOK_VERSION_TABLES


def create_triggers(apps, schema_editor):
    versions.install(schema_editor, BOOK_VERSION_TABLES)


def drop_triggers(apps, schema_editor):
    versions.uninstall(schema_editor, BOOK_VERSION_TABLES)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0012_book_version"),
        ("circulation", "0008_schedule_and_idempotency_keys_to_core"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
