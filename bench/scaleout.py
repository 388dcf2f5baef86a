"""The compose stack scaled out: 3 web replicas and 2 task workers behind the proxy service, with
Redis (README, "Operations"). ``scripts/stack-test`` runs it (``python -m bench.scaleout``).

It starts the project's own compose.yaml as ``docker compose --profile redis up --scale web=3
--scale worker=2`` and shows, from outside, through the one published port:

1. sessions: signed in on one replica, every replica knows the user;
2. CSRF: a token one replica put in a form is accepted by another;
3. jobs: imports uploaded on the site are each run once, by one of the two workers (both work),
   and their books are in the catalog once;
4. API rate limits count across the replicas (API_RATE_ANON=24/min: 24 answers, then 429s);
5. login throttles too (LOGIN_FAILURE_LIMIT=3: the 4th attempt is refused with 429);
6. one web replica killed (SIGKILL) under load: no request lost (the proxy retries it on
   another), and a replica started again is served within seconds.

Each replica is told apart by its own log: every request carries an X-Request-ID, and each
replica logs the ids it served (shelfmark.requests).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter

import httpx

from bench.stack import Checks, Stack, Visitor, new_password, request_id, run_stack_test

WEB_REPLICAS = 3
WORKERS = 2
API_RATE = 24  # per minute, for anonymous clients (API_RATE_ANON)
LOGIN_LIMIT = 3  # failed sign-ins before the lockout (LOGIN_FAILURE_LIMIT)
IMPORTS = 8
ROUNDS = 3  # of IMPORTS uploads, at most, for both workers to be seen taking tasks
LOAD_SECONDS = 20
KILL_AFTER_SECONDS = 6


def main() -> int:
    admin, password = "ops-admin", new_password()
    stack = Stack(
        "shelfmark-scale",
        {
            "REDIS_URL": "redis://redis:6379/0",
            "API_RATE_ANON": f"{API_RATE}/min",
            "LOGIN_FAILURE_LIMIT": str(LOGIN_LIMIT),
            "LOG_FORMAT": "json",
        },
        profiles=["redis"],
    )

    def test(checks: Checks) -> None:
        seconds = stack.up({"web": WEB_REPLICAS, "worker": WORKERS})
        replicas = stack.containers("web")
        checks.check(
            len(replicas) == WEB_REPLICAS and len(stack.containers("worker")) == WORKERS,
            f"{WEB_REPLICAS} web replicas and {WORKERS} workers healthy behind the proxy "
            f"in {seconds:.0f} s ({', '.join(replicas)})",
        )
        stack.manage("ensure_admin", "--username", admin, f"--password={password}")
        stack.manage("load_demo_catalog")
        checks.run(
            "Sessions and CSRF across replicas", lambda: sessions(stack, checks, admin, password)
        )
        checks.run("Jobs run once by two workers", lambda: jobs(stack, checks, admin, password))
        checks.run("API rate limits across replicas", lambda: rate_limits(stack, checks))
        checks.run("Login throttles across replicas", lambda: login_throttle(stack, checks))
        checks.run("A web replica killed under load", lambda: replica_killed(stack, checks))

    return run_stack_test("scale-out", stack, test)


def sessions(stack: Stack, checks: Checks, admin: str, password: str) -> None:
    with Visitor(stack.url) as visitor:
        signed_in = visitor.sign_in(admin, password)
        assert signed_in.status_code == 302, f"sign-in answered {signed_in.status_code}"
        sign_in_ids = visitor.ids[-2:]  # the form's page, and the form sent
        pages = [visitor.request("GET", "/staff/imports/") for _ in range(9)]
        page_ids = visitor.ids[-9:]
    served = stack.served_by(visitor.ids)
    form_by, post_by = (served.get(rid) for rid in sign_in_ids)
    page_replicas = {served.get(rid) for rid in page_ids}
    checks.check(
        all(page.status_code == 200 for page in pages) and len(page_replicas) == WEB_REPLICAS,
        f"signed in on {post_by}, the staff page answers 200 on every replica "
        f"({', '.join(sorted(map(str, page_replicas)))}): one session for all",
    )
    # The sign-in's token: put in the form by one replica, checked by the one that got the form.
    # Round-robin may hand both to the same one; then sign in again until they differ.
    for _ in range(6):
        if form_by and post_by and form_by != post_by:
            break
        with Visitor(stack.url) as visitor:
            answer = visitor.sign_in(admin, password)
            assert answer.status_code == 302, f"sign-in answered {answer.status_code}"
            served = stack.served_by(visitor.ids)
            form_by, post_by = (served.get(rid) for rid in visitor.ids[-2:])
    checks.check(
        bool(form_by and post_by and form_by != post_by),
        f"CSRF: the token {form_by} put in the sign-in form was accepted by {post_by}",
    )


def jobs(stack: Stack, checks: Checks, admin: str, password: str) -> None:
    """Upload imports on the site: each makes a preview (a task), then the real import (another
    task) once confirmed. Each task must be done once, by one worker, and both workers must take
    some: while one worker took them all (once in CI, on a loaded machine, with 16 tasks), a
    round of uploads is done again, up to ROUNDS in all."""
    stack.sql("DELETE FROM django_tasks_database_dbtaskresult")
    titles: dict[str, list[str]] = {}
    tasks: list[list[str]] = []
    workers: Counter[str] = Counter()
    rounds = 0
    while rounds < ROUNDS and len(workers) < WORKERS:
        rounds += 1
        batch = {
            f"{rounds}-{n}": [f"Scale-out import {rounds}-{n} book {row}" for row in range(5)]
            for n in range(IMPORTS)
        }
        titles |= batch
        with Visitor(stack.url) as visitor:
            assert visitor.sign_in(admin, password).status_code == 302
            runs = [
                visitor.upload_import(
                    f"scale-{name}.csv",
                    "title,authors,year\n" + "".join(f"{t},Author {name},2001\n" for t in books),
                )
                for name, books in batch.items()
            ]
            stack.wait_for_import_runs(runs)
            confirmed = [visitor.confirm_import(run) for run in runs]
            stack.wait_for_import_runs(confirmed)
        tasks = stack.sql(
            "SELECT status, jsonb_array_length(worker_ids), worker_ids->>0 "
            "FROM django_tasks_database_dbtaskresult "
            "WHERE task_path = 'interchange.tasks.execute_import'"
        )
        workers = Counter(worker for _, _, worker in tasks)
    once = all(status == "SUCCESSFUL" and count == "1" for status, count, _ in tasks)
    checks.check(
        len(tasks) == 2 * IMPORTS * rounds and once,
        f"{len(tasks)} import tasks ({IMPORTS * rounds} previews, {IMPORTS * rounds} imports), "
        "each done once by one worker",
    )
    checks.check(
        len(workers) == WORKERS,
        f"both workers took tasks: {dict(workers)}"
        + (f" ({rounds} rounds of uploads)" if rounds > 1 else ""),
    )
    counts = stack.sql(
        "SELECT count(*), count(DISTINCT title) FROM catalog_book "
        "WHERE title LIKE 'Scale-out import %'"
    )
    books, distinct = (int(value) for value in counts[0])
    wanted = sum(len(books) for books in titles.values())
    checks.check(
        books == distinct == wanted,
        f"the imports' {wanted} books are in the catalog once each ({books} rows)",
    )
    checks.figures["tasks_per_worker"] = sorted(workers.values())
    checks.figures["job_rounds"] = rounds


def rate_limits(stack: Stack, checks: Checks) -> None:
    ids, statuses = [], []
    with httpx.Client(base_url=stack.url, timeout=30) as http:
        for _ in range(API_RATE + 12):
            ids.append(request_id())
            answer = http.get("/api/v1/books/?page_size=1", headers={"X-Request-ID": ids[-1]})
            statuses.append(answer.status_code)
    served = stack.served_by(ids)
    allowed = [rid for rid, status in zip(ids, statuses, strict=True) if status == 200]
    by = Counter(served.get(rid) for rid in allowed)
    checks.check(
        statuses == [200] * API_RATE + [429] * 12 and len(by) == WEB_REPLICAS,
        f"{API_RATE}/min for anonymous clients, counted together: {statuses.count(200)} answers "
        f"from {dict(by)}, then {statuses.count(429)} refused with 429",
    )


def login_throttle(stack: Stack, checks: Checks) -> None:
    statuses, ids = [], []
    for _ in range(LOGIN_LIMIT + 1):
        with Visitor(stack.url) as visitor:
            answer = visitor.sign_in("nobody-here", "wrong password")
            statuses.append(answer.status_code)
            ids.append(visitor.ids[-1])
    served = stack.served_by(ids)
    replicas = {served.get(rid) for rid in ids}
    checks.check(
        statuses == [200] * (LOGIN_LIMIT - 1) + [429, 429] and len(replicas) > 1,
        f"sign-ins failing on {', '.join(sorted(map(str, replicas)))}: failure {LOGIN_LIMIT} "
        f"locks the name and address out, 429 from then on ({statuses})",
    )


def replica_killed(stack: Stack, checks: Checks) -> None:
    books = [row[0] for row in stack.sql("SELECT id FROM catalog_book ORDER BY id LIMIT 50")]
    paths = ["/", "/?q=history", *(f"/books/{book}/" for book in books[:10])]
    results: list[tuple[float, int | str]] = []
    resent: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()
    began = time.monotonic()

    def load(offset: int) -> None:
        with httpx.Client(base_url=stack.url, timeout=30) as http:
            n = offset
            while not stop.is_set():
                n += 1
                try:
                    status: int | str = http.get(paths[n % len(paths)]).status_code
                except httpx.RemoteProtocolError as error:
                    if "without sending a response" not in str(error):
                        status = type(error).__name__
                    else:
                        # The proxy reloads when the replicas change, and closes the idle
                        # connections it kept alive: a request sent on one at that moment was
                        # never read. A browser sends it again on a new connection; so does this
                        # client, and counts it.
                        with lock:
                            resent.append(time.monotonic() - began)
                        status = http.get(paths[n % len(paths)]).status_code
                except httpx.HTTPError as error:
                    status = type(error).__name__
                with lock:
                    results.append((time.monotonic() - began, status))

    threads = [threading.Thread(target=load, args=(n * 7,)) for n in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(KILL_AFTER_SECONDS)
    victim = stack.containers("web")[1]
    stack.docker("kill", "--signal", "KILL", victim)
    killed_at = time.monotonic() - began
    time.sleep(LOAD_SECONDS - KILL_AFTER_SECONDS)
    stop.set()
    for thread in threads:
        thread.join()
    statuses = Counter(status for _, status in results)
    checks.check(
        set(statuses) == {200},
        f"{len(results)} requests in {LOAD_SECONDS} s, {victim} killed at {killed_at:.1f} s: "
        f"{dict(statuses)}; {len(resent)} sent again by the client, as a browser does, on a new "
        "connection (the proxy's reload closed the kept-alive one before reading them)",
    )
    retried = stack.logs("proxy").count("upstream")
    checks.figures["kill"] = {
        "requests": len(results),
        "statuses": dict(statuses),
        "retried_by_the_proxy": retried,
        "resent_by_the_client": len(resent),
    }

    # Back to three: compose starts the killed one again; the proxy serves it within seconds of
    # its being healthy.
    stack.up({"web": WEB_REPLICAS, "worker": WORKERS}, build=False)
    restarted = time.monotonic()
    ids = []
    deadline = time.monotonic() + 30
    with httpx.Client(base_url=stack.url, timeout=30) as http:
        while time.monotonic() < deadline:
            ids.append(request_id())
            http.get("/", headers={"X-Request-ID": ids[-1]})
            if stack.served_by(ids[-1:]).get(ids[-1]) == victim.removeprefix(f"{stack.project}-"):
                break
            time.sleep(0.5)
    served_again = time.monotonic() - restarted
    checks.check(
        time.monotonic() < deadline,
        f"{victim} started again (docker compose up): the proxy sends it requests "
        f"{served_again:.1f} s after it is healthy",
    )
    checks.figures["replica_back_seconds"] = round(served_again, 1)


if __name__ == "__main__":
    sys.exit(main())
