"""Backups: the whole database and the media files (covers, uploaded import files) in one
file, and that file restored into a database, the same one or a fresh one.

A backup is a tar archive:

- ``manifest.json``: what it is (the format, when, which database engine, and each table's row
  count, which ``restore`` checks afterwards);
- ``database.dump``: PostgreSQL's own dump (``pg_dump --format custom``: consistent while the
  site runs, since pg_dump reads one snapshot), or ``database.sqlite3``: SQLite's online backup
  (the sqlite3 module's ``backup``, a consistent copy while others write);
- ``media/``: every file under MEDIA_ROOT.

Restoring replaces the database's contents: PostgreSQL's with ``pg_restore --clean
--single-transaction`` (all or nothing), SQLite's with the online backup in the other
direction; then the media files. A backup restores only into the engine it came from.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections

FORMAT = 1
MANIFEST = "manifest.json"
POSTGRESQL_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
MEDIA = "media"

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot be done, and why (the command prints it)."""


def backup_create(destination: Path, *, progress: Progress = print) -> dict[str, Any]:
    """Writes a backup of the database and the media files to ``destination``; its manifest."""
    manifest = {
        "format": FORMAT,
        "created_at": datetime.datetime.now(tz=datetime.UTC).isoformat(),
        "engine": connection.vendor,
        "tables": table_counts(),
    }
    with tempfile.TemporaryDirectory() as work:
        if connection.vendor == "postgresql":
            database = Path(work) / POSTGRESQL_DUMP
            progress("Dumping the PostgreSQL database (pg_dump)…")
            _run(["pg_dump", "--format", "custom", "--no-owner", "--file", str(database)])
        elif connection.vendor == "sqlite":
            database = Path(work) / SQLITE_COPY
            progress("Copying the SQLite database (online backup)…")
            _sqlite_copy_out(database)
        else:
            raise BackupError(f"No backup for a {connection.vendor} database.")
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
            archive.add(database, arcname=database.name)
            media = Path(settings.MEDIA_ROOT)
            count = 0
            if media.is_dir():
                for path in sorted(media.rglob("*")):
                    if path.is_file():
                        archive.add(path, arcname=f"{MEDIA}/{path.relative_to(media)}")
                        count += 1
            progress(f"Added {count} media file(s).")
        partial.replace(destination)  # a backup file is whole, or not there
    progress(f"Backup written: {destination} ({destination.stat().st_size:,} bytes).")
    return manifest


def backup_restore(source: Path, *, progress: Progress = print) -> dict[str, Any]:
    """Replaces the database's contents and the media files with the backup's; its manifest.
    BackupError when the file is not a backup, or is one of another engine's."""
    try:
        archive = tarfile.open(source, "r")  # noqa: SIM115 - closed by the with below
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"{source} is not a Shelfmark backup: {error}") from error
    with archive, tempfile.TemporaryDirectory() as work:
        manifest = _manifest(archive, source)
        if manifest["engine"] != connection.vendor:
            raise BackupError(
                f"{source} is a backup of a {manifest['engine']} database; this Shelfmark runs "
                f"on {connection.vendor}. Restore it into a {manifest['engine']} database."
            )
        name = POSTGRESQL_DUMP if connection.vendor == "postgresql" else SQLITE_COPY
        archive.extract(name, work, filter="data")
        database = Path(work) / name
        if connection.vendor == "postgresql":
            connections.close_all()  # pg_restore drops and makes the tables
            progress("Restoring the PostgreSQL database (pg_restore, in one transaction)…")
            _run(
                [
                    "pg_restore",
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    "--dbname",
                    _database_name(),
                    str(database),
                ]
            )
        else:
            progress("Restoring the SQLite database (online backup)…")
            _sqlite_copy_in(database)
        count = _restore_media(archive, work)
        progress(f"Restored {count} media file(s).")
    restored = table_counts()
    differing = {
        table: (count, restored.get(table))
        for table, count in manifest["tables"].items()
        if restored.get(table) != count
    }
    if differing:
        raise BackupError(f"Restored, but these tables' row counts differ: {differing}")
    progress(f"Restored {sum(restored.values()):,} rows in {len(restored)} tables from {source}.")
    return manifest


def table_counts() -> dict[str, int]:
    """Every table of the database with its number of rows (the search index's shadow tables
    too)."""
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def _manifest(archive: tarfile.TarFile, source: Path) -> dict[str, Any]:
    try:
        member = archive.extractfile(MANIFEST)
        manifest = json.loads(member.read()) if member is not None else None
    except (KeyError, ValueError) as error:
        raise BackupError(f"{source} is not a Shelfmark backup (no manifest).") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is not a Shelfmark backup this version can read.")
    return manifest


def _restore_media(archive: tarfile.TarFile, work: str) -> int:
    media = Path(settings.MEDIA_ROOT)
    members = [m for m in archive.getmembers() if m.isfile() and m.name.startswith(f"{MEDIA}/")]
    archive.extractall(work, members=members, filter="data")
    if media.is_dir():
        shutil.rmtree(media)
    extracted = Path(work) / MEDIA
    if extracted.is_dir():
        shutil.copytree(extracted, media)
    else:
        media.mkdir(parents=True, exist_ok=True)
    return len(members)


def _sqlite_copy_out(destination: Path) -> None:
    """SQLite's online backup of the live database into ``destination``: consistent while
    others write. Through Django's own connection, whatever the database's name."""
    connection.ensure_connection()
    writing = sqlite3.connect(destination)
    try:
        connection.connection.backup(writing)
    finally:
        writing.close()


def _sqlite_copy_in(source: Path) -> None:
    """The online backup the other way: ``source`` replaces the live database's contents."""
    connection.ensure_connection()
    reading = sqlite3.connect(source)
    try:
        reading.backup(connection.connection)
    finally:
        reading.close()


def _run(command: list[str]) -> None:
    """pg_dump or pg_restore against the configured database (its connection settings as
    libpq's environment variables, so no password appears in the process list)."""
    database = settings.DATABASES["default"]
    environment = {
        **os.environ,
        "PGHOST": str(database.get("HOST") or ""),
        "PGPORT": str(database.get("PORT") or ""),
        "PGUSER": str(database.get("USER") or ""),
        "PGPASSWORD": str(database.get("PASSWORD") or ""),
        "PGDATABASE": _database_name(),
    }
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{command[0]} is missing: install PostgreSQL's client programs (Debian: "
            "postgresql-client), of the server's version or newer."
        )
    result = subprocess.run(  # noqa: S603 - PostgreSQL's own programs, our arguments
        command, env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def _database_name() -> str:
    return str(connection.settings_dict["NAME"])


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.datetime.now(tz=datetime.UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))
