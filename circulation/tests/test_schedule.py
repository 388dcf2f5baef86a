"""Circulation's scheduled work: its tasks (circulation.tasks) on the project's schedule
(core.schedule; core/tests has the schedule's own tests), run by the worker of django-tasks,
and its commands (send_notices, expire_holds)."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from circulation import tasks
from circulation.models import HoldStatus, Notice
from circulation.tests.factories import PatronFactory
from circulation.tests.notice_helpers import TODAY, days, lend, ready_hold

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 10, 9, 0, 0, tzinfo=datetime.UTC)


def minutes(n: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


# The worker and the schedule runner close stale connections between tasks, as Django does between
# requests; in a test's transaction that would close the connection under it (PostgreSQL).
# Tests that run them commit for real instead.
real_commits = pytest.mark.django_db(transaction=True)


def worker_runs_everything() -> None:
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)


# --- On the schedule ---------------------------------------------------------------------------


@real_commits
def test_run_schedule_once_enqueues_what_is_due_and_the_worker_runs_it(tmp_path):
    patron = PatronFactory(email="ada@example.org")
    lend(patron, on=timezone.localdate() - days(19))  # due soon
    heartbeat = tmp_path / "heartbeat"
    # From a minute's first second: the job due every minute (recover_imports) is not due again
    # before the test's last line.
    with time_machine.travel(timezone.now().replace(second=1, microsecond=0), tick=True):
        out = run("run_schedule", "--once", "--worker", "--heartbeat", str(heartbeat))

        assert out.count(" enqueued ") == 6
        assert "enqueued send_notices (task " in out
        assert heartbeat.exists()
        assert set(DBTaskResult.objects.values_list("status", flat=True)) == {
            TaskResultStatus.SUCCESSFUL
        }
        assert [m.to for m in mail.outbox] == [["ada@example.org"]]
        result = DBTaskResult.objects.get(task_path="circulation.tasks.send_notices")
        assert result.return_value["sent"] == {"due_soon": 1}
        assert run("run_schedule", "--once") == ""  # nothing due until the next mark


# --- The tasks, through the worker ------------------------------------------------------------


@real_commits
def test_the_tasks_do_the_work_in_the_worker():
    patron = PatronFactory(email="ada@example.org")
    hold = ready_hold(patron, on=timezone.localdate() - days(8))  # past its pickup deadline
    results = [t.enqueue() for t in (tasks.expire_holds, tasks.send_notices)]

    worker_runs_everything()

    for result in results:
        result.refresh()
        assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
    assert results[0].return_value == {
        "expired": 1,
        "holds": [f"'Persuasion' for {patron.name} (card {patron.card_number})"],
    }
    hold.refresh_from_db()
    assert hold.status == HoldStatus.EXPIRED
    assert results[1].return_value["sent"] == {}  # an expired hold is not announced


# --- The one-shot commands ---------------------------------------------------------------------


def test_send_notices_says_what_it_sent():
    lend(PatronFactory(name="Ada", email="ada@example.org"), on=TODAY - days(19))
    lend(PatronFactory(name="Dmitri", card_number="C-4", email=""), on=TODAY - days(22))

    out = run("send_notices", "--date", "2026-03-10")

    assert out.splitlines() == [
        "Notices for 2026-03-10: 1 sent (1 due soon), 1 not sent for want of an email address, "
        "0 failed.",
        "  no email address: First overdue reminder to Dmitri (card C-4) about 'Middlemarch'",
    ]
    assert run("send_notices", "--date", "2026-03-10").startswith("Notices for 2026-03-10: 0 sent")


def test_send_notices_dry_run_lists_and_sends_nothing():
    lend(PatronFactory(name="Ada", email="ada@example.org"), on=TODAY - days(19))

    out = run("send_notices", "--date", "2026-03-10", "--dry-run")

    assert out.splitlines() == [
        "Notices due on 2026-03-10: 1 (dry run: none sent).",
        "  Due soon to Ada <ada@example.org> about 'Middlemarch'",
    ]
    assert mail.outbox == []
    assert not Notice.objects.exists()


def test_send_notices_defaults_to_today():
    with time_machine.travel(datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC)):
        lend(PatronFactory(email="ada@example.org"), on=TODAY - days(19))

        assert run("send_notices").startswith("Notices for 2026-03-10: 1 sent")


@real_commits
def test_a_command_can_hand_its_work_to_the_worker():
    out = run("send_notices", "--enqueue")

    result = DBTaskResult.objects.get()
    assert out == f"Enqueued send_notices as task {result.pk}.\n"
    assert result.task_path == "circulation.tasks.send_notices"
    worker_runs_everything()
    result.refresh_from_db()
    assert result.status == TaskResultStatus.SUCCESSFUL


def test_waiting_for_a_worker_that_is_not_there_fails_clearly():
    with pytest.raises(CommandError, match=r"No worker finished task .* within 0.6 s"):
        run("expire_holds", "--enqueue", "--wait", "0.6")
    with pytest.raises(CommandError, match="--wait goes with --enqueue"):
        run("expire_holds", "--wait", "5")


def test_a_bad_date_is_refused():
    with pytest.raises(CommandError, match="'10/03/2026' is not a date: write it as YYYY-MM-DD"):
        run("send_notices", "--date", "10/03/2026")


def test_expire_holds_says_what_it_expired():
    patron = PatronFactory(name="Ada", card_number="C-1")
    ready_hold(patron, on=TODAY - days(8))

    out = run("expire_holds", "--date", "2026-03-10")

    assert out.splitlines() == [
        "Holds expired on 2026-03-10: 1.",
        "  'Persuasion' for Ada (card C-1)",
    ]
    assert run("expire_holds", "--date", "2026-03-10") == "Holds expired on 2026-03-10: 0.\n"
