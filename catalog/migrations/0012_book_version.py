"""Book.version and the triggers that keep it (catalog.versions); on SQLite they are put back
after every migration too (catalog.apps)."""

from django.db import migrations, models

from catalog import versions


def create_triggers(apps, schema_editor):
    versions.install(schema_editor, versions.CATALOG_TABLES, book=True)


def drop_triggers(apps, schema_editor):
    versions.uninstall(schema_editor, versions.CATALOG_TABLES, book=True)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0011_ranked_search")]

    operations = [
        migrations.AddField(
            model_name="book",
            name="version",
            field=models.BigIntegerField(db_default=1, default=1, editable=False),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
