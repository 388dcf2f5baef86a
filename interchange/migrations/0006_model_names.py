"""The models' names, translated (the admin and the messages that name a model show them)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("interchange", "0005_import_warnings"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="importproblem",
            options={
                "ordering": ["run", "id"],
                "verbose_name": "import problem",
                "verbose_name_plural": "import problems",
            },
        ),
        migrations.AlterModelOptions(
            name="importrun",
            options={
                "ordering": ["-created_at", "-id"],
                "verbose_name": "import run",
                "verbose_name_plural": "import runs",
            },
        ),
    ]
