"""Runs in the entrypoint before the server starts: wait for the database, then migrate.

DB_WAIT_TIMEOUT (seconds, default 60) bounds the wait; MIGRATE_ON_START=1 applies migrations.
On PostgreSQL the migration holds an advisory lock, so several web containers starting at once
migrate one after the other instead of racing on the same tables.
"""

import itertools
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shelfmark.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import Error, connection  # noqa: E402

MIGRATION_LOCK = 0x5E1F0001  # any constant; identifies "shelfmark migrations" among advisory locks


def log(message: str) -> None:
    print(f"[shelfmark] {message}", file=sys.stderr, flush=True)


def wait_for_database(timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for attempt in itertools.count():
        try:
            connection.ensure_connection()
            return
        except Error as error:
            reason = f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0]}"
            if "password authentication failed" in str(error):
                # Waiting will not help. Typical cause: POSTGRES_PASSWORD set, changed or removed
                # in .env after the database volume was created with another password.
                log(f"The database refused the login ({reason}).")
                log(
                    "PostgreSQL keeps the password it was created with; see the README, "
                    "'Run with Docker', to change it."
                )
                sys.exit(1)
            if "no password supplied" in str(error):
                # Nor here: neither DATABASE_URL nor DATABASE_PASSWORD(_FILE) gives a password.
                log(f"No database password ({reason}).")
                log(
                    "Put it in DATABASE_URL, or set DATABASE_PASSWORD or DATABASE_PASSWORD_FILE "
                    "(with compose.yaml: POSTGRES_PASSWORD in .env)."
                )
                sys.exit(1)
            if time.monotonic() >= deadline:
                log(f"The database did not answer within {timeout:.0f} s ({reason}).")
                log("Check DATABASE_URL and that the database runs: docker compose logs db")
                sys.exit(1)
            if attempt % 5 == 0:
                log(f"Waiting for the database ({reason})")
            time.sleep(1)


def migrate() -> None:
    locked = connection.vendor == "postgresql"
    if locked:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK])
    try:
        call_command("migrate", interactive=False, verbosity=1)
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK])


def main() -> None:
    wait_for_database(float(os.environ.get("DB_WAIT_TIMEOUT", "60")))
    if os.environ.get("MIGRATE_ON_START", "0").strip().lower() in {"1", "true", "yes", "on"}:
        migrate()
    connection.close()


if __name__ == "__main__":
    main()
