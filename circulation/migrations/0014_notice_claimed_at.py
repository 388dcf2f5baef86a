"""Notice.claimed_at: when a run last claimed the notice to send it, so that a notice left
``sending`` by a run that stopped is claimed again once its lease (NOTICE_SEND_LEASE_SECONDS)
has run out (circulation.services.notices).

The column's database default (now) is for rows written during a deploy by processes still
running the code before this field. The rows already there get the time they were first
claimed, their ``created_at``: a notice left ``sending`` by a run that stopped before this
migration is then sent by the first run after it (if it is still due).
"""

import django.db.models.functions.datetime
import django.utils.timezone
from django.db import migrations, models


def claimed_when_created(apps, schema_editor):
    Notice = apps.get_model("circulation", "Notice")
    Notice.objects.update(claimed_at=models.F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("circulation", "0013_loan_use_sip2_permission"),
    ]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="claimed_at",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(),
                default=django.utils.timezone.now,
                help_text=(
                    "When a run last took it to send. One still sending long after this was left "
                    "by a run that stopped, and the next run sends it."
                ),
            ),
        ),
        migrations.RunPython(claimed_when_created, migrations.RunPython.noop),
    ]
