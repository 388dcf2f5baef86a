"""The models' names, translated (the admin and the messages that name a model show them)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0016_copy_last_seen"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="author",
            options={
                "ordering": ["sort_name", "id"],
                "verbose_name": "author",
                "verbose_name_plural": "authors",
            },
        ),
        migrations.AlterModelOptions(
            name="book",
            options={
                "ordering": ["title", "id"],
                "verbose_name": "book",
                "verbose_name_plural": "books",
            },
        ),
        migrations.AlterModelOptions(
            name="copy",
            options={
                "ordering": ["barcode"],
                "verbose_name": "copy",
                "verbose_name_plural": "copies",
            },
        ),
        migrations.AlterModelOptions(
            name="subject",
            options={
                "ordering": ["name", "id"],
                "verbose_name": "subject",
                "verbose_name_plural": "subjects",
            },
        ),
    ]
