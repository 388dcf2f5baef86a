"""Shelfmark against its floor and stock DRF, over HTTP, on a generated catalog (./scripts/bench).

    ./scripts/bench                                   # 100,000 books, 5 s per scenario and app
    ./scripts/bench --books 20000 --json bench.json   # a quick run (a few minutes on 2 cores)
    ./scripts/bench --books 1000000 --seconds 10      # the issue's measurement

Needs PostgreSQL (``--server``, default postgres://postgres@localhost:5432, trust auth) and wrk
(Debian package ``wrk``). Steps:

1. A fresh database (``--database``, default shelfmark_bench_suite) migrated by Shelfmark's
   migrations, filled with COPY by bench/catalog_gen.py (reproducible from ``--seed``). It is kept
   and reused by the next run with the same --books and --seed (``--fresh`` rebuilds it).
2. Three servers, each gunicorn with Shelfmark's production settings (docker/gunicorn.conf.py:
   2 sync workers, preloaded app; DEBUG off, a SECRET_KEY, static files collected as the image
   does): Shelfmark; the floor (bench/floor_app.py: psycopg 3 + orjson running the SQL Shelfmark
   ran for the scenario, captured once through Django by bench/capture.py); stock DRF written the
   tutorial way (bench/stock_drf/), where the scenario exists there. The API rate limits are
   raised (API_RATE_ANON/USER) so that the benchmark measures serving, not 429s.
3. Checks before timing: Shelfmark's HTTP answer is the one it gave while its SQL was captured
   (same SHA-256; pages whose body changes per request, a CSRF token say, are checked on status),
   and the floor's statements return exactly the same rows (a digest of every row).
4. wrk at saturation (``--connections`` 4, ``--seconds`` 5) for each scenario on each server:
   req/s and wrk's p50/p99; then Shelfmark alone at a fixed rate, half its saturation, from a
   small Python client that times each request from when it was due (no coordinated omission):
   p50/p95/p99. Statements per request come from the capture; worker RSS is read from /proc after
   the whole run.

Scenarios: API list (50 books), a page deep in the catalog (90% of the way, by keyset cursor;
stock DRF: the page number), book detail, search for a common word, a rare word, a misspelt word,
an ISBN typed with hyphens, search with facets, a 304 revalidation of the book detail (the
client sends the ETag of its 200; compared with the floor's 200 path for the same page), the
HTML home page and book page.

Checkout -> check-in cycles (``--cycle-clients`` 4, ``--no-cycles`` skips them): a staff
account ("bench-desk") and an API token are created; each client lends its own available copy to
its own patron (without open loans) through POST /api/v1/circulation/checkout/ and takes it back
through /checkin/, for --seconds: cycles/s and the cycle's p50/p99, with the statements of one
checkout and one check-in (captured through Django's test client). The database keeps the closed
loans.

The cycles' floor replays each client's captured checkout and check-in statements through the
bare app, one request each, pointing them at the loan the replay made (bench/floor_app.py says
how); its errors are counted beside its cycles/s. Stock DRF has no circulation, so no cycles.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import contextlib
import datetime
import hashlib
import http.client
import json
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import catalog_gen  # noqa: E402

PORTS = {"shelfmark": 8701, "floor": 8702, "stock": 8703}
HOST = "127.0.0.1"


@dataclass
class Scenario:
    name: str
    url: str  # Shelfmark's
    stock_url: str | None = None
    accept: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    skip: str = ""  # why it is not measured


@dataclass
class Measure:
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    statements: int | None = None
    note: str = ""


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile (0-1) of ``values``, nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def keyset_cursor(title: str, book_id: int) -> str:
    """Shelfmark's cursor for the page after (title, id): base64url JSON, no padding."""
    raw = json.dumps({"p": [title, book_id], "b": 0}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def misspell(word: str) -> str:
    """The word with two letters near its end swapped, as typed in a hurry ("history" ->
    "histroy")."""
    if len(word) < 4:
        return word + word[-1]
    i = len(word) - 3
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


_WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_WRK_ERRORS = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_WRK_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def wrk_latency_ms(text: str, label: str) -> float:
    match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    if not match:
        return 0.0
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def parse_wrk(text: str) -> Measure:
    rps = _WRK_RPS.search(text)
    errors = sum(int(n) for n in _WRK_ERRORS.findall(text))
    socket = _WRK_SOCKET.search(text)
    if socket:
        errors += sum(int(n) for n in socket.groups()[1:])  # connect errors: see the note
    return Measure(
        rps=float(rps.group(1)) if rps else 0.0,
        p50_ms=wrk_latency_ms(text, "50"),
        p99_ms=wrk_latency_ms(text, "99"),
        errors=errors,
    )


# ----------------------------------------------------------------------------------------------
# Database


def psql(server: str, sql: str, database: str = "postgres") -> str:
    done = subprocess.run(
        ["psql", f"{server}/{database}", "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def prepare_database(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    """The generated catalog's facts (words, ISBN), building the database unless it is there."""
    marker = f"bench books={args.books} seed={args.seed}"
    # The database name is checked by main() (letters, digits, underscores): safe in SQL text.
    exists = psql(args.server, f"SELECT 1 FROM pg_database WHERE datname = '{args.database}'")  # noqa: S608
    if exists and not args.fresh:
        comment = psql(
            args.server,
            f"SELECT shobj_description(oid, 'pg_database') FROM pg_database "  # noqa: S608
            f"WHERE datname = '{args.database}'",
        )
        if comment.startswith(marker + " "):
            print(f"==> Reusing {args.database} ({marker}; --fresh rebuilds it)", flush=True)
            return dict(json.loads(comment[len(marker) + 1 :]))
    print(f"==> Building {args.database}: {args.books:,} books, seed {args.seed}", flush=True)
    psql(args.server, f"DROP DATABASE IF EXISTS {args.database}")
    psql(args.server, f"CREATE DATABASE {args.database}")
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    migrated = time.perf_counter()
    catalog = catalog_gen.generate(args.books, args.seed)
    generated = time.perf_counter()
    catalog_gen.load(f"{args.server}/{args.database}", catalog)
    # The spelling vocabulary, counted from the books by the app's own command.
    subprocess.run(
        [sys.executable, "manage.py", "search_words", "--rebuild"],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    loaded = time.perf_counter()
    facts: dict[str, Any] = {
        "common_word": catalog.common_word,
        "rare_word": catalog.rare_word,
        "isbn": catalog.sample_isbn,
        "rows": {table: len(rows) for table, rows in catalog.tables.items()},
    }
    print(
        f"    migrate {migrated - started:.0f} s, generate {generated - migrated:.0f} s, "
        f"COPY + ANALYZE + vocabulary {loaded - generated:.0f} s; "
        + ", ".join(f"{table} {count:,}" for table, count in facts["rows"].items()),
        flush=True,
    )
    psql(args.server, f"COMMENT ON DATABASE {args.database} IS '{marker} {json.dumps(facts)}'")
    return facts


def scenarios(args: argparse.Namespace, facts: dict[str, Any]) -> list[Scenario]:
    database = f"{args.server}/{args.database}"
    deep = int(args.books * 0.9)
    row = psql(
        args.server,
        f"SELECT id || chr(9) || title FROM catalog_book ORDER BY title, id OFFSET {deep} LIMIT 1",  # noqa: S608
        args.database,
    )
    deep_id, deep_title = row.split("\t", 1)
    book = psql(
        args.server, "SELECT id FROM catalog_book ORDER BY id OFFSET 10 LIMIT 1", args.database
    )
    del database
    common, rare, isbn = facts["common_word"], facts["rare_word"], facts["isbn"]
    hyphens = catalog_gen.hyphenated(isbn)
    api = "/api/v1/books/"
    return [
        Scenario("API list, 50 books", f"{api}?page_size=50", "/api/books/"),
        Scenario(
            "API page deep in the catalog",
            f"{api}?cursor={keyset_cursor(deep_title, int(deep_id))}&page_size=50",
            f"/api/books/?page={deep // 50}",
        ),
        Scenario("API book detail", f"{api}{book}/", f"/api/books/{book}/"),
        Scenario(f"search, common word ({common})", f"{api}?q={common}&page_size=50",
                 f"/api/books/?search={common}"),
        Scenario(f"search, rare word ({rare})", f"{api}?q={rare}&page_size=50",
                 f"/api/books/?search={rare}"),
        Scenario(f"search, typo ({misspell(common)})", f"{api}?q={misspell(common)}&page_size=50",
                 f"/api/books/?search={misspell(common)}"),
        Scenario(
            "search, ISBN with hyphens", f"{api}?q={hyphens}", f"/api/books/?search={hyphens}"
        ),
        Scenario(
            "search with facets",
            f"{api}?q={common}&page_size=50&facets=author,subject,language,decade,available",
        ),
        Scenario("304 revalidation (book detail)", f"{api}{book}/"),
        Scenario("HTML home", "/", accept="text/html"),
        Scenario("HTML book page", f"/books/{book}/", accept="text/html"),
    ]  # fmt: skip


# ----------------------------------------------------------------------------------------------
# Servers


@contextlib.contextmanager
def gunicorn(
    name: str, app: str, env: dict[str, str], logs: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Shelfmark's production gunicorn settings (docker/gunicorn.conf.py), on a local port."""
    log = (logs / f"{name}.log").open("wb")
    command = [
        sys.executable, "-m", "gunicorn", "--config", str(ROOT / "docker" / "gunicorn.conf.py"),
        "--bind", f"{HOST}:{PORTS[name]}", app,
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{name} did not start: see {logs / (name + '.log')}")
            with contextlib.suppress(OSError):
                connection = http.client.HTTPConnection(HOST, PORTS[name], timeout=5)
                connection.request("GET", "/healthz-bench-probe")
                connection.getresponse().read()
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} did not answer in 60 s: see {logs}")
            time.sleep(0.3)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def workers_rss_mb(process: subprocess.Popen[bytes]) -> list[float]:
    """Resident memory of the gunicorn master's children (its workers), in MB."""
    sizes = []
    for child in Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split():
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{child}/status").read_text()
            kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            sizes.append(kb / 1024)
    return sizes


def get(port: int, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    connection.request("GET", url, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def capture(settings: str, urls: list[str], env: dict[str, str], port: int) -> dict[str, Any]:
    options = [] if settings == "shelfmark.settings" else ["--no-rows"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "capture.py"), *options, f"{HOST}:{port}", *urls],
        env={**env, "DJANGO_SETTINGS_MODULE": settings},
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(done.stdout))


# ----------------------------------------------------------------------------------------------
# Load


def settle(args: argparse.Namespace) -> None:
    """End what a timed run left running, until the database is idle: a request wrk gave up on
    (its 10 s timeout) keeps its query going, and a sync worker still serves the requests queued
    on connections wrk closed, statement after statement (stock DRF's slow pages), which would
    slow whatever is measured next. At most a minute."""
    quiet = 0
    deadline = time.monotonic() + 60
    while quiet < 2 and time.monotonic() < deadline:
        cancelled = psql(
            args.server,
            "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity "  # noqa: S608 (checked)
            f"WHERE datname = '{args.database}' AND state = 'active' AND pid <> pg_backend_pid()",
        )
        quiet = quiet + 1 if cancelled == "0" else 0
        time.sleep(0.5)


def wrk(port: int, url: str, headers: dict[str, str], seconds: int, connections: int) -> Measure:
    command = ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s",
               "--latency", "--timeout", "10s"]  # fmt: skip
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    done = subprocess.run(
        [*command, f"http://{HOST}:{port}{url}"], capture_output=True, text=True, check=True
    )
    return parse_wrk(done.stdout)


def fixed_rate(
    port: int, url: str, headers: dict[str, str], rate: float, seconds: float
) -> dict[str, float]:
    """Latency at ``rate`` requests/s: each request timed from when it was due, so a slow answer
    delays the ones behind it in the figures too (wrk2's way, without wrk2)."""
    total = max(1, int(rate * seconds))
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start = time.perf_counter() + 0.2
    counter = iter(range(total))

    def client() -> None:
        nonlocal errors
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            due = start + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                status, _, _ = get(port, url, headers)
            except OSError:
                status = 0
            finished = time.perf_counter()
            with lock:
                latencies.append((finished - due) * 1000)
                errors += status not in (200, 304)

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        for _ in range(16):
            pool.submit(client)
    return {
        "rate": round(rate, 1),
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "errors": errors,
    }


def post(port: int, url: str, payload: dict[str, str], token: str) -> int:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    headers = {
        "Authorization": f"Token {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    connection.request("POST", url, body=json.dumps(payload), headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def desk_setup(args: argparse.Namespace, env: dict[str, str], pairs: int) -> tuple[str, list[Any]]:
    """A staff token and ``pairs`` (card, barcode) pairs that can cycle without refusals: an
    available normal copy of its own book each, a patron without open loans each."""
    manage = [sys.executable, "manage.py"]
    password = hashlib.sha256(os.urandom(16)).hexdigest()
    subprocess.run(
        [*manage, "ensure_admin", "--username", "bench-desk", f"--password={password}"],
        env=env, cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    created = subprocess.run(
        [*manage, "create_api_token", "bench-desk", "--name", "bench"],
        env=env, cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    token = created.stdout.strip().splitlines()[-1]
    rows = psql(
        args.server,
        # pairs is an int: safe in SQL text.
        "WITH copies AS (SELECT DISTINCT ON (book_id) barcode FROM catalog_copy "  # noqa: S608
        "WHERE status = 'available' AND loan_type = 'normal' ORDER BY book_id, id LIMIT "
        f"{pairs}), patrons AS (SELECT card_number FROM circulation_patron p WHERE NOT blocked "
        "AND NOT EXISTS (SELECT 1 FROM circulation_loan l WHERE l.patron_id = p.id "
        f"AND l.checked_in_at IS NULL) ORDER BY id LIMIT {pairs}) "
        "SELECT c.card_number || chr(9) || b.barcode FROM "
        "(SELECT card_number, row_number() OVER () n FROM patrons) c JOIN "
        "(SELECT barcode, row_number() OVER () n FROM copies) b USING (n)",
        args.database,
    )
    return token, [line.split("\t") for line in rows.splitlines()]


def desk_cycles(
    token: str, pairs: list[Any], seconds: float, *, floor: bool = False
) -> dict[str, Any]:
    """Each client lends its own copy to its own patron and takes it back, again and again:
    through Shelfmark's API, or (``floor``) through the floor's replay of client n's captured
    statements (bench/floor_app.py)."""
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(n: int, card: str, barcode: str) -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            if floor:
                lent = post(PORTS["floor"], f"/cycle/{n}/checkout", {}, token)
                back = post(PORTS["floor"], f"/cycle/{n}/checkin", {}, token)
                lent = 201 if lent == 200 else lent
            else:
                lent = post(PORTS["shelfmark"], "/api/v1/circulation/checkout/",
                            {"patron": card, "copy": barcode}, token)  # fmt: skip
                back = post(
                    PORTS["shelfmark"], "/api/v1/circulation/checkin/", {"copy": barcode}, token
                )
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                if (lent, back) != (201, 200):
                    errors.append(lent if lent != 201 else back)

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(len(pairs)) as pool:
        for n, (card, barcode) in enumerate(pairs):
            pool.submit(client, n, card, barcode)
    elapsed = time.perf_counter() - started
    return {
        "clients": len(pairs),
        "cycles_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "errors": len(errors),
        "error_statuses": sorted(set(errors)),
    }


# ----------------------------------------------------------------------------------------------
# Run


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if a and b else None


def run(args: argparse.Namespace) -> dict[str, Any]:
    database_url = f"{args.server}/{args.database}"
    logs = Path(tempfile.mkdtemp(prefix="shelfmark-bench-"))
    static_root = logs / "static"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "shelfmark.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + hashlib.sha256(os.urandom(16)).hexdigest(),
        "ALLOWED_HOSTS": f"{HOST},localhost",
        "SECURE_HTTPS": "false",
        "STATIC_ROOT": str(static_root),
        "API_RATE_ANON": "100000000/min",
        "API_RATE_USER": "100000000/min",
        "LOG_LEVEL": "WARNING",
        "WEB_CONCURRENCY": "2",
        "PYTHONPATH": str(ROOT),
    }
    load_start = [round(n, 2) for n in os.getloadavg()]
    facts = prepare_database(args, env)
    plan = scenarios(args, facts)
    if args.only:
        plan = [s for s in plan if any(word.lower() in s.name.lower() for word in args.only)]
    print("==> Collecting static files (production storage, as the image does)", flush=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        env=env,
        cwd=ROOT,
        check=True,
    )
    cycles_plan: tuple[str, list[Any], list[dict[str, Any]]] | None = None
    cycles_file = logs / "floor-cycles.json"
    # The cycles first: their captures write (loans, and the books' versions, which moves book
    # rows), and the reads captured after them must still be what the floor checks against.
    if not args.no_cycles:
        token, pairs = desk_setup(args, env, args.cycle_clients)
        # Each client's checkout and check-in, captured on its own patron and copy (the capture
        # cycles twice and keeps the second: the copy is back on the shelf after it).
        per_client = []
        for card, barcode in pairs:
            done = subprocess.run(
                [sys.executable, str(ROOT / "bench" / "capture.py"), "--cycle",
                 f"{HOST}:{PORTS['shelfmark']}", token, card, barcode],
                env=env, cwd=ROOT, check=True, capture_output=True, text=True,
            )  # fmt: skip
            per_client.append(json.loads(done.stdout))
        cycles_file.write_text(json.dumps(per_client))
        cycles_plan = (token, pairs, per_client)
    print("==> Capturing each scenario's SQL through Django", flush=True)
    shelfmark_capture = capture(
        "shelfmark.settings", [s.url for s in plan], env, PORTS["shelfmark"]
    )
    stock_urls = [s.stock_url for s in plan if s.stock_url]
    stock_capture = (
        capture("bench.stock_drf.settings", stock_urls, env, PORTS["stock"])
        if stock_urls and not args.no_stock
        else {}
    )
    floor_file = logs / "floor-scenarios.json"
    floor_file.write_text(json.dumps(shelfmark_capture))
    floor_env = {
        **env,
        "BENCH_FLOOR_SCENARIOS": str(floor_file),
        "BENCH_FLOOR_CYCLES": str(cycles_file) if cycles_plan else "",
        "BENCH_FLOOR_DSN": database_url,
    }
    stock_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.stock_drf.settings"}
    results: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        servers = {
            "shelfmark": stack.enter_context(
                gunicorn("shelfmark", "shelfmark.wsgi:application", env, logs)
            ),
            "floor": stack.enter_context(
                gunicorn("floor", "bench.floor_app:application", floor_env, logs)
            ),
        }
        if stock_capture:
            servers["stock"] = stack.enter_context(
                gunicorn("stock", "bench.stock_drf.wsgi:application", stock_env, logs)
            )
        for scenario in plan:
            results.append(measure_scenario(args, scenario, shelfmark_capture, stock_capture))
        cycles: dict[str, Any] = {"skipped": "--no-cycles"}
        if cycles_plan:
            token, pairs, captured = cycles_plan
            print(f"--- checkout -> check-in cycles, {len(pairs)} clients", flush=True)
            cycles = desk_cycles(token, pairs, args.seconds)
            cycles["statements"] = {
                "checkout": len(captured[0]["checkout"]),
                "checkin": len(captured[0]["checkin"]),
            }
            cycles["floor"] = desk_cycles(token, pairs, args.seconds, floor=True)
            # The replay must leave what Shelfmark leaves: every copy back, no loan open.
            barcodes = ", ".join(f"'{barcode}'" for _, barcode in pairs)  # from our own rows
            cycles["floor"]["open_loans_after"] = int(
                psql(
                    args.server,
                    "SELECT count(*) FROM circulation_loan l JOIN catalog_copy c ON c.id = "  # noqa: S608
                    f"l.copy_id WHERE l.checked_in_at IS NULL AND c.barcode IN ({barcodes})",
                    args.database,
                )
            )
            cycles["x_floor"] = ratio(cycles["cycles_per_s"], cycles["floor"]["cycles_per_s"])
            print(f"    {cycles}", flush=True)
        rss = {
            name: [round(mb, 1) for mb in workers_rss_mb(process)]
            for name, process in servers.items()
        }
    return {
        "machine": machine(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "./scripts/bench " + " ".join(sys.argv[1:]),
        "books": args.books,
        "seed": args.seed,
        "seconds": args.seconds,
        "connections": args.connections,
        "catalog": facts,
        "worker_rss_mb_after_run": rss,
        "scenarios": results,
        "cycles": cycles,
        "load_average": {"start": load_start, "end": [round(n, 2) for n in os.getloadavg()]},
        "logs": str(logs),
    }


def measure_scenario(
    args: argparse.Namespace, scenario: Scenario, captured: dict[str, Any], stock: dict[str, Any]
) -> dict[str, Any]:
    headers = {"Accept": scenario.accept}
    mine = captured[scenario.url]
    out: dict[str, Any] = {"scenario": scenario.name, "url": scenario.url, "notes": []}
    status, answer_headers, body = get(PORTS["shelfmark"], scenario.url, headers)
    if scenario.name.startswith("304"):
        etag = answer_headers.get("etag")
        if not etag:
            out["skipped"] = "Shelfmark sends no ETag on the book detail: no 304 to measure yet"
            print(f"--- {scenario.name}: skipped ({out['skipped']})", flush=True)
            return out
        headers["If-None-Match"] = etag
        status, _, body = get(PORTS["shelfmark"], scenario.url, headers)
        if status != 304:
            out["skipped"] = f"If-None-Match with the detail's ETag answered {status}, not 304"
            return out
        out["notes"].append("the floor is its 200 path for the same page (no If-None-Match)")
    elif status != 200:
        out["skipped"] = f"Shelfmark answered {status} ({body[:120]!r}): not supported yet"
        print(f"--- {scenario.name}: skipped ({out['skipped']})", flush=True)
        return out
    elif "facets=" in scenario.url and b'"facets"' not in body:
        out["skipped"] = "the API ignores ?facets= (no facets in the answer): not supported yet"
        print(f"--- {scenario.name}: skipped ({out['skipped']})", flush=True)
        return out
    elif hashlib.sha256(body).hexdigest() != mine["body_sha256"]:
        again = get(PORTS["shelfmark"], scenario.url, headers)[2]
        if again != body:
            out["notes"].append("body differs per request (e.g. a CSRF token): checked on status")
        else:
            raise SystemExit(f"{scenario.name}: gunicorn's answer is not the captured one")
    floor_status, floor_headers, _ = get(PORTS["floor"], scenario.url, {"X-Bench-Check": "1"})
    floor_ok = floor_status == 200 and floor_headers.get("x-rows-sha256") == mine["rows_sha256"]
    if not floor_ok:
        out["notes"].append("the floor's rows differ from Shelfmark's: floor not timed")
    print(f"--- {scenario.name}", flush=True)
    app = wrk(PORTS["shelfmark"], scenario.url, headers, args.seconds, args.connections)
    settle(args)
    app.statements = len(mine["statements"])
    if "If-None-Match" in headers:  # the 304 path's own statements
        app.statements = len((mine.get("revalidation") or mine)["statements"])
    out["shelfmark"] = asdict(app)
    floor = Measure()
    if floor_ok:
        floor_url = scenario.url
        floor = wrk(PORTS["floor"], floor_url, {}, args.seconds, args.connections)
        settle(args)
        floor.statements = len(mine["reads"])
        out["floor"] = asdict(floor)
    drf = Measure()
    if scenario.stock_url and scenario.stock_url in stock:
        drf = wrk(PORTS["stock"], scenario.stock_url, headers, args.seconds, args.connections)
        settle(args)
        drf.statements = len(stock[scenario.stock_url]["statements"])
        if drf.rps == 0:
            drf.note = f"no answer in {args.seconds} s"
        out["stock_drf"] = asdict(drf)
    if app.rps and not args.no_fixed_rate:
        out["fixed_rate"] = fixed_rate(
            PORTS["shelfmark"], scenario.url, headers, app.rps / 2, max(2.0, args.seconds / 2)
        )
        settle(args)
    out["x_floor"] = ratio(app.rps, floor.rps)
    out["x_stock_drf"] = ratio(app.rps, drf.rps)
    print(
        f"    shelfmark {app.rps:8.1f} req/s  floor {floor.rps:8.1f}  stock {drf.rps:8.1f}  "
        f"x floor {out['x_floor']}  x stock {out['x_stock_drf']}",
        flush=True,
    )
    return out


def machine() -> str:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    postgres = ""
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        postgres = psql("postgres://postgres@localhost:5432", "SHOW server_version").split()[0]
    return (
        f"{os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, PostgreSQL {postgres}"
    )


def table(report: dict[str, Any]) -> str:
    """The results as a Markdown table (the README's Performance section shows one)."""
    lines = [
        "| scenario | Shelfmark req/s | p50 / p99 ms | fixed rate p50 / p99 ms | statements | "
        "floor req/s | × floor | stock DRF req/s | × stock DRF |",  # noqa: RUF001  (as the issue)
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in report["scenarios"]:
        if "skipped" in row:
            lines.append(f"| {row['scenario']} | skipped: {row['skipped']} | | | | | | | |")
            continue
        app, floor, drf = row["shelfmark"], row.get("floor"), row.get("stock_drf")
        rate = row.get("fixed_rate")
        lines.append(
            f"| {row['scenario']} | {app['rps']:,.0f} | "
            f"{app['p50_ms']:.1f} / {app['p99_ms']:.1f} | "
            + (
                f"{rate['p50_ms']:.1f} / {rate['p99_ms']:.1f} at {rate['rate']:,.0f}/s"
                if rate
                else "—"
            )
            + f" | {app['statements']} | "
            + (f"{floor['rps']:,.0f} | {row['x_floor']}" if floor else "— | —")
            + " | "
            + (
                f"{drf['rps']:,.0f} ({drf['statements']} st.) | {row['x_stock_drf'] or drf['note']}"
                if drf
                else "— | —"
            )
            + " |"
        )
    cycles = report["cycles"]
    if "cycles_per_s" in cycles:
        lines.append(
            f"| checkout -> check-in cycles ({cycles['clients']} clients) | "
            f"{cycles['cycles_per_s']:,.1f} cycles/s | {cycles['p50_ms']:.1f} / "
            f"{cycles['p99_ms']:.1f} per cycle | — | {cycles['statements']['checkout']} + "
            f"{cycles['statements']['checkin']} | {cycles['floor']['cycles_per_s']:,.1f} "
            f"({cycles['floor']['errors']} errors) | {cycles['x_floor']} | — | — |"
        )
    rss = report["worker_rss_mb_after_run"]
    lines.append("")
    load = report["load_average"]
    lines.append(
        f"Load average (1, 5, 15 min) at the start {load['start']}, at the end {load['end']}"
    )
    lines.append("")
    lines.append(
        "Worker RSS after the run (MB): "
        + "; ".join(f"{name} {', '.join(str(mb) for mb in sizes)}" for name, sizes in rss.items())
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--seconds", type=int, default=5, help="wrk's duration per scenario and app"
    )
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--server", default="postgres://postgres@localhost:5432")
    parser.add_argument("--database", default="shelfmark_bench_suite")
    parser.add_argument("--fresh", action="store_true", help="rebuild the database")
    parser.add_argument("--no-stock", action="store_true", help="skip stock DRF")
    parser.add_argument("--no-fixed-rate", action="store_true", help="skip the fixed-rate runs")
    parser.add_argument("--no-cycles", action="store_true", help="skip checkout/check-in cycles")
    parser.add_argument("--cycle-clients", type=int, default=4, help="clients cycling at once")
    parser.add_argument("--only", nargs="*", help="scenarios whose name contains one of these")
    parser.add_argument("--json", type=Path, help="write the results as JSON to this file")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", args.database):
        parser.error("--database: lower-case letters, digits and underscores only")
    if args.books < 100:
        parser.error("--books must be at least 100")
    if shutil.which("wrk") is None:
        parser.error("wrk is missing: sudo apt-get install wrk")
    report = run(args)
    print()
    print(f"{report['machine']}; {report['date']}; {report['command']}")
    print(table(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
        print(f"JSON: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
