"""The models' names, translated (the admin and the messages that name a model show them)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="scheduledjob",
            options={
                "ordering": ["name"],
                "verbose_name": "scheduled job",
                "verbose_name_plural": "scheduled jobs",
            },
        ),
    ]
