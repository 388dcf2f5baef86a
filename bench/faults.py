"""Faults survived: the compose stack under load while its parts fail, one after the other
(README, "Operations"). ``scripts/stack-test`` runs it (``python -m bench.faults``).

The project's own compose.yaml with the redis profile, plus bench/compose.faults.yaml (a slow
SMTP server that keeps what it accepts, and a small media volume). Visitors, API readers and
desk clients (checkout, check-in) run throughout, and a prober asks /readyz twice a second,
while these happen in turn:

1. PostgreSQL stopped for 3 seconds and started again (``docker compose stop db``, ``start db``);
2. a gunicorn worker of the web service killed with SIGKILL;
3. Redis stopped for a while, then started;
4. the media volume full while an import is uploaded, then space again;
5. the task worker killed with SIGKILL while it sends notices, started again;
6. the task worker killed with SIGKILL in the middle of an import, started again.

It fails on any 500 or lost connection; on any error outside an outage's window (from the fault
until 10 s after the part is back) or other than a clean 503; on /readyz not failing during a
database or Redis outage; on the site not answering every kind of request again within 10 s of
the part being back; on a notice sent twice or not at all once the worker is back; on an import
cut short leaving a part of a batch; and on a broken circulation invariant afterwards (the soak's
list, bench.soak).
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.soak import all_pages, broken_invariants
from bench.stack import ROOT, Checks, Stack, Visitor, new_password, run_stack_test

RECOVERY_SECONDS = 10  # the promise: answering again this long after the part is back
NOTICE_LEASE_SECONDS = 25  # NOTICE_SEND_LEASE_SECONDS in bench/compose.faults.yaml
LONG_LOANS = 12  # loans made for the notice run the worker is killed in
IMPORT_ROWS = 10000  # the import the worker is killed in: 10 batches of 1000
SETTLE_SECONDS = 5  # between one fault and the next: the site must answer well again by then


@dataclass
class Outage:
    name: str
    began: float
    ended: float = 0.0  # when the part was back (healthy again)


@dataclass
class Load:
    """Requests from several clients at once, every answer kept with its time."""

    url: str
    token: str
    books: list[int]
    desk_copies: list[str]
    cards: list[str]
    began: float = field(default_factory=time.monotonic)
    answers: list[tuple[float, str, int | str]] = field(default_factory=list)
    readiness: list[tuple[float, int | str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.monotonic() - self.began

    def _keep(self, kind: str, http: httpx.Client, method: str, path: str, **kwargs: Any) -> None:
        try:
            status: int | str = http.request(method, path, **kwargs).status_code
        except httpx.HTTPError as error:
            status = type(error).__name__
        with self.lock:
            self.answers.append((self.now(), kind, status))

    def visitor(self, seed: int) -> None:
        chance = random.Random(seed)
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while not self.stop.wait(0.1):
                self._keep("page", http, "GET", f"/books/{chance.choice(self.books)}/")
                self._keep("page", http, "GET", "/?q=history")

    def reader(self, seed: int) -> None:
        chance = random.Random(seed)
        headers = {"Authorization": f"Token {self.token}"}
        with httpx.Client(base_url=self.url, timeout=30, headers=headers) as http:
            while not self.stop.wait(0.1):
                self._keep("api", http, "GET", f"/api/v1/books/{chance.choice(self.books)}/")

    def desk(self, seed: int) -> None:
        chance = random.Random(seed)
        headers = {"Authorization": f"Token {self.token}"}
        with httpx.Client(base_url=self.url, timeout=30, headers=headers) as http:
            while not self.stop.wait(0.1):
                barcode = chance.choice(self.desk_copies)
                checkout = {"patron": chance.choice(self.cards), "copy": barcode}
                self._keep("desk", http, "POST", "/api/v1/circulation/checkout/", json=checkout)
                checkin = {"copy": barcode}
                self._keep("desk", http, "POST", "/api/v1/circulation/checkin/", json=checkin)

    def prober(self) -> None:
        with httpx.Client(base_url=self.url, timeout=5) as http:
            while not self.stop.wait(0.5):
                try:
                    status: int | str = http.get("/readyz").status_code
                except httpx.HTTPError as error:
                    status = type(error).__name__
                with self.lock:
                    self.readiness.append((self.now(), status))

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.prober)]
        for n in range(2):
            threads += [
                threading.Thread(target=self.visitor, args=(n,)),
                threading.Thread(target=self.reader, args=(10 + n,)),
                threading.Thread(target=self.desk, args=(20 + n,)),
            ]
        for thread in threads:
            thread.start()
        return threads


def main() -> int:
    admin, password = "ops-admin", new_password()
    stack = Stack(
        "shelfmark-faults",
        {"REDIS_URL": "redis://redis:6379/0", "LOG_FORMAT": "json"},
        overrides=[ROOT / "bench" / "compose.faults.yaml"],
        profiles=["redis"],
    )

    def test(checks: Checks) -> None:
        seconds = stack.up()
        checks.check(
            True,
            f"the stack with Redis, an SMTP server and an 8 MB media volume up in {seconds:.0f} s",
        )
        load = _prepare(stack, admin, password)
        threads = load.start()
        try:
            time.sleep(5)
            outages = _outages(stack, load)
            checks.run("The media volume full", lambda: _media_full(stack, checks, admin, password))
            checks.run(
                "The task worker killed while sending notices",
                lambda: _worker_killed_sending(stack, checks, load, admin),
            )
            checks.run(
                "The task worker killed in an import",
                lambda: _worker_killed_importing(stack, checks, admin, password),
            )
        finally:
            load.stop.set()
            for thread in threads:
                thread.join()
        _judge(checks, load, outages)
        broken = broken_invariants(stack.sql)
        checks.check(
            not broken, "circulation invariants hold afterwards" + "".join(f"; {b}" for b in broken)
        )

    return run_stack_test("faults", stack, test)


def _outages(stack: Stack, load: Load) -> list[Outage]:
    """The outages of a part (a fault, then the part back and healthy), one after the other,
    each with its window in the load's time."""
    outages = []
    for title, fault in (
        ("PostgreSQL stopped for 3 s and started", _restart_database),
        ("A web worker killed (SIGKILL)", _kill_web_worker),
        ("Redis stopped for 5 s", _stop_redis),
    ):
        print(f"\n==> {title}", flush=True)
        outage = Outage(title, load.now())
        fault(stack)
        outage.ended = load.now()
        outages.append(outage)
        time.sleep(SETTLE_SECONDS)
    return outages


