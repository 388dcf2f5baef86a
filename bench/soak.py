"""A soak test: the production server under a mixed load for a set time, then its promises
checked (README, "Operations"). ``scripts/soak`` runs it (``python -m bench.soak``); CI for 2
minutes, ``scripts/soak --minutes 60`` for an hour.

It starts ``./scripts/serve --production`` on PostgreSQL (DATABASE_URL) on a free loopback
port, with the demo catalog and circulation and a staff token, and drives it from threads:

- visitors: the catalog, a search, a book's page;
- API readers: book searches and books;
- desk clients: checkout, renew, check-in and holds placed and cancelled, on shared copies and
  patrons, so they collide (a refusal, 409, is an answer; a 5xx is a failure);
- an importer: a small CSV import every 20 seconds, through manage.py import_catalog.

Every request is bounded (a 30 s timeout) and each client paces itself, on 127.0.0.1 only. It
reports the latency percentiles per kind, and fails on any 5xx or transport error, on gunicorn
workers' memory (RSS) growing more than 10 % after the warm-up, and on a broken invariant
afterwards: a copy with two open loans, a copy whose status disagrees with its loans and holds,
a loan or hold without its event.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import psycopg

from shelfmark.testing.servers import ProductionServer

WORDS = ("war", "love", "history", "house", "night", "city", "river", "dickens", "austen")
RSS_GROWTH_LIMIT = 0.10


class Tally:
    """Every answer: its kind, status and seconds; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[int, int] = defaultdict(int)
        self.failures: list[str] = []

    def add(self, kind: str, status: int, seconds: float, what: str) -> None:
        with self.lock:
            self.seconds[kind].append(seconds)
            self.statuses[status] += 1
            if status >= 500:
                self.failures.append(f"{status} {what}")

    def error(self, what: str) -> None:
        with self.lock:
            self.failures.append(what)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=8, help="threads of each kind")
    arguments = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        print("The soak runs on PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
        return 2
    # A stop (CI's timeout, Ctrl-C) still stops the server it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory() as work, Server(Path(work), arguments.workers) as server:
        return soak(server, arguments, database_url)


def soak(server: Server, arguments: argparse.Namespace, database_url: str) -> int:
    token = server.manage_output("create_api_token", "admin", "--name", "soak").split()[-1]
    staff = {"Authorization": f"Token {token}"}
    with httpx.Client(base_url=server.url, timeout=30, headers=staff) as http:
        copies = all_pages(http, "/api/v1/copies/", status="available")
        patrons = all_pages(http, "/api/v1/patrons/")
        books = [copy["book"] for copy in copies]
    cards = [patron["card_number"] for patron in patrons if not patron.get("blocked")]
    patron_ids = [patron["id"] for patron in patrons]
    print(f"soak: {len(copies)} copies, {len(cards)} patrons, {arguments.seconds:.0f} s")
    tally = Tally()
    stop = threading.Event()
    started = time.monotonic()
    warm = started + min(30.0, arguments.seconds / 4)

    def visitor(seed: int) -> None:
        chance = random.Random(seed)
        with httpx.Client(base_url=server.url, timeout=30) as http:
            while not stop.is_set():
                for kind, path in (
                    ("page", "/"),
                    ("search", f"/?q={chance.choice(WORDS)}"),
                    ("page", f"/books/{chance.choice(books)}/"),
                ):
                    _call(tally, kind, http, "GET", path)
                stop.wait(0.2)

    def reader(seed: int) -> None:
        chance = random.Random(seed)
        with httpx.Client(base_url=server.url, timeout=30, headers=staff) as http:
            while not stop.is_set():
                _call(tally, "api", http, "GET", f"/api/v1/books/?q={chance.choice(WORDS)}")
                _call(tally, "api", http, "GET", f"/api/v1/books/{chance.choice(books)}/")
                stop.wait(0.2)

    def desk(seed: int) -> None:
        chance = random.Random(seed)
        with httpx.Client(base_url=server.url, timeout=30, headers=staff) as http:
            while not stop.is_set():
                barcode = chance.choice(copies)["barcode"]
                lent = _call(
                    tally,
                    "desk",
                    http,
                    "POST",
                    "/api/v1/circulation/checkout/",
                    {"patron": chance.choice(cards), "copy": barcode},
                )
                if lent is not None and lent.status_code == 201:
                    loan = lent.json()["id"]
                    _call(tally, "desk", http, "POST", f"/api/v1/loans/{loan}/renew/", {})
                hold = _call(
                    tally,
                    "desk",
                    http,
                    "POST",
                    "/api/v1/holds/",
                    {"book": chance.choice(books), "patron": chance.choice(patron_ids)},
                )
                _call(
                    tally, "desk", http, "POST", "/api/v1/circulation/checkin/", {"copy": barcode}
                )
                if hold is not None and hold.status_code == 201 and chance.random() < 0.5:
                    hold_id = hold.json()["id"]
                    _call(tally, "desk", http, "POST", f"/api/v1/holds/{hold_id}/cancel/", {})
                stop.wait(0.1)

    def importer() -> None:
        batch = 0
        while not stop.is_set():
            batch += 1
            path = server.work / f"import-{batch}.csv"
            with path.open("w", newline="") as file:
                writer = csv.writer(file)
                writer.writerow(["title", "authors", "year"])
                for n in range(50):
                    writer.writerow([f"Soak batch {batch} book {n}", f"Author {n % 7}", 1990 + n])
            begun = time.monotonic()
            done = server.manage("import_catalog", str(path))
            tally.add("import", 200 if done.returncode == 0 else 500, time.monotonic() - begun, "")
            if done.returncode != 0:
                tally.error(f"import_catalog failed: {done.stderr[-500:]}")
            stop.wait(20)

    threads = [threading.Thread(target=importer, name="importer")]
    for n in range(arguments.clients):
        threads += [
            threading.Thread(target=visitor, args=(n,), name=f"visitor-{n}"),
            threading.Thread(target=reader, args=(100 + n,), name=f"reader-{n}"),
            threading.Thread(target=desk, args=(200 + n,), name=f"desk-{n}"),
        ]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, warm - time.monotonic()))
    rss_warm = server.worker_rss()
    time.sleep(max(0.0, started + arguments.seconds - time.monotonic()))
    rss_end = server.worker_rss()
    stop.set()
    for thread in threads:
        thread.join(timeout=60)

    report = _report(tally, rss_warm, rss_end, time.monotonic() - started)
    problems = list(tally.failures[:20])
    growth = (rss_end - rss_warm) / rss_warm if rss_warm else 0.0
    if growth > RSS_GROWTH_LIMIT:
        problems.append(f"gunicorn workers' RSS grew {growth:.1%} after the warm-up")
    problems += invariants(database_url)
    print(json.dumps(report, indent=2))
    for problem in problems:
        print(f"FAIL: {problem}")
    print("soak: " + ("FAILED" if problems else "passed"))
    return 1 if problems else 0


