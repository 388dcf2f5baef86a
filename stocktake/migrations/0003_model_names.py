"""The models' names, translated (the admin and the messages that name a model show them)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("stocktake", "0002_grants"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="stocktake",
            options={
                "ordering": ["-started_at", "-id"],
                "verbose_name": "stocktake",
                "verbose_name_plural": "stocktakes",
            },
        ),
        migrations.AlterModelOptions(
            name="stocktakescan",
            options={
                "ordering": ["-id"],
                "verbose_name": "stocktake scan",
                "verbose_name_plural": "stocktake scans",
            },
        ),
    ]
