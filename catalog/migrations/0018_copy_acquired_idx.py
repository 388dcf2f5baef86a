"""An index on when copies were acquired, for the reports' new acquisitions."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0017_model_names"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="copy",
            index=models.Index(fields=["acquired_on"], name="copy_acquired_idx"),
        ),
    ]
