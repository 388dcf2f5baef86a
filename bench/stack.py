"""The compose stack for the operations tests (``bench.scaleout``, ``bench.faults``): the
project's own compose.yaml, unmodified, under a compose project of its own, driven with the
``docker compose`` CLI, and a signed-in browser-like client for its pages.

Like scripts/docker-smoke, compose runs in a clean environment (none of the caller's variables
and no .env file reach the stack, so compose.yaml's defaults are what is tested); a test adds
variables on purpose, and may add an override file of its own for what only a test needs (an
SMTP sink, a small media volume).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSED_THROUGH = ("PATH", "HOME", "TMPDIR", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_BUILDKIT")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RUN_PAGE = re.compile(r"/staff/imports/(\d+)/")


class StackError(RuntimeError):
    """A docker compose command failed; the message has its output."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Stack:
    """``docker compose -p project`` over compose.yaml (and ``overrides``), with ``environment``
    as the only variables besides compose.yaml's defaults; published on a free loopback port."""

    def __init__(
        self,
        project: str,
        environment: Mapping[str, str],
        *,
        overrides: Sequence[Path] = (),
        profiles: Sequence[str] = (),
    ) -> None:
        self.project = project
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.files = [ROOT / "compose.yaml", *overrides]
        self.profiles = list(profiles)
        self.environment = {
            **{name: os.environ[name] for name in PASSED_THROUGH if os.environ.get(name)},
            "COMPOSE_PROJECT_NAME": project,
            "PORT": str(self.port),
            **environment,
        }
        self.empty_env = Path(tempfile.gettempdir()) / f"{project}-empty.env"
        self.empty_env.write_text("")

    # --- compose -------------------------------------------------------------------------------

    def compose(self, *arguments: str, check: bool = True, timeout: float = 600) -> str:
        command = ["docker", "compose", "--env-file", str(self.empty_env)]
        for file in self.files:
            command += ["-f", str(file)]
        for profile in self.profiles:
            command += ["--profile", profile]
        done = subprocess.run(
            [*command, *arguments],
            env=self.environment,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise StackError(
                f"docker compose {' '.join(arguments)}: exit {done.returncode}\n"
                f"{done.stdout[-2000:]}{done.stderr[-3000:]}"
            )
        return done.stdout

    def up(
        self, scale: Mapping[str, int] | None = None, *, build: bool = True, timeout: int = 180
    ) -> float:
        """Build (unless ``build`` is false) and start the stack, healthy; the seconds it took."""
        began = time.monotonic()
        arguments = ["up", "-d", "--wait", "--wait-timeout", str(timeout)]
        if build:
            arguments.append("--build")
        for service, count in (scale or {}).items():
            arguments += ["--scale", f"{service}={count}"]
        self.compose(*arguments, timeout=timeout + 600)
        return time.monotonic() - began

    def down(self) -> None:
        self.compose("down", "-v", "--remove-orphans", check=False)
        self.empty_env.unlink(missing_ok=True)

    def exec(self, service: str, *command: str, index: int = 1, check: bool = True) -> str:
        return self.compose(
            "exec", "-T", "--index", str(index), service, *command, check=check
        ).strip()

    def manage(self, *arguments: str) -> str:
        """A management command in the (first) web container."""
        return self.exec("web", "python", "manage.py", *arguments)

    def containers(self, service: str) -> list[str]:
        """The names of the service's running containers, in replica order."""
        names = self.compose("ps", "--format", "{{.Name}}", service).split()
        return sorted(names, key=lambda name: int(name.rsplit("-", 1)[1]))

    def logs(self, service: str) -> str:
        return self.compose("logs", "--no-color", service, check=False)

    def docker(self, *arguments: str, check: bool = True) -> str:
        done = subprocess.run(
            ["docker", *arguments],
            env=self.environment,
            capture_output=True,
            text=True,
            check=False,
        )
        if check and done.returncode != 0:
            raise StackError(f"docker {' '.join(arguments)}: {done.stderr[-2000:]}")
        return done.stdout.strip()

    def sql(self, query: str) -> list[list[str]]:
        """Rows of ``query``, run by psql in the db container as the app's user."""
        out = self.exec(
            "db",
            "sh",
            "-c",
            'psql -v ON_ERROR_STOP=1 -X -A -t -F "\t" '
            '-U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "$0"',
            query,
        )
        return [line.split("\t") for line in out.splitlines() if line]

    def import_runs(self, runs: Iterable[int]) -> list[tuple[int, str, int]]:
        """Each import run's id, status and count of books created so far."""
        ids = ",".join(str(int(run)) for run in runs)  # numbers only: nothing to escape
        rows = self.sql(
            f"SELECT id, status, created FROM interchange_importrun WHERE id IN ({ids})"  # noqa: S608
        )
        return [(int(run), status, int(created)) for run, status, created in rows]

    def wait_for_import_runs(
        self,
        runs: Sequence[int],
        until: Callable[[str, int], bool] = lambda status, created: status == "done",
        *,
        seconds: float = 180,
    ) -> None:
        """Polls the import runs until ``until(status, created)`` holds for each of them."""
        deadline = time.monotonic() + seconds
        rows: list[tuple[int, str, int]] = []
        while time.monotonic() < deadline:
            rows = self.import_runs(runs)
            if len(rows) == len(runs) and all(until(status, made) for _, status, made in rows):
                return
            time.sleep(0.3)
        raise AssertionError(f"import runs {list(runs)}: {rows} after {seconds:.0f} s")

    def diagnostics(self) -> str:
        return self.compose("ps", "-a", check=False) + self.compose(
            "logs", "--no-color", "--tail", "40", check=False
        )

    # --- what the web replicas logged -------------------------------------------------------------

    def served_by(self, request_ids: Iterable[str]) -> dict[str, str]:
        """Which web replica (``web-2``) logged each of ``request_ids`` (their one request line,
        shelfmark.requests, JSON in production)."""
        wanted = set(request_ids)
        found: dict[str, str] = {}
        for line in self.logs("web").splitlines():
            replica, _, text = line.partition("|")
            if "{" not in text:
                continue
            try:
                record = json.loads(text[text.index("{") :])
            except ValueError:
                continue
            if record.get("request_id") in wanted and "status" in record:
                found[record["request_id"]] = replica.strip().removeprefix(f"{self.project}-")
        return found


class Checks:
    """PASS/FAIL lines, as scripts/docker-smoke prints them; figures for the report."""

    def __init__(self) -> None:
        self.failed = 0
        self.figures: dict[str, Any] = {}

    def check(self, ok: bool, what: str) -> bool:
        print(f"{'PASS' if ok else 'FAIL'}  {what}", flush=True)
        self.failed += not ok
        return ok

    def run(self, title: str, step: Callable[[], None]) -> None:
        """A step of its own: its failure is a FAIL line, and the steps after it still run."""
        print(f"\n==> {title}", flush=True)
        try:
            step()
        except (AssertionError, StackError, httpx.HTTPError) as error:
            self.check(False, f"{title}: {error}")


def run_stack_test(name: str, stack: Stack, test: Callable[[Checks], None]) -> int:
    """Runs ``test`` on ``stack``, then removes the stack whatever happened; prints the stack's
    state and logs on a failure, then the figures and the verdict. The exit status."""
    # A stop (CI's, Ctrl-C's) still removes the stack: SIGTERM unwinds through the finally.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    checks = Checks()
    try:
        test(checks)
    except (StackError, AssertionError, httpx.HTTPError) as error:
        checks.check(False, str(error))
    finally:
        if checks.failed:
            print(stack.diagnostics()[-15000:])
        stack.down()
    print(f"\n{name} figures: " + json.dumps(checks.figures))
    print(f"{name}: " + ("FAILED" if checks.failed else "passed"))
    return 1 if checks.failed else 0


def request_id() -> str:
    return f"ops-{uuid.uuid4().hex}"


class Visitor:
    """A browser's session on the stack's site: cookies, CSRF tokens from the pages' forms, and a
    fresh X-Request-ID on every request (``ids`` keeps them, to find who served each)."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
        self.ids: list[str] = []

    def __enter__(self) -> Visitor:
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        rid = request_id()
        self.ids.append(rid)
        headers = {"X-Request-ID": rid, **kwargs.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kwargs)

    def csrf_token(self, path: str) -> str:
        page = self.request("GET", path)
        match = CSRF_FIELD.search(page.text)
        if page.status_code != 200 or not match:
            raise AssertionError(f"GET {path}: {page.status_code}, no form with a CSRF token")
        return match.group(1)

    def sign_in(self, username: str, password: str) -> httpx.Response:
        token = self.csrf_token("/account/sign-in/")
        return self.request(
            "POST",
            "/account/sign-in/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        )

    def upload_import(self, name: str, csv: str) -> int:
        """Send a CSV file of books to the staff site's import form; the id of the run (a
        preview) it queued."""
        form = {
            "csrfmiddlewaretoken": self.csrf_token("/staff/imports/new/"),
            "kind": "catalog",
            "format": "auto",
            "on_duplicate": "skip",
        }
        files = {"file": (name, csv.encode(), "text/csv")}
        return import_run_id(self.request("POST", "/staff/imports/new/", data=form, files=files))

    def confirm_import(self, preview: int) -> int:
        """Confirm a finished preview; the id of the real run it queued."""
        token = self.csrf_token(f"/staff/imports/{preview}/")
        return import_run_id(
            self.request(
                "POST", f"/staff/imports/{preview}/confirm/", data={"csrfmiddlewaretoken": token}
            )
        )


def import_run_id(answer: httpx.Response) -> int:
    """The run an import page's form redirected to."""
    location = answer.headers.get("location", "")
    run = RUN_PAGE.fullmatch(location)
    if answer.status_code != 302 or run is None:
        raise AssertionError(f"{answer.status_code} {location} {answer.text[:300]}")
    return int(run.group(1))


def new_password() -> str:
    return secrets.token_urlsafe(16)
