"""interchange.services.purge: what the daily purge deletes, and what it keeps."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from interchange.models import ImportRun, ImportStatus, IsbnLookup, LookupStatus
from interchange.services.purge import FILES_KEEP, PREVIEWS_KEEP, interchange_purge

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def run(
    name: str, *, age: datetime.timedelta, dry_run: bool, status: str, file: str = ""
) -> ImportRun:
    stored = default_storage.save(f"imports/{file}", ContentFile(b"title\nEmma\n")) if file else ""
    created = ImportRun.objects.create(
        source_name=name,
        options={"dry_run": dry_run},
        status=status,
        file=stored,
        finished_at=NOW - age if status in (ImportStatus.DONE, ImportStatus.FAILED) else None,
    )
    ImportRun.objects.filter(pk=created.pk).update(created_at=NOW - age)
    return ImportRun.objects.get(pk=created.pk)


def test_old_previews_go_with_their_files_and_old_imports_keep_their_history_only():
    stale = run(
        "stale.csv", age=PREVIEWS_KEEP * 2, dry_run=True, status=ImportStatus.DONE, file="stale.csv"
    )
    fresh = run(
        "fresh.csv", age=PREVIEWS_KEEP / 2, dry_run=True, status=ImportStatus.DONE, file="fresh.csv"
    )
    busy = run(
        "busy.csv",
        age=PREVIEWS_KEEP * 2,
        dry_run=True,
        status=ImportStatus.RUNNING,
        file="busy.csv",
    )
    old = run(
        "old.csv", age=FILES_KEEP * 2, dry_run=False, status=ImportStatus.DONE, file="old.csv"
    )
    recent = run(
        "recent.csv", age=FILES_KEEP / 2, dry_run=False, status=ImportStatus.DONE, file="recent.csv"
    )

    counts = interchange_purge(now=NOW)

    assert counts["import_previews"] == 1
    assert counts["import_files"] == 2
    assert not ImportRun.objects.filter(pk=stale.pk).exists()
    assert not default_storage.exists(str(stale.file.name))
    old.refresh_from_db()
    assert old.file.name == ""  # the run and its report stay in the history
    for kept in (fresh, busy, recent):
        kept.refresh_from_db()
        assert default_storage.exists(str(kept.file.name))


def test_a_file_a_confirmed_import_still_names_stays():
    preview = run(
        "shared.csv", age=PREVIEWS_KEEP * 2, dry_run=True, status=ImportStatus.DONE, file="s.csv"
    )
    ImportRun.objects.create(
        source_name="shared.csv", file=preview.file.name, status=ImportStatus.DONE
    )

    interchange_purge(now=NOW)

    assert default_storage.exists(str(preview.file.name))


def test_expired_isbn_answers_go():
    for isbn, expires in (
        ("9780141439518", NOW - datetime.timedelta(seconds=1)),
        ("9780141439587", NOW + datetime.timedelta(days=1)),
    ):
        IsbnLookup.objects.create(
            isbn=isbn, status=LookupStatus.NOT_FOUND, fetched_at=NOW, expires_at=expires
        )

    assert interchange_purge(now=NOW)["isbn_lookups"] == 1
    assert list(IsbnLookup.objects.values_list("isbn", flat=True)) == ["9780141439587"]


def test_the_command_says_what_it_purged():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("purge_interchange_records", stdout=out)

    assert out.getvalue() == (
        "Purged: 0 import previews, 0 import files, 0 finished imports without file, "
        "0 isbn lookups.\n"
    )
