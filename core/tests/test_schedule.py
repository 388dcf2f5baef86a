"""The schedule (core.schedule): each app registers its periodic jobs, and any number of
runners enqueue each run once."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from core import tasks
from core.models import ScheduledJob
from core.schedule import SCHEDULE, Periodic, schedule_prepare, schedule_register, schedule_tick

T0 = datetime.datetime(2026, 3, 10, 9, 0, 0, tzinfo=datetime.UTC)


def minutes(n: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


@pytest.fixture
def schedule():
    """The registered jobs, put back as they were after the test."""
    kept = list(SCHEDULE)
    yield SCHEDULE
    SCHEDULE[:] = kept


def test_runs_fall_on_fixed_marks_of_the_clock():
    quarter = Periodic("q", tasks.purge_old_records, minutes(15))
    daily = Periodic("d", tasks.purge_old_records, datetime.timedelta(days=1))

    assert quarter.next_mark(T0) == T0 + minutes(15)
    assert quarter.next_mark(T0 + minutes(14.9)) == T0 + minutes(15)
    assert quarter.next_mark(T0 + minutes(16)) == T0 + minutes(30)
    assert daily.next_mark(T0) == datetime.datetime(2026, 3, 11, tzinfo=datetime.UTC)


def test_each_app_puts_its_own_jobs_on_the_schedule():
    # core's, then circulation's and interchange's, in INSTALLED_APPS order (their ready()).
    assert [(job.name, job.task.module_path, job.every) for job in SCHEDULE] == [
        ("purge_old_records", "core.tasks.purge_old_records", datetime.timedelta(days=1)),
        ("send_notices", "circulation.tasks.send_notices", minutes(15)),
        ("expire_holds", "circulation.tasks.expire_holds", datetime.timedelta(hours=1)),
        ("accrue_fines", "circulation.tasks.accrue_fines", datetime.timedelta(hours=1)),
        ("recover_imports", "interchange.tasks.recover_imports", minutes(1)),
        (
            "purge_interchange_records",
            "interchange.tasks.purge_interchange_records",
            datetime.timedelta(days=1),
        ),
    ]


def test_registering_a_job_again_changes_nothing(schedule):
    job = Periodic("hourly_purge", tasks.purge_old_records, datetime.timedelta(hours=1))

    schedule_register(job)
    schedule_register(Periodic("hourly_purge", tasks.purge_old_records, minutes(60)))

    assert [j for j in schedule if j.name == "hourly_purge"] == [job]


def test_another_job_under_a_name_taken_is_refused(schedule):
    before = list(schedule)

    with pytest.raises(ValueError, match="already has a job named 'send_notices'"):
        schedule_register(Periodic("send_notices", tasks.purge_old_records, minutes(15)))
    assert schedule == before


@pytest.mark.django_db
def test_a_job_registered_by_an_app_is_run_by_the_schedule(schedule):
    schedule_register(
        Periodic("hourly_purge", tasks.purge_old_records, datetime.timedelta(hours=1))
    )
    schedule_prepare(now=T0)

    enqueued = {e.name: e.task_id for e in schedule_tick(now=T0)}

    assert DBTaskResult.objects.get(pk=enqueued["hourly_purge"]).task_path == (
        "core.tasks.purge_old_records"
    )
    assert "hourly_purge" not in {e.name for e in schedule_tick(now=T0 + minutes(59))}
    assert "hourly_purge" in {e.name for e in schedule_tick(now=T0 + minutes(60))}


@pytest.mark.django_db
def test_each_job_is_enqueued_once_per_mark():
    schedule_prepare(now=T0)

    def names(at):
        return sorted(e.name for e in schedule_tick(now=at))

    assert names(T0) == [
        "accrue_fines", "expire_holds", "purge_interchange_records", "purge_old_records",
        "recover_imports", "send_notices",
    ]  # fmt: skip
    assert names(T0) == []
    assert names(T0 + minutes(0.5)) == []
    assert names(T0 + minutes(14)) == ["recover_imports"]
    assert names(T0 + minutes(15)) == ["recover_imports", "send_notices"]
    assert names(T0 + minutes(20)) == ["recover_imports"]
    assert names(T0 + minutes(60)) == [
        "accrue_fines", "expire_holds", "recover_imports", "send_notices",
    ]  # fmt: skip
    # The daily jobs, core's and interchange's.
    assert names(T0 + minutes(15 * 60)) == [
        "accrue_fines", "expire_holds", "purge_interchange_records", "purge_old_records",
        "recover_imports", "send_notices",
    ]  # fmt: skip
    assert DBTaskResult.objects.count() == 6 + 1 + 2 + 1 + 4 + 6
    job = ScheduledJob.objects.get(name="send_notices")
    assert job.next_run_at == T0 + minutes(15 * 60 + 15)
    assert job.last_enqueued_at == T0 + minutes(15 * 60)
    assert DBTaskResult.objects.filter(pk=job.last_task_id).exists()


@pytest.mark.django_db
def test_preparing_again_keeps_the_schedule():
    schedule_prepare(now=T0)
    schedule_tick(now=T0)

    schedule_prepare(now=T0 + minutes(0.5))

    assert ScheduledJob.objects.count() == len(SCHEDULE)
    assert schedule_tick(now=T0 + minutes(0.5)) == []


@pytest.mark.django_db
def test_the_schedule_is_read_only_in_the_admin(admin_client):
    schedule_prepare(now=T0)

    changelist = admin_client.get(reverse("admin:core_scheduledjob_changelist"))

    assert changelist.status_code == 200
    assert "purge_interchange_records" in changelist.content.decode()
    assert admin_client.get(reverse("admin:core_scheduledjob_add")).status_code == 403
