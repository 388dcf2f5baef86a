"""Import benchmark: generate a CSV of N books in Shelfmark's layout and time ``import_catalog``
on it into an empty PostgreSQL database, as a librarian would run it.

    python bench/import_csv.py --rows 1000000          # rows/s and peak RSS
    python bench/import_csv.py --rows 100000 --keep    # keep the database for a look

It creates (and drops afterwards, unless --keep) the database ``shelfmark_bench_import`` on the
server of ``--server`` (default: postgres://postgres@localhost:5432), migrates it, writes the
file to a temporary folder, and runs ``manage.py import_catalog FILE`` as a child process: the
figures are the command's wall time and its peak resident memory (the kernel's maxrss of the
child). Each row is a book with two authors (drawn from 60,000 and 9,000 names, so names repeat
as in a real library), a subject, a valid ISBN-13 and one copy. Numbers depend on the machine:
compare runs made in one sitting.

Then, unless --no-floor, the floor: the same rows inserted by PostgreSQL itself into another
fresh database (FLOOR_SQL: no file, no client, one statement per table), with every index,
constraint and foreign key of the schema. No import into this schema can be faster on the
machine; the import's speed is given as a share of it, measured in the same run.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "shelfmark_bench_import"
HEADER = [
    "title", "subtitle", "authors", "isbn", "publisher", "year", "language", "subjects",
    "description", "pages", "barcode", "call_number", "location",
]  # fmt: skip


def isbn13(number: int) -> str:
    core = f"979{number:09d}"
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(core))
    return core + str((10 - total % 10) % 10)


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        for n in range(rows):
            writer.writerow(
                [
                    f"Generated Book Number {n}",
                    "A Novel" if n % 3 else "",
                    f"Author {n % 60000} Surname; Second Writer {n % 9000}",
                    isbn13(n),
                    f"Publisher {n % 500}",
                    1900 + n % 125,
                    "en" if n % 4 else "fr",
                    f"Subject {n % 400}",
                    "A short description of the book." if n % 2 else "",
                    100 + n % 700,
                    f"BC{n:09d}",
                    f"{n % 1000:03d}.{n % 97} ABC",
                    "Main shelves",
                ]
            )


def psql(server: str, command: str, database: str = "postgres") -> None:
    subprocess.run(
        ["psql", f"{server}/{database}", "-q", "-v", "ON_ERROR_STOP=1", "-c", command],
        check=True,
        capture_output=True,
    )


# The rows of write_csv, inserted by PostgreSQL itself: the names first, then each table in one
# statement, in one transaction, with every index, constraint and foreign-key check of the
# schema. No client reads, checks or sends anything, so no import into this schema can be
# faster on this machine: the floor the import is measured against.
FLOOR_SQL = """
BEGIN;
SET CONSTRAINTS ALL IMMEDIATE;
INSERT INTO catalog_author (id, name, sort_name, created_at, updated_at)
    SELECT n + 1, 'Author ' || n || ' Surname', 'Surname, Author ' || n, now(), now()
    FROM generate_series(0, LEAST(:rows, 60000) - 1) n
    UNION ALL
    SELECT 60001 + n, 'Second Writer ' || n, 'Writer, Second ' || n, now(), now()
    FROM generate_series(0, LEAST(:rows, 9000) - 1) n;
INSERT INTO catalog_subject (id, name, created_at)
    SELECT n + 1, 'Subject ' || n, now() FROM generate_series(0, LEAST(:rows, 400) - 1) n;
INSERT INTO catalog_book (id, title, subtitle, isbn, publisher, year, language, pages,
                          description, search_text, created_at, updated_at, cover)
    SELECT n + 1, 'Generated Book Number ' || n, CASE WHEN n % 3 > 0 THEN 'A Novel' ELSE '' END,
           '979' || lpad(n::text, 9, '0') || (n % 10), 'Publisher ' || n % 500, 1900 + n % 125,
           CASE WHEN n % 4 > 0 THEN 'en' ELSE 'fr' END, 100 + n % 700,
           CASE WHEN n % 2 > 0 THEN 'A short description of the book.' ELSE '' END,
           'generated book number ' || n || CASE WHEN n % 3 > 0 THEN ' a novel' ELSE '' END
           || ' author ' || n % 60000 || ' surname second writer ' || n % 9000
           || ' 979' || lpad(n::text, 9, '0') || (n % 10), now(), now(), ''
    FROM generate_series(0, :rows - 1) n;
