"""Sign-in lockouts and the password-reset limit on the production server: gunicorn with two
worker processes on PostgreSQL and no Redis, as `docker compose up` and ./scripts/serve run
by default. Each worker used to count in its own memory, so that a client got the limit once
per worker and a locked account still signed in on a worker that had not counted to it.

Which worker answers is steered (shelfmark.testing.servers.HeldWorker: one worker held on an
unfinished request while the other answers) and checked in gunicorn's access log, so half the
tries provably land on each worker.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from types import SimpleNamespace

import httpx
import pytest
from django.conf import global_settings
from django.contrib.auth import get_user_model

from shelfmark.testing.servers import HeldWorker, gunicorn, worker_pids

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

LOGIN_FAILURE_LIMIT = 4
PASSWORD_RESET_LIMIT_PER_EMAIL = 2
PASSWORD = "correct horse battery"
SIGN_IN = "/account/sign-in/"
RESET = "/account/password/reset/"


@pytest.fixture
def server(transactional_db, settings, tmp_path) -> Iterator[SimpleNamespace]:
    # The server runs the real settings, which do not know the tests' fast password hasher.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    get_user_model().objects.create_user("ada", email="ada@example.org", password=PASSWORD)
    access_log, output = tmp_path / "access.log", tmp_path / "output.log"
    environment = {
        "REDIS_URL": "",  # the default: no shared cache
        "LOGIN_FAILURE_LIMIT": str(LOGIN_FAILURE_LIMIT),
        "PASSWORD_RESET_LIMIT_PER_EMAIL": str(PASSWORD_RESET_LIMIT_PER_EMAIL),
        "EMAIL_URL": "consolemail://",  # each email printed on the worker's standard output
    }
    with gunicorn(workers=2, environment=environment, access_log=access_log, output=output) as url:
        yield SimpleNamespace(url=url, access_log=access_log, output=output)


def post_form(url: str, path: str, fields: dict[str, str]) -> httpx.Response:
    """The form's page, then the form posted with its CSRF token, as a browser does."""
    with httpx.Client(base_url=url, timeout=60) as browser:
        browser.get(path).raise_for_status()
        token = browser.cookies["csrftoken"]
        return browser.post(path, data={**fields, "csrfmiddlewaretoken": token})


def sign_in(url: str, password: str) -> int:
    return post_form(url, SIGN_IN, {"username": "ada", "password": password}).status_code


def on_each_worker_in_turn(url: str, tries: int, send) -> list:
    """``send(url)`` ``tries`` times: the first half answered by one worker, the rest by the
    other (the first worker held meanwhile)."""
    first_held = HeldWorker(url)  # worker A: the first half goes to B
    try:
        answers = [send(url) for _ in range(tries // 2)]
        second_held = HeldWorker(url)  # B, now idle, is held...
    finally:
        first_held.release()  # ...and A freed: the rest goes to A
    try:
        answers += [send(url) for _ in range(tries - tries // 2)]
    finally:
        second_held.release()
    return answers


def assert_half_on_each_worker(access_log, path: str, tries: int) -> None:
    """The last ``tries`` posts to ``path``: the first half answered by one worker, the rest by
    the other."""
    pids = worker_pids(access_log, "POST", path)[-tries:]
    assert len(pids) == tries
    first, second = set(pids[: tries // 2]), set(pids[tries // 2 :])
    assert len(first) == len(second) == 1
    assert first != second


def test_the_lockout_trips_at_the_limit_across_workers(server):
    statuses = on_each_worker_in_turn(
        server.url, LOGIN_FAILURE_LIMIT, lambda url: sign_in(url, "wrong")
    )

    assert_half_on_each_worker(server.access_log, SIGN_IN, LOGIN_FAILURE_LIMIT)
    # The form again with its error, then the lockout at the limit's own try.
    assert statuses == [200] * (LOGIN_FAILURE_LIMIT - 1) + [429]


def test_the_right_password_is_refused_on_every_worker_while_locked(server):
    for _ in range(LOGIN_FAILURE_LIMIT):
        sign_in(server.url, "wrong")

    statuses = on_each_worker_in_turn(server.url, 4, lambda url: sign_in(url, PASSWORD))

    assert_half_on_each_worker(server.access_log, SIGN_IN, 4)
    assert statuses == [429] * 4


def _outside_an_hours_edge() -> None:
    """The limit counts per clock hour: a run across the hour would count in two windows."""
    seconds_into_the_hour = time.time() % 3600
    if seconds_into_the_hour > 3600 - 60:
        time.sleep(3600 - seconds_into_the_hour + 1)


def emails_sent(output) -> int:
    return sum(line == "To: ada@example.org" for line in output.read_text().splitlines())


def test_password_reset_sends_at_most_the_limit_across_workers(server):
    _outside_an_hours_edge()
    tries = 2 * PASSWORD_RESET_LIMIT_PER_EMAIL + 2

    answers = on_each_worker_in_turn(
        server.url, tries, lambda url: post_form(url, RESET, {"email": "Ada@example.org"})
    )

    assert_half_on_each_worker(server.access_log, RESET, tries)
    # Every request gets the same answer, the "sent" page...
    assert {(answer.status_code, answer.headers["Location"]) for answer in answers} == {
        (302, "/account/password/reset/sent/")
    }
    # ...and only the limit's worth of emails went out.
    assert emails_sent(server.output) == PASSWORD_RESET_LIMIT_PER_EMAIL
