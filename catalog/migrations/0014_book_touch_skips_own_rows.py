"""catalog_book_touch() leaves alone the books the transaction wrote already (catalog.versions):
an import adding books and their copies in one transaction no longer writes each book twice.
PostgreSQL only; the older function was only slower, so going back keeps this one."""

from django.db import migrations

from catalog import versions


def replace_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(versions.TOUCH_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0013_searchword_trigram_gist")]

    operations = [migrations.RunPython(replace_function, migrations.RunPython.noop)]
