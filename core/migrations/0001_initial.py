"""core takes over two of circulation's tables, rows and all: ScheduledJob (the schedule) and
IdempotencyKey (the Idempotency-Key answers). Nothing changes in the database: the models keep
the tables' names (core/models.py says why), so this is only Django's state (circulation's
0008 lets go of them) and the content types, which carry the models' permissions and the
groups' grants of them (Administrators may view the schedule), moving to the new app label.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = ["scheduledjob", "idempotencykey"]


def move_content_types(apps, schema_editor, source="circulation", target="core"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        # On a new database neither exists yet (post_migrate makes them after all migrations).
        # Where the target exists already (a migration undone and done again, with post_migrate
        # in between), the old one stays, stale, as Django leaves the content types of models
        # that are gone.
        if not ContentType.objects.using(db).filter(app_label=target, model=model).exists():
            ContentType.objects.using(db).filter(app_label=source, model=model).update(
                app_label=target
            )
    ContentType.objects.clear_cache()


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="core", target="circulation")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        # The tables as circulation left them (0004 made the schedule's, 0005 the keys'), and
        # their content types: 0006 made the ones 0004 and 0005 had not (for its grants).
        ("circulation", "0007_notice_wording_dates_plurals_library_name"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ScheduledJob",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100, unique=True)),
                        ("next_run_at", models.DateTimeField()),
                        ("last_enqueued_at", models.DateTimeField(blank=True, null=True)),
                        ("last_task_id", models.CharField(blank=True, max_length=64)),
                    ],
                    options={
                        "db_table": "circulation_scheduledjob",
                        "ordering": ["name"],
                    },
                ),
                migrations.CreateModel(
                    name="IdempotencyKey",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("key", models.CharField(max_length=255)),
                        ("method", models.CharField(max_length=10)),
                        ("path", models.CharField(max_length=2000)),
                        ("fingerprint", models.CharField(help_text="SHA-256 of the method, path and body: what 'the same' means.", max_length=64)),
                        ("status_code", models.PositiveSmallIntegerField()),
                        ("body", models.TextField(blank=True, help_text="The answer's JSON, as it was sent.")),
                        ("location", models.CharField(blank=True, max_length=2000)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "idempotency key",
                        "db_table": "circulation_idempotencykey",
                        "abstract": False,
                        "indexes": [models.Index(fields=["created_at"], name="idempotencykey_created_idx")],
                        "constraints": [models.UniqueConstraint(fields=("user", "key"), name="idempotencykey_once_per_user")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back, elidable=False),
    ]