def invariants(database_url: str) -> list[str]:
    """What must hold after any load, read from the database itself."""
    with psycopg.connect(database_url) as database:
        return broken_invariants(lambda query: database.execute(query).fetchall())


def broken_invariants(rows_of: Callable[[str], Sequence[Any]]) -> list[str]:
    """Each invariant that does not hold, with a few of the rows that break it; ``rows_of`` runs
    a query on the database under test (psycopg here, psql in a container for bench.faults)."""
    checks = {
        "a copy with two open loans": """
            SELECT copy_id FROM circulation_loan WHERE checked_in_at IS NULL
            GROUP BY copy_id HAVING count(*) > 1""",
        "a copy on loan without an open loan, or the other way round": """
            SELECT c.id FROM catalog_copy c
            LEFT JOIN circulation_loan l ON l.copy_id = c.id AND l.checked_in_at IS NULL
            WHERE (c.status = 'on_loan') <> (l.id IS NOT NULL)""",
        "a copy on the hold shelf without its one ready hold, or the other way round": """
            SELECT c.id FROM catalog_copy c
            LEFT JOIN circulation_hold h ON h.copy_id = c.id AND h.status = 'ready'
            WHERE (c.status = 'on_hold_shelf') <> (h.id IS NOT NULL)""",
        "a loan without its checkout event": """
            SELECT l.id FROM circulation_loan l WHERE NOT EXISTS (
                SELECT 1 FROM circulation_circulationevent e
                WHERE e.loan_id = l.id AND e.kind = 'checkout')""",
        "a returned loan without its check-in event": """
            SELECT l.id FROM circulation_loan l WHERE l.checked_in_at IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM circulation_circulationevent e
                WHERE e.loan_id = l.id AND e.kind = 'checkin')""",
        "a renewal without its event": """
            SELECT l.id FROM circulation_loan l WHERE l.renewals > (
                SELECT count(*) FROM circulation_circulationevent e
                WHERE e.loan_id = l.id AND e.kind = 'renew')""",
        "a hold without its placed event": """
            SELECT h.id FROM circulation_hold h WHERE NOT EXISTS (
                SELECT 1 FROM circulation_circulationevent e
                WHERE e.hold_id = h.id AND e.kind = 'hold_placed')""",
        "a patron waiting twice for one book": """
            SELECT patron_id, book_id FROM circulation_hold
            WHERE status IN ('waiting', 'ready') GROUP BY patron_id, book_id HAVING count(*) > 1""",
    }
    broken = []
    for what, query in checks.items():
        rows = rows_of(query)
        if rows:
            broken.append(f"{what}: {list(rows)[:5]}")
    return broken


