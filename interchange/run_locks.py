"""Whether an import run is being run by a process that is still alive.

The process that runs an import run (the worker's ``import_execute``, the import commands) holds
the run's lock from before it marks the run RUNNING until it is done with it, and the lock goes
with the process however it ends (a SIGKILL, its container stopped, the machine restarted):

- on PostgreSQL, a session advisory lock, which the server releases with the connection;
- on SQLite, whose web and worker processes share one machine, an ``flock`` on a file beside the
  database, which the kernel releases with the process (an empty file a run, in ``locks/``).

So a RUNNING run whose lock is free has no one running it: the schedule's ``recover_imports``
runs it again (``interchange.services.uploads.imports_recover``), and its page says so at once,
not after ``STALLED_AFTER`` without progress.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
import threading
from collections.abc import Collection, Iterator
from pathlib import Path

from django.db import DatabaseError, connection

# The first of the advisory lock's two keys: the second is the run's id. Other advisory locks
# of the project (none yet) take another first key.
ADVISORY_KEY = 0x494D5052  # "IMPR"


@contextlib.contextmanager
def run_lock(run_id: int) -> Iterator[bool]:
    """Take the run's lock for the block, without waiting: yields whether it was taken (False:
    another process runs the run). A thread that holds it takes it again."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [ADVISORY_KEY, run_id])
            taken = bool(cursor.fetchone()[0])
        try:
            yield taken
        finally:
            if taken:
                # A connection lost meanwhile took the lock with it.
                with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [ADVISORY_KEY, run_id])
        return
    if run_id in _flocked.runs:  # this thread holds it already: taken again, as PostgreSQL's
        yield True
        return
    with _lock_file(run_id) as file:
        taken = _flock(file)
        if taken:
            _flocked.runs.add(run_id)
        try:
            yield taken
        finally:
            _flocked.runs.discard(run_id)  # and the lock ends as the file closes


def runs_held(run_ids: Collection[int]) -> set[int]:
    """Which of ``run_ids`` a live process holds the lock of."""
    if not run_ids:
        return set()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # An advisory lock is the database's: another database of the server (another
            # site's, a test run's) may hold the same keys.
            cursor.execute(
                "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND classid = %s AND objsubid = 2 AND objid = ANY(%s)",
                [ADVISORY_KEY, list(run_ids)],
            )
            return {int(row[0]) for row in cursor.fetchall()}
    held = set()
    for run_id in run_ids:
        with _lock_file(run_id) as file:
            if not _flock(file):
                held.add(run_id)
    return held


class _Flocked(threading.local):
    """The runs this thread holds the flock of: an flock is not taken twice (each open file is
    a lock of its own), where PostgreSQL's advisory locks are."""

    def __init__(self) -> None:
        self.runs: set[int] = set()


_flocked = _Flocked()


def _flock(file: int) -> bool:
    try:
        fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def _lock_file(run_id: int) -> Iterator[int]:
    # Each open is a lock of its own (flock locks belong to the open file), so a process's
    # threads exclude each other too: the schedule's thread sees the worker thread's lock.
    file = os.open(_lock_folder() / f"import-{run_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        yield file
    finally:
        os.close(file)


def _lock_folder() -> Path:
    """Beside the database file; for an in-memory database (the tests'), which only its own
    process sees, a folder of that process's."""
    if connection.is_in_memory_db():  # type: ignore[attr-defined]  # SQLite's wrapper has it
        name = f"{connection.settings_dict['NAME']}-{os.getpid()}"
        folder = Path(tempfile.gettempdir()) / "shelfmark-locks" / _digest(name)
    else:
        folder = Path(connection.settings_dict["NAME"]).resolve().parent / "locks"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # private, as the data folder is
    return folder


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
