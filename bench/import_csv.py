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


def psql(server: str, command: str) -> None:
    subprocess.run(
        ["psql", f"{server}/postgres", "-q", "-c", command], check=True, capture_output=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--server", default="postgres://postgres@localhost:5432")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
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
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
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
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(result.stdout.strip().splitlines()[-2] if result.returncode == 0 else result.stderr)
        print(
            f"import_catalog: {args.rows:,} rows in {elapsed:.1f} s = "
            f"{args.rows / elapsed:,.0f} rows/s; peak RSS {peak_mib:,.0f} MiB"
        )
    finally:
        if not args.keep:
            psql(args.server, f"DROP DATABASE IF EXISTS {DATABASE}")


if __name__ == "__main__":
    main()
