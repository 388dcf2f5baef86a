"""manage.py backup and restore: a populated database (the demo catalog and circulation:
books, copies, patrons, loans, holds, their events) and its media files, backed up, then
restored into a fresh database and compared with the original table by table, row for row, on
SQLite (its online backup) and on PostgreSQL (pg_dump and pg_restore). The commands run as a
librarian runs them, in processes of their own."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)
# Not the suite's own: each run its database and folder.
OWN = ("DJANGO_", "DATABASE_", "SHELFMARK_DATA_DIR", "MEDIA_ROOT")


def manage(*arguments: str, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(OWN)}
    environment |= {"DJANGO_SETTINGS_MODULE": "shelfmark.settings", "DEBUG": "true", **variables}
    return subprocess.run(  # noqa: S603 - this interpreter, our own commands
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def populate(**variables: str) -> None:
    for command in (
        ["migrate", "--no-input"],
        ["load_demo_catalog"],
        ["load_demo_circulation"],
    ):
        done = manage(*command, **variables)
        assert done.returncode == 0, done.stderr


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's: runs in the SQLite pass")
def test_sqlite_backup_restores_every_row_and_the_covers(tmp_path):
    first, second = (
        {"SHELFMARK_DATA_DIR": str(tmp_path / "a")},
        {"SHELFMARK_DATA_DIR": str(tmp_path / "b")},
    )
    populate(**first)
    cover = tmp_path / "a" / "media" / "covers" / "middlemarch.jpg"
    cover.parent.mkdir(parents=True)
    cover.write_bytes(b"\xff\xd8\xff a cover")
    backup = tmp_path / "nightly.tar"
    done = manage("backup", str(backup), **first)
    assert done.returncode == 0, done.stderr
    assert "Backup written" in done.stdout

    done = manage("restore", "--no-input", str(backup), **second)
    assert done.returncode == 0, done.stderr
    original = sqlite_rows(tmp_path / "a" / "shelfmark.sqlite3")
    restored = sqlite_rows(tmp_path / "b" / "shelfmark.sqlite3")
    assert set(restored) == set(original)
    for table, rows in original.items():
        assert restored[table] == rows, table
    for table in ("book", "loan", "hold", "circulationevent"):
        name = f"catalog_{table}" if table == "book" else f"circulation_{table}"
        assert original[name], f"the demo filled {name}"
    assert (tmp_path / "b" / "media" / "covers" / "middlemarch.jpg").read_bytes() == (
        cover.read_bytes()
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_backup_restores_every_row_into_a_fresh_database(tmp_path):
    url = _database_url(connection.settings_dict["NAME"])
    populated = f"{connection.settings_dict['NAME']}_backup_from"
    fresh = f"{connection.settings_dict['NAME']}_backup_to"
    with _databases(populated, fresh):
        media = {"MEDIA_ROOT": str(tmp_path / "media-a")}
        populate(DATABASE_URL=_database_url(populated), **media)
        backup = tmp_path / "nightly.tar"
        done = manage("backup", str(backup), DATABASE_URL=_database_url(populated), **media)
        assert done.returncode == 0, done.stderr
        with tarfile.open(backup) as archive:
            assert {"manifest.json", "database.dump"} <= set(archive.getnames())

        done = manage(
            "restore",
            "--no-input",
            str(backup),
            DATABASE_URL=_database_url(fresh),
            MEDIA_ROOT=str(tmp_path / "media-b"),
        )
        assert done.returncode == 0, done.stderr
        original, restored = postgres_rows(populated), postgres_rows(fresh)
        assert set(restored) == set(original)
        for table, rows in original.items():
            assert restored[table] == rows, table
        assert original["circulation_loan"][0] > 0
    assert url  # the suite's own database was not touched


def test_a_file_that_is_not_a_backup_is_refused_clearly(tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not a tar file at all")
    done = manage("restore", "--no-input", str(junk), SHELFMARK_DATA_DIR=str(tmp_path / "x"))
    assert done.returncode == 1
    assert "is not a Shelfmark backup" in done.stderr
    assert "Traceback" not in done.stderr
    done = manage("restore", str(junk), SHELFMARK_DATA_DIR=str(tmp_path / "x"))
    assert "Add --no-input" in done.stderr  # no terminal to ask on


def sqlite_rows(path: Path) -> dict[str, list[tuple]]:
    database = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in database.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            table: sorted(database.execute(f'SELECT * FROM "{table}"'), key=repr)  # noqa: S608
            for table in tables
        }
    finally:
        database.close()


def postgres_rows(name: str) -> dict[str, tuple[Any, ...] | None]:
    """Each table's row count and a digest of all its rows, in a fixed order."""
    with psycopg.connect(_database_url(name)) as database:
        tables = [
            row[0]
            for row in database.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        return {
            table: database.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t"  # noqa: E501, S608
            ).fetchone()
            for table in tables
        }


def _database_url(name: str) -> str:
    settings_dict = connection.settings_dict
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "localhost"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


class _databases:
    """Two empty databases beside the suite's, dropped afterwards."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(_database_url("postgres"), autocommit=True)

    def __enter__(self) -> None:
        with self._admin() as admin:
            for name in self.names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{name}"')

    def __exit__(self, *exc: object) -> None:
        with self._admin() as admin:
            for name in self.names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