INSERT INTO catalog_bookauthor (book_id, author_id, position)
    SELECT n + 1, n % 60000 + 1, 0 FROM generate_series(0, :rows - 1) n
    UNION ALL
    SELECT n + 1, 60001 + n % 9000, 1 FROM generate_series(0, :rows - 1) n;
INSERT INTO catalog_book_subjects (book_id, subject_id)
    SELECT n + 1, n % 400 + 1 FROM generate_series(0, :rows - 1) n;
INSERT INTO catalog_copy (barcode, book_id, call_number, location, status, loan_type, note,
                          acquired_on, created_at, updated_at)
    SELECT 'BC' || lpad(n::text, 9, '0'), n + 1, lpad((n % 1000)::text, 3, '0') || '.'
           || n % 97 || ' ABC', 'Main shelves', 'available', 'normal', '', NULL, now(), now()
    FROM generate_series(0, :rows - 1) n;
COMMIT;
"""


def database_floor(server: str, rows: int, migrate: list[str], env: dict[str, str]) -> float:
    """Seconds PostgreSQL takes to insert the benchmark's rows by itself (FLOOR_SQL), in a fresh
    database migrated like the import's."""
    database = f"{DATABASE}_floor"
    psql(server, f"DROP DATABASE IF EXISTS {database}")
    psql(server, f"CREATE DATABASE {database}")
    try:
        subprocess.run(migrate, env={**env, "DATABASE_URL": f"{server}/{database}"}, check=True)
        started = time.perf_counter()
        subprocess.run(
            ["psql", f"{server}/{database}", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"rows={rows}"],
            input=FLOOR_SQL,
            text=True,
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - started
    finally:
        psql(server, f"DROP DATABASE IF EXISTS {database}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--server", default="postgres://postgres@localhost:5432")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    parser.add_argument(
        "--no-floor",
        action="store_true",
        help="Skip the floor: the same rows inserted by PostgreSQL itself, for comparison.",
    )
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": f"{args.server}/{DATABASE}",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only",
        "ALLOWED_HOSTS": "localhost",
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    psql(args.server, f"DROP DATABASE IF EXISTS {DATABASE}")
    psql(args.server, f"CREATE DATABASE {DATABASE}")
    try:
        migrate = [*manage, "migrate", "-v0"]
        subprocess.run(migrate, env=env, check=True)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "books.csv"
            started = time.perf_counter()
            write_csv(path, args.rows)
            print(
                f"Generated {args.rows:,} rows ({path.stat().st_size / 2**20:,.0f} MiB) in "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )
            started = time.perf_counter()
            result = subprocess.run(
                [*manage, "import_catalog", str(path), "--report", str(Path(folder) / "r.csv")],
                env=env,
                capture_output=True,
                text=True,
            )
            elapsed = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mib = usage.ru_maxrss / 1024
        print(result.stdout.strip().splitlines()[-2] if result.returncode == 0 else result.stderr)
        print(
            f"import_catalog: {args.rows:,} rows in {elapsed:.1f} s = "
            f"{args.rows / elapsed:,.0f} rows/s; peak RSS {peak_mib:,.0f} MiB; CPU of the "
            f"Python processes {usage.ru_utime + usage.ru_stime:.1f} s (the rest of the wall "
            "time is PostgreSQL's)"
        )
        if not args.no_floor:
            floor = database_floor(args.server, args.rows, migrate, env)
            print(
                f"PostgreSQL alone (the same rows inserted by the server, no client): "
                f"{floor:.1f} s = {args.rows / floor:,.0f} rows/s; the import runs at "
                f"{floor / elapsed:.0%} of that speed"
            )
    finally:
        if not args.keep:
            psql(args.server, f"DROP DATABASE IF EXISTS {DATABASE}")


if __name__ == "__main__":
    main()
