"""The schedule's table (ScheduledJob) and the Idempotency-Key answers (IdempotencyKey) are now
core's (core/migrations/0001_initial.py): circulation lets go of them in Django's state only.
The tables, their rows and their names stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("circulation", "0007_notice_wording_dates_plurals_library_name"),
        ("core", "0001_initial"),  # core holds them first, so they are never nobody's
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ScheduledJob"),
                migrations.DeleteModel(name="IdempotencyKey"),
            ],
            database_operations=[],
        ),
    ]