def _prepare(stack: Stack, admin: str, password: str) -> Load:
    stack.manage("ensure_admin", "--username", admin, f"--password={password}")
    for command in ("load_demo_catalog", "load_demo_circulation"):
        stack.manage(command)
    token = stack.manage("create_api_token", admin, "--name", "faults").split()[-1]
    # The notices due so far (the demo's loans): sent now, so the worker's later run has only
    # the ones this test makes.
    stack.manage("send_notices", "--enqueue", "--wait", "180")
    headers = {"Authorization": f"Token {token}"}
    with httpx.Client(base_url=stack.url, timeout=30, headers=headers) as http:
        copies = [c["barcode"] for c in all_pages(http, "/api/v1/copies/", status="available")]
        patrons = [p for p in all_pages(http, "/api/v1/patrons/") if not p.get("blocked")]
        books = [b["id"] for b in all_pages(http, "/api/v1/books/")]
    assert len(copies) > LONG_LOANS + 10, f"only {len(copies)} copies available"
    return Load(
        url=stack.url,
        token=token,
        books=books,
        desk_copies=copies[LONG_LOANS:],
        cards=[p["card_number"] for p in patrons],
    )


# --- the faults ---------------------------------------------------------------------------------


def _restart_database(stack: Stack) -> None:
    stack.compose("stop", "db")
    time.sleep(3)  # down long enough for the probes to see it, as a real restart may be
    stack.compose("start", "db")
    _wait_healthy(stack, "db")


def _kill_web_worker(stack: Stack) -> None:
    # A gunicorn worker: a child of the master, which is PID 1 of the web container.
    stack.exec(
        "web",
        "python",
        "-c",
        "import os, signal\n"
        "for pid in filter(str.isdigit, os.listdir('/proc')):\n"
        "    stat = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()\n"
        "    if stat[1] == '1':\n"
        "        os.kill(int(pid), signal.SIGKILL)\n"
        "        print('killed', pid)\n"
        "        break\n",
    )
    _wait_healthy(stack, "web")


def _stop_redis(stack: Stack) -> None:
    stack.compose("stop", "redis")
    time.sleep(5)
    stack.compose("start", "redis")
    _wait_healthy(stack, "redis")


