"""core/migrations/0001_initial.py takes circulation's ScheduledJob and IdempotencyKey over on a
database that has rows in them: the rows stay, new rows follow them, the permissions granted
on them stay granted (now under core's label), and undoing it gives them back."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core.models import IdempotencyKey, ScheduledJob
from core.schedule import schedule_tick
from shelfmark.idempotency import idempotency_key_model

# Migrations run outside a test's transaction (SQLite's schema editor refuses to run inside one).
pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("circulation", "0007_notice_wording_dates_plurals_library_name"), ("core", None)]
MOVED = ["scheduledjob", "idempotencykey"]
LATER = timezone.now() + datetime.timedelta(hours=1)


def migrate(targets):
    """Migrate to ``targets`` and return the models of that state."""
    state = MigrationExecutor(connection).migrate(targets)
    ContentType.objects.clear_cache()
    return state.apps


def migrate_to_latest():
    executor = MigrationExecutor(connection)
    migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def before_the_move():
    """The database as a Shelfmark that had not moved them: circulation's state, and the
    content types (and so the permissions) under circulation's label."""
    old = migrate(BEFORE)
    try:
        yield old
    finally:
        migrate_to_latest()  # whatever happened, the next tests get the schema they expect


def rows_made_before_the_move(old):
    ContentTypeThen = old.get_model("contenttypes", "ContentType")
    PermissionThen = old.get_model("auth", "Permission")
    ContentTypeThen.objects.filter(app_label="core", model__in=MOVED).delete()
    content_type, _ = ContentTypeThen.objects.get_or_create(
        app_label="circulation", model="scheduledjob"
    )
    ContentTypeThen.objects.get_or_create(app_label="circulation", model="idempotencykey")
    view, _ = PermissionThen.objects.get_or_create(
        content_type=content_type, codename="view_scheduledjob",
        defaults={"name": "Can view scheduled job"},
    )  # fmt: skip
    group = old.get_model("auth", "Group").objects.create(name="Watchers of the schedule")
    group.permissions.add(view)
    user = old.get_model("auth", "User").objects.create(username="watcher", is_staff=True)
    user.groups.add(group)
    key = old.get_model("circulation", "IdempotencyKey").objects.create(
        user=user, key="scan-1", method="POST", path="/desk/checkout/", fingerprint="f" * 64,
        status_code=200, body='{"line": {"key": "scan-1"}}',
    )  # fmt: skip
    job = old.get_model("circulation", "ScheduledJob").objects.create(
        name="send_notices", next_run_at=LATER, last_task_id="task-1"
    )
    return user.pk, key.pk, job.pk


def test_the_move_keeps_the_rows_and_the_grants(before_the_move):
    user_pk, key_pk, job_pk = rows_made_before_the_move(before_the_move)

    migrate_to_latest()

    key = IdempotencyKey.objects.get()
    assert (key.pk, key.user_id, key.key, key.status_code, key.body) == (
        key_pk, user_pk, "scan-1", 200, '{"line": {"key": "scan-1"}}'
    )  # fmt: skip
    assert idempotency_key_model()._default_manager.get().pk == key_pk
    job = ScheduledJob.objects.get()
    assert (job.pk, job.name, job.next_run_at, job.last_task_id) == (
        job_pk, "send_notices", LATER, "task-1"
    )  # fmt: skip
    # The schedule reads the kept row: the run it says is not due yet is not enqueued.
    assert "send_notices" not in {e.name for e in schedule_tick()}
    # New rows follow the old ones (the tables' id sequences went along).
    newer = IdempotencyKey.objects.create(
        user_id=user_pk, key="scan-2", method="POST", path="/desk/checkout/",
        fingerprint="f" * 64, status_code=200,
    )  # fmt: skip
    assert newer.pk > key_pk
    # The permissions and their grants moved with the models' content types.
    assert set(ContentType.objects.filter(model__in=MOVED).values_list("app_label", "model")) == {
        ("core", "scheduledjob"),
        ("core", "idempotencykey"),
    }
    user = get_user_model().objects.get(pk=user_pk)
    assert user.has_perm("core.view_scheduledjob")
    assert Permission.objects.get(codename="view_scheduledjob").content_type.app_label == "core"


def test_undoing_the_move_gives_circulation_its_rows_back(before_the_move):
    _, key_pk, job_pk = rows_made_before_the_move(before_the_move)
    migrate_to_latest()

    old = migrate(BEFORE)

    assert old.get_model("circulation", "IdempotencyKey").objects.get().pk == key_pk
    assert old.get_model("circulation", "ScheduledJob").objects.get().pk == job_pk
    assert set(ContentType.objects.filter(model__in=MOVED).values_list("app_label", "model")) == {
        ("circulation", "scheduledjob"),
        ("circulation", "idempotencykey"),
    }
