"""Signing in: throttling of failed sign-ins (shelfmark/logins.py and the AXES_* settings) on
both sign-in pages, and where a sign-in without ?next= lands.

Without REDIS_URL, as here, the counts live in the database (axes' database handler), which
each test rolls back; accounts/tests/test_throttles_gunicorn.py shows them shared by the worker
processes of a real server.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.test import Client, RequestFactory
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from shelfmark.logins import client_address

pytestmark = pytest.mark.django_db

LOGIN_PAGES = ["/admin/login/", "/api-auth/login/"]
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _known_limits(settings):
    # The defaults, written out: the tests count up to them.
    settings.AXES_FAILURE_LIMIT = 10
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


@pytest.fixture(params=LOGIN_PAGES)
def login_page(request) -> str:
    return request.param


@pytest.fixture
def other_user(db):
    return get_user_model().objects.create_user(
        username="cataloguer", password=PASSWORD, is_staff=True
    )


def sign_in(
    page: str, username: str, password: str, address: str = "10.0.0.1", client=None, **extra
):
    client = client or Client()
    response = client.post(
        page,
        {"username": username, "password": password, "next": "/api/"},
        REMOTE_ADDR=address,
        **extra,
    )
    return response


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/api/"


def assert_locked_out(response) -> None:
    assert response.status_code == 429, response.status_code
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == "900"
    assert b"Too many sign-in attempts" in response.content
    assert b"Try again in 15 minutes" in response.content


def fail(page: str, times: int, username: str = "librarian", address: str = "10.0.0.1", **extra):
    return [sign_in(page, username, "wrong", address, **extra) for _ in range(times)]


def test_the_right_password_signs_in(staff_user, login_page):
    assert signed_in(sign_in(login_page, "librarian", PASSWORD))


def test_a_correct_password_before_the_limit_still_works(staff_user, login_page):
    responses = fail(login_page, 9)

    assert {response.status_code for response in responses} == {200}  # the form, with its error
    assert signed_in(sign_in(login_page, "librarian", PASSWORD))


def test_the_limit_locks_out_even_the_right_password(staff_user, login_page):
    *before, last = fail(login_page, 10)

    assert {response.status_code for response in before} == {200}
    assert_locked_out(last)
    client = Client()
    assert_locked_out(sign_in(login_page, "librarian", PASSWORD, client=client))
    assert "_auth_user_id" not in client.session


def test_a_hundred_wrong_passwords_cost_ten_password_checks(staff_user, login_page):
    # Once locked, a try is refused before any password is hashed: a flood costs no CPU.
    with mock.patch.object(
        ModelBackend, "authenticate", autospec=True, side_effect=ModelBackend.authenticate
    ) as password_check:
        responses = fail(login_page, 100)
        right = sign_in(login_page, "librarian", PASSWORD)

    assert [response.status_code for response in responses] == [200] * 9 + [429] * 91
    assert_locked_out(right)
    assert password_check.call_count == 10


def test_the_lockout_lifts_after_the_cool_off(staff_user, login_page):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        fail(login_page, 10)
        assert sign_in(login_page, "librarian", PASSWORD).status_code == 429

        clock.shift(timedelta(minutes=15, seconds=1))

        assert signed_in(sign_in(login_page, "librarian", PASSWORD))


def test_locking_a_username_does_not_lock_others_from_another_address(
    staff_user, other_user, login_page
):
    fail(login_page, 10, username="librarian", address="10.0.0.1")

    # Another user from another address: unaffected.
    assert signed_in(sign_in(login_page, "cataloguer", PASSWORD, address="10.0.0.2"))
    # The locked username is locked from every address...
    assert sign_in(login_page, "librarian", PASSWORD, address="10.0.0.3").status_code == 429
    # ...and the address that failed is locked for every username.
    assert sign_in(login_page, "cataloguer", PASSWORD, address="10.0.0.1").status_code == 429


def test_an_address_trying_many_usernames_is_locked_out(staff_user, login_page):
    for number in range(10):
        sign_in(login_page, f"guess{number}", "wrong", address="10.0.0.66")

    assert sign_in(login_page, "librarian", PASSWORD, address="10.0.0.66").status_code == 429
    assert signed_in(sign_in(login_page, "librarian", PASSWORD, address="10.0.0.67"))


def test_a_username_spelled_like_an_address_does_not_lock_that_address(staff_user, login_page):
    fail(login_page, 10, username="10.0.0.9", address="10.0.0.1")

    assert signed_in(sign_in(login_page, "librarian", PASSWORD, address="10.0.0.9"))


def test_the_two_sign_in_pages_share_the_count(staff_user):
    fail("/admin/login/", 5)
    fail("/api-auth/login/", 5)

    assert sign_in("/admin/login/", "librarian", PASSWORD).status_code == 429


def test_lockouts_are_logged_with_the_username_and_address(staff_user, login_page, caplog):
    with caplog.at_level(logging.WARNING, logger="shelfmark.logins"):
        fail(login_page, 11, username="librarian\nforged line", address="10.0.0.5")

    lockouts = [record for record in caplog.records if record.name == "shelfmark.logins"]
    assert len(lockouts) == 2  # the 10th try and the 11th
    message = lockouts[0].getMessage()
    assert "Sign-in locked out" in message
    assert "'librarian\\nforged line'" in message  # repr: a newline cannot forge a log line
    assert "10.0.0.5" in message
    assert "900 seconds" in message


# --- the client's address: the API rate limits' rule (NUM_PROXIES) ------------------------------


@pytest.mark.parametrize("num_proxies", [0, 1, 2])
@pytest.mark.parametrize(
    "forwarded", [None, "203.0.113.7", "198.51.100.1, 203.0.113.7", "198.51.100.1,203.0.113.7"]
)
def test_client_address_is_the_api_rate_limits_address(settings, num_proxies, forwarded):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": num_proxies}
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR="10.0.0.1", **extra)

    # What DRF's throttles see for the same request.
    assert client_address(request) == BaseThrottle().get_ident(Request(request))
    if num_proxies == 0 or forwarded is None:
        assert client_address(request) == "10.0.0.1"


def test_behind_a_proxy_clients_are_told_apart_by_x_forwarded_for(staff_user, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    proxy = "10.0.0.1"
    for number in range(10):
        sign_in(
            "/admin/login/",
            f"guess{number}",
            "wrong",
            address=proxy,
            HTTP_X_FORWARDED_FOR="203.0.113.66",
        )

    other = sign_in(
        "/admin/login/", "librarian", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    attacker = sign_in(
        "/admin/login/", "librarian", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="203.0.113.66"
    )

    assert signed_in(other)
    assert attacker.status_code == 429


def test_without_num_proxies_everyone_behind_the_proxy_shares_its_address(staff_user):
    # What README warns about: the reason to set NUM_PROXIES behind a proxy.
    for number in range(10):
        sign_in("/admin/login/", f"guess{number}", "wrong", HTTP_X_FORWARDED_FOR="203.0.113.66")

    other = sign_in("/admin/login/", "librarian", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert other.status_code == 429


# --- code that authenticates without a request ---------------------------------------------------


def test_authenticating_without_a_request_is_not_throttled_and_still_checks_the_password(
    staff_user,
):
    fail("/admin/login/", 10)  # the username is locked for sign-ins over HTTP

    assert Client().login(username="librarian", password=PASSWORD)
    assert not Client().login(username="librarian", password="wrong")


# --- where a sign-in lands -----------------------------------------------------------------------


def test_signing_in_to_the_api_without_next_lands_on_the_api_root(staff_user):
    client = Client()
    response = client.post("/api-auth/login/", {"username": "librarian", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/api/"
    assert client.get(response["Location"]).status_code == 200


# --- the database's counts (no REDIS_URL) --------------------------------------------------------


def test_without_redis_the_counts_are_in_the_database(staff_user, settings):
    from axes.models import AccessAttempt

    assert settings.AXES_HANDLER == "shelfmark.logins.DatabaseLoginCounts"
    fail("/admin/login/", 3)

    assert AccessAttempt.objects.get(username="user:librarian").failures_since_start == 3


def test_tries_while_locked_keep_the_lockout_but_do_not_grow_its_rows(staff_user, login_page):
    from axes.models import AccessAttempt

    with time_machine.travel(timezone.now(), tick=False) as clock:
        fail(login_page, 10)
        sizes = {row.pk: len(row.post_data) for row in AccessAttempt.objects.all()}

        for _ in range(5):
            clock.shift(timedelta(minutes=10))
            assert_locked_out(sign_in(login_page, "librarian", "wrong"))

        # Each locked try wrote nothing more of the request into the rows...
        assert {row.pk: len(row.post_data) for row in AccessAttempt.objects.all()} == sizes
        # ...but moved the cool-off on (15 minutes from the last try).
        assert_locked_out(sign_in(login_page, "librarian", PASSWORD))
        clock.shift(timedelta(minutes=15, seconds=1))
        assert signed_in(sign_in(login_page, "librarian", PASSWORD))