def _wait_healthy(stack: Stack, service: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = stack.compose("ps", "--format", "{{.Health}}", service).split()
        if state and all(health == "healthy" for health in state):
            return
        time.sleep(0.25)
    raise AssertionError(f"{service} not healthy after {seconds:.0f} s")


def _media_full(stack: Stack, checks: Checks, admin: str, password: str) -> None:
    media = "/var/lib/shelfmark/media"
    stack.exec("web", "sh", "-c", f"cat /dev/zero > {media}/filler", check=False)
    files_before = _media_files(stack, media)
    runs_before = stack.sql("SELECT count(*) FROM interchange_importrun")[0][0]
    csv = "title,authors,year\n" + "".join(f"Media full {n},Author,2002\n" for n in range(50))
    with Visitor(stack.url) as visitor:
        assert visitor.sign_in(admin, password).status_code == 302
        form = {"csrfmiddlewaretoken": visitor.csrf_token("/staff/imports/new/"), "kind": "catalog"}
        refused = visitor.request(
            "POST",
            "/staff/imports/new/",
            data={**form, "format": "auto", "on_duplicate": "skip"},
            files={"file": ("full.csv", csv.encode(), "text/csv")},
        )
        runs_after = stack.sql("SELECT count(*) FROM interchange_importrun")[0][0]
        checks.check(
            refused.status_code == 503 and "retry-after" in refused.headers,
            f"an import uploaded to a full volume: {refused.status_code} with Retry-After "
            f"{refused.headers.get('retry-after')}",
        )
        checks.check(runs_after == runs_before, "and no import run was left behind")
        left = _media_files(stack, media) - files_before
        checks.check(not left, f"nor a part of its file ({sorted(left) or 'none'})")
        stack.exec("web", "rm", "-f", f"{media}/filler")
        taken = visitor.upload_import("space.csv", csv)
        checks.check(True, f"with space again, the same upload is taken (run {taken})")


def _media_files(stack: Stack, media: str) -> set[str]:
    """Every file under the media volume, hidden ones too, but the filler."""
    found = stack.exec("web", "find", media, "-type", "f", "!", "-name", "filler")
    return set(found.split())


def _mail(stack: Stack) -> list[dict[str, str]]:
    text = stack.exec("mail", "sh", "-c", "cat /tmp/mail.jsonl 2>/dev/null || true")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _worker_killed_sending(stack: Stack, checks: Checks, load: Load, admin: str) -> None:
    headers = {"Authorization": f"Token {load.token}"}
    with httpx.Client(base_url=stack.url, timeout=30, headers=headers) as http:
        copies = [c["barcode"] for c in all_pages(http, "/api/v1/copies/", status="available")]
        patrons = [p for p in all_pages(http, "/api/v1/patrons/") if p.get("email")]
        long_loans = [c for c in copies if c not in set(load.desk_copies)][:LONG_LOANS]
        cards = [patron["card_number"] for patron in patrons]
        loans = []
        for barcode in long_loans:
            # The first patron who may borrow it (some of the demo's are blocked, or over
            # their limit: 409).
            for card in cards:
                lent = http.post(
                    "/api/v1/circulation/checkout/", json={"patron": card, "copy": barcode}
                )
                if lent.status_code != 409:
                    loans.append(int(lent.raise_for_status().json()["id"]))
                    break
            else:
                raise AssertionError(f"no patron with an email address may borrow {barcode}")
    # As if lent three weeks ago and due yesterday: each loan has its first overdue reminder to
    # send today.
    ids = ",".join(map(str, loans))  # numbers only: nothing to escape
    stack.sql(
        "UPDATE circulation_loan SET checked_out_at = now() - interval '22 days', "  # noqa: S608
        f"due_on = current_date - 1 WHERE id IN ({ids})"
    )
    before = len(_mail(stack))
    stack.manage("send_notices", "--enqueue")
    deadline = time.monotonic() + 60
    while len(_mail(stack)) < before + 3 and time.monotonic() < deadline:
        time.sleep(0.3)
    worker = stack.containers("worker")[0]
    stack.docker("kill", "--signal", "KILL", worker)
    killed_after = len(_mail(stack)) - before
    stack.up(build=False)
    # A notice the killed run had claimed is free again after the lease: the next run sends it.
    time.sleep(NOTICE_LEASE_SECONDS + 2)
    stack.manage("send_notices", "--enqueue", "--wait", "180")
    mail = _mail(stack)[before:]
    notices = stack.sql(
        f"SELECT id, status FROM circulation_notice WHERE loan_id IN ({ids})"  # noqa: S608
    )
    by_id = Counter(message["Message-ID"] for message in mail)
    twice = [mid for mid, count in by_id.items() if count > 1]
    unsent = [row for row in notices if row[1] in {"sending", "failed"}]
    sent_ids = {row[0] for row in notices if row[1] == "sent"}
    delivered_ids = {
        mid.split("notice-", 1)[1].split(".", 1)[0] for mid in by_id if "notice-" in mid
    }
    checks.check(
        killed_after < LONG_LOANS
        and len(sent_ids) == len(loans)
        and sent_ids <= delivered_ids
        and not twice
        and not unsent,
        f"killed after {killed_after} of {len(loans)} overdue notices; after the restart each "
        f"one sent once: {len(sent_ids)} sent, {len(mail)} emails, {len(twice)} twice, "
        f"{len(unsent)} left unsent",
    )
    checks.figures["notices"] = {"killed_after": killed_after, "emails": len(mail)}


def _worker_killed_importing(stack: Stack, checks: Checks, admin: str, password: str) -> None:
    csv = "title,authors,year\n" + "".join(
        f"Cut short {n:05d},Author {n % 50},1999\n" for n in range(IMPORT_ROWS)
    )
    with Visitor(stack.url) as visitor:
        assert visitor.sign_in(admin, password).status_code == 302
        preview = visitor.upload_import("cut-short.csv", csv)
        stack.wait_for_import_runs([preview])
        real = visitor.confirm_import(preview)
    stack.wait_for_import_runs(
        [real], lambda status, created: status == "running" and created >= 1000
    )
    stack.docker("kill", "--signal", "KILL", stack.containers("worker")[0])
    ((_, status, created),) = stack.import_runs([real])
    books = int(stack.sql("SELECT count(*) FROM catalog_book WHERE title LIKE 'Cut short %'")[0][0])
    checks.check(
        created == books and books % 1000 == 0 and 0 < books < IMPORT_ROWS,
        f"an import of {IMPORT_ROWS} books cut short after {books}: whole batches of 1000 only, "
        f"and the run's count agrees ({status}, {created} created)",
    )
    stack.up(build=False)
    checks.figures["import_cut_at"] = books
    # The killed worker's connection took the run's lock with it: recover_imports (the
    # schedule's, every minute; here at once) queues the run again, and the new worker finishes
    # it, matching the books already in.
    began = time.monotonic()
    recovered = ""
    while "1 import run(s) recovered" not in recovered and time.monotonic() - began < 30:
        recovered = stack.manage("recover_imports")
        time.sleep(0.5)
    stack.wait_for_import_runs([real])
    again, matched = (
        int(value)
        for value in stack.sql(
            f"SELECT created, skipped FROM interchange_importrun WHERE id = {int(real)}"  # noqa: S608
        )[0]
    )
    total = int(stack.sql("SELECT count(*) FROM catalog_book WHERE title LIKE 'Cut short %'")[0][0])
    checks.check(
        total == IMPORT_ROWS and (again, matched) == (IMPORT_ROWS - books, books),
        f"then run again and finished in {time.monotonic() - began:.0f} s: {total} books, none "
        f"twice ({again} created, {matched} matched as already in)",
    )


# --- the verdict --------------------------------------------------------------------------------


def _judge(checks: Checks, load: Load, outages: list[Outage]) -> None:
    def inside(moment: float) -> Outage | None:
        return next((o for o in outages if o.began <= moment <= o.ended + RECOVERY_SECONDS), None)

    statuses = Counter(status for _, _, status in load.answers)
    bad = [a for a in load.answers if not (isinstance(a[2], int) and (a[2] < 500 or a[2] == 503))]
    stray = [a for a in load.answers if a[2] == 503 and inside(a[0]) is None]
    checks.check(
        not bad,
        f"{len(load.answers)} requests: {dict(statuses)}; no 500 and no lost connection"
        + (f" (first: {bad[:5]})" if bad else ""),
    )
    checks.check(not stray, f"every 503 inside an outage's window ({len(stray)} outside)")
    figures = {}
    for outage, following in zip(outages, [*outages[1:], None], strict=True):
        until = following.began if following else outage.ended + 30
        window = [a for a in load.answers if outage.began <= a[0] < until]
        errors = [a for a in window if a[2] == 503]
        last_error = max((a[0] for a in errors), default=outage.began)
        # Answering again: the last 503, or the first good answer, after the part was back,
        # whichever is later (no good answer at all before the next fault: never).
        first_ok = min(
            (a[0] for a in window if a[0] >= outage.ended and a[2] in {200, 201}), default=None
        )
        back = (
            float("inf")
            if first_ok is None
            else max(0.0, last_error - outage.ended, first_ok - outage.ended)
        )
        ready = [s for t, s in load.readiness if outage.began <= t <= outage.ended]
        figures[outage.name] = {
            "outage_s": round(outage.ended - outage.began, 1),
            "503s": len(errors),
            "answering_again_after_s": round(back, 2) if first_ok is not None else None,
            "readyz_503s": ready.count(503),
        }
        checks.check(
            back <= RECOVERY_SECONDS,
            f"{outage.name}: {len(errors)} clean 503s in a {outage.ended - outage.began:.1f} s "
            f"outage; answering again {back:.1f} s after it was back",
        )
        if "PostgreSQL" in outage.name or "Redis" in outage.name:
            checks.check(
                503 in ready, f"{outage.name}: /readyz failed during it ({Counter(ready)})"
            )
    checks.figures["outages"] = figures


if __name__ == "__main__":
    sys.exit(main())
