"""A run whose worker ended before it finished (killed, its container stopped) is known at once
and run again: the run's lock (interchange/run_locks.py) goes with the process that held it,
and the schedule's recover_imports queues every RUNNING run no one holds
(interchange.services.uploads.imports_recover)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connections
from django_tasks_db.models import DBTaskResult

from interchange import tasks
from interchange.models import ImportKind, ImportProblem, ImportRun, ImportStatus
from interchange.run_locks import ADVISORY_KEY, run_lock, runs_held
from interchange.selectors import import_run_progress, runs_abandoned
from interchange.services.uploads import RECOVERIES, imports_recover
from shelfmark.testing.servers import database_url

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE = "goodreads_library_export.csv"  # 13 records, 12 books


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def cut_short(*, stored: bool = True, **fields) -> ImportRun:
    """A run as its worker left it when killed: RUNNING, part way through its file."""
    values = {
        "kind": ImportKind.CATALOG,
        "source_name": SAMPLE,
        "status": ImportStatus.RUNNING,
        "options": {"dry_run": False, "on_duplicate": "skip", "format": "auto"},
        "records": 5,
        "created": 5,
        "bytes_read": 400,
    }
    run = ImportRun(**(values | fields))
    if stored:
        content = (DATA / SAMPLE).read_bytes()
        run.size = len(content)
        run.file.save(SAMPLE, ContentFile(content), save=False)
    run.save()
    ImportProblem.objects.create(run=run, number=3, field="isbn", reason="a wrong check digit")
    return run


# --- The lock ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_lock_another_thread_holds_is_held_until_it_lets_go():
    taken, let_go = threading.Event(), threading.Event()

    def worker() -> None:
        try:
            with run_lock(7) as held:
                assert held
                taken.set()
                let_go.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert taken.wait(30)
        assert runs_held([7, 8]) == {7}
        with run_lock(7) as held:
            assert not held
        with run_lock(8) as held:
            assert held
    finally:
        let_go.set()
        thread.join(30)

    assert runs_held([7, 8]) == set()


@pytest.mark.django_db
def test_the_thread_holding_a_lock_takes_it_again():
    with run_lock(9) as first:
        with run_lock(9) as again:
            assert first
            assert again
        assert runs_held([9]) == {9}  # still its, until the outer block ends
    assert runs_held([9]) == set()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_same_run_locked_in_another_database_of_the_server_is_not_held_here():
    run_id = 2_000_000_007  # no test's
    with psycopg.connect(database_url(), dbname="postgres", autocommit=True) as other:
        locked = other.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_KEY, run_id])
        assert locked.fetchone() == (True,)

        assert runs_held([run_id]) == set()
        with run_lock(run_id) as taken:
            assert taken


CHILD = """
import sys, time
import django
django.setup()
from interchange.run_locks import run_lock
with run_lock(int(sys.argv[1])) as taken:
    print("held" if taken else "refused", flush=True)
    time.sleep(600)
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_run_whose_worker_was_killed_is_run_again_and_finished():
    run = cut_short()
    # A process of its own holds the run's lock, as the worker running it does.
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shelfmark.settings",
        "DEBUG": "true",
        "DATABASE_URL": database_url(),
    }
    child = subprocess.Popen(  # noqa: S603 - this interpreter, our own code
        [sys.executable, "-c", CHILD, str(run.pk)],
        cwd=django_settings.BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        assert imports_recover() == []  # alive: left to it
        assert import_run_progress(run)["stalled"] is False
    finally:
        child.kill()  # SIGKILL: nothing in it runs, the lock goes with its connection
        child.wait(30)

    deadline = time.monotonic() + 10
    while not runs_abandoned([run.pk]) and time.monotonic() < deadline:
        time.sleep(0.05)
    run.refresh_from_db()
    assert import_run_progress(run)["stalled"] is True  # at once, not after 15 minutes

    assert imports_recover() == [run.pk]

    run.refresh_from_db()
    assert run.status == ImportStatus.QUEUED
    assert run.options["recoveries"] == 1
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)
    run.refresh_from_db()
    assert (run.status, run.records, run.created) == (ImportStatus.DONE, 13, 12), run.message
    assert not runs_held([run.pk])


HELD = """
import django
django.setup()
from interchange.run_locks import runs_held
print(sorted(runs_held([41, 42])))
"""


def test_on_sqlite_a_killed_process_lets_go_of_its_runs_lock(tmp_path):
    # A SQLite site as served: its database a file in the data folder, the locks beside it.
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "shelfmark.settings",
        "DEBUG": "true",
        "DATABASE_URL": "",
        "SHELFMARK_DATA_DIR": str(tmp_path),
    }

    def python(code: str, *arguments: str) -> subprocess.Popen[str]:
        return subprocess.Popen(  # noqa: S603 - this interpreter, our own code
            [sys.executable, "-c", code, *arguments],
            cwd=django_settings.BASE_DIR,
            env=environment,
            stdout=subprocess.PIPE,
            text=True,
        )

    def held() -> str:
        out, _ = python(HELD).communicate(timeout=60)
        return out.strip()

    holder = python(CHILD, "41")
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        assert held() == "[41]"
    finally:
        holder.kill()
        holder.wait(30)
    assert held() == "[]"
    assert (tmp_path / "locks" / "import-41.lock").stat().st_mode & 0o077 == 0


# --- Recovery ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_abandoned_run_is_queued_again_from_the_start_of_its_file():
    run = cut_short()

    assert imports_recover() == [run.pk]

    run.refresh_from_db()
    assert run.status == ImportStatus.QUEUED
    assert (run.records, run.created, run.bytes_read, run.started_at) == (0, 0, 0, None)
    assert run.options == {
        "dry_run": False,
        "on_duplicate": "skip",
        "format": "auto",
        "recoveries": 1,
    }
    assert not run.problems.exists()
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.args_kwargs["args"]) == (
        "interchange.tasks.execute_import",
        [run.pk, ""],
    )


@pytest.mark.django_db
def test_a_run_its_process_still_holds_is_left_alone(runs_alive):
    run = runs_alive(cut_short())

    assert imports_recover() == []

    run.refresh_from_db()
    assert (run.status, run.records) == (ImportStatus.RUNNING, 5)
    assert import_run_progress(run)["stalled"] is False
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_a_commands_run_has_no_file_to_run_again_and_fails_with_what_to_do():
    run = cut_short(stored=False)

    assert imports_recover() == [run.pk]

    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert run.finished_at is not None
    assert run.message.startswith("The process running this import ended before it finished")
    assert "Run the same import again" in run.message
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_a_run_that_stops_its_worker_each_time_fails_after_the_last_try():
    run = cut_short()
    run.options = {**run.options, "recoveries": RECOVERIES}
    run.save()

    assert imports_recover() == [run.pk]

    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert run.message.startswith(
        f"The worker running this import stopped {RECOVERIES + 1} times before it finished"
    )
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_finished_and_queued_runs_are_not_recovered():
    for status in (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.QUEUED):
        cut_short(status=status)

    assert imports_recover() == []


def test_the_schedule_recovers_imports_every_minute():
    from core.schedule import SCHEDULE

    [job] = [job for job in SCHEDULE if job.name == "recover_imports"]
    assert job.task is tasks.recover_imports
    assert job.every.total_seconds() == 60
