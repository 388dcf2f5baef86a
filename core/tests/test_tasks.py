"""core's own periodic work: the purge of old task results and Idempotency-Key answers
(core.tasks, `manage.py purge_old_records`), by the worker and here and now."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from core import tasks
from core.models import IdempotencyKey
from shelfmark.idempotency import KEEP, idempotency_key_model

# The worker closes stale connections between tasks, as Django does between requests; in a
# test's transaction that would close the connection under it (PostgreSQL). These commit.
pytestmark = pytest.mark.django_db(transaction=True)


def minutes(n: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def worker_runs_everything() -> None:
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)


def test_the_projects_idempotency_key_table_is_cores():
    assert idempotency_key_model() is IdempotencyKey
    assert IdempotencyKey._meta.app_label == "core"


def test_purging_deletes_only_old_finished_task_results_and_idempotency_keys():
    old, recent = tasks.purge_old_records.enqueue(), tasks.purge_old_records.enqueue()
    waiting = tasks.purge_old_records.using(run_after=timezone.now() + minutes(60)).enqueue()
    worker_runs_everything()
    for result in (old, recent):
        result.refresh()
        assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
    DBTaskResult.objects.filter(pk=old.id).update(
        finished_at=timezone.now() - datetime.timedelta(days=tasks.TASK_RESULTS_KEEP_DAYS + 1)
    )
    user = get_user_model().objects.create_user("client")
    for key, age in (("old", KEEP + minutes(1)), ("new", KEEP - minutes(1))):
        IdempotencyKey.objects.create(
            user=user, key=key, method="POST", path="/api/v1/circulation/checkin/",
            fingerprint="-", status_code=200, created_at=timezone.now() - age,
        )  # fmt: skip

    assert run("purge_old_records") == "Purged: 1 task results, 1 idempotency keys.\n"
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {
        DBTaskResult.objects.get(pk=recent.id).pk,
        DBTaskResult.objects.get(pk=waiting.id).pk,
    }
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_the_purge_can_be_handed_to_the_worker():
    out = run("purge_old_records", "--enqueue")

    result = DBTaskResult.objects.get()
    assert out == f"Enqueued purge_old_records as task {result.pk}.\n"
    assert result.task_path == "core.tasks.purge_old_records"
    worker_runs_everything()
    result.refresh_from_db()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"task_results": 0, "idempotency_keys": 0}