def _report(tally: Tally, rss_warm: int, rss_end: int, seconds: float) -> dict[str, Any]:
    def percentiles(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        cuts = statistics.quantiles(ordered, n=100) if len(ordered) > 1 else ordered * 99
        return {
            "requests": len(ordered),
            "p50_ms": round(cuts[49] * 1000, 1),
            "p95_ms": round(cuts[94] * 1000, 1),
            "p99_ms": round(cuts[98] * 1000, 1),
        }

    return {
        "seconds": round(seconds, 1),
        "statuses": dict(sorted(tally.statuses.items())),
        "latency": {kind: percentiles(values) for kind, values in sorted(tally.seconds.items())},
        "worker_rss_mb": {"after_warm_up": rss_warm // 1024, "at_end": rss_end // 1024},
    }


def _call(
    tally: Tally, kind: str, http: httpx.Client, method: str, path: str, body: Any = None
) -> httpx.Response | None:
    begun = time.monotonic()
    try:
        response = http.request(method, path, json=body)
    except httpx.HTTPError as error:
        tally.error(f"{method} {path}: {type(error).__name__} {error}")
        return None
    tally.add(kind, response.status_code, time.monotonic() - begun, f"{method} {path}")
    return response


def all_pages(http: httpx.Client, path: str, **params: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    url: str | None = path
    # The next page's link carries its query; params, even empty ones, would replace it.
    query: dict[str, Any] | None = {"page_size": 100, **params}
    while url:
        body = http.get(url, params=query).raise_for_status().json()
        rows += body["results"]
        url, query = body.get("next"), None
    return rows


class Server(ProductionServer):
    """The production server (shelfmark.testing.servers) on PostgreSQL, with the demo library
    and an admin."""

    def __init__(self, work: Path, workers: int) -> None:
        super().__init__(
            work,
            {
                "DATABASE_URL": os.environ["DATABASE_URL"],
                "WEB_CONCURRENCY": str(workers),
                "LOG_LEVEL": "WARNING",
            },
        )

    def __enter__(self) -> Server:
        super().__enter__()
        try:
            for command in ("load_demo_catalog", "load_demo_circulation", "ensure_admin"):
                self.manage_output(command)
        except BaseException:
            self.__exit__()
            raise
        return self

    def manage_output(self, *arguments: str) -> str:
        done = self.manage(*arguments)
        if done.returncode != 0:
            raise SystemExit(f"manage.py {' '.join(arguments)}: {done.stderr}")
        return done.stdout.strip()

    def worker_rss(self) -> int:
        """The gunicorn workers' resident memory together, in kB (from /proc)."""
        children: dict[int, list[int]] = defaultdict(list)
        names: dict[int, str] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                names[int(entry.name)] = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children[parent].append(int(entry.name))
        masters = [p for p in children[self.process.pid] if "gunicorn" in names.get(p, "")]
        total = 0
        for master in masters:
            for worker in children[master]:
                try:
                    status = Path(f"/proc/{worker}/status").read_text()
                except OSError:
                    continue
                for line in status.splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        return total


if __name__ == "__main__":
    sys.exit(main())
