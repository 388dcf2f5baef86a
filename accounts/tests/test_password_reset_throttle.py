"""The password-reset limit (accounts.services.password_reset_allowed, rate_count; the page is
circulation's PasswordResetView): at most PASSWORD_RESET_LIMIT_PER_EMAIL emails per address and
PASSWORD_RESET_LIMIT_PER_IP per client address in each clock hour, the same answer whatever
happens. accounts/tests/test_throttles_gunicorn.py shows the limit across worker processes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from accounts.models import RateCount
from accounts.services import password_reset_allowed, rate_count
from shelfmark.testing.races import race

pytestmark = pytest.mark.django_db

RESET = "/account/password/reset/"
SENT = "/account/password/reset/sent/"
# Mid-hour, so that no test's requests straddle two windows.
MID_HOUR = datetime(2026, 3, 2, 10, 20, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 3
    settings.PASSWORD_RESET_LIMIT_PER_IP = 10


@pytest.fixture
def ada(db):
    return get_user_model().objects.create_user(
        "ada", email="ada@example.org", password="correct horse battery"
    )


@pytest.fixture
def clock():
    with time_machine.travel(MID_HOUR, tick=False) as traveller:
        yield traveller


def ask(email: str, address: str = "10.0.0.1"):
    return Client().post(RESET, {"email": email}, REMOTE_ADDR=address)


def test_at_most_the_limit_of_emails_per_address_in_an_hour(ada, clock):
    answers = [ask("ada@example.org") for _ in range(6)]

    assert [answer["Location"] for answer in answers] == [SENT] * 6  # the same answer each time
    assert len(mail.outbox) == 3
    assert {tuple(message.to) for message in mail.outbox} == {("ada@example.org",)}


def test_the_address_is_counted_whatever_its_case_and_spaces_and_from_any_client(ada, clock):
    for email, address in [
        ("ada@example.org", "10.0.0.1"),
        ("ADA@Example.org", "10.0.0.2"),
        ("  ada@example.ORG ", "10.0.0.3"),
        ("Ada@example.org", "10.0.0.4"),
    ]:
        ask(email, address)

    assert len(mail.outbox) == 3


def test_the_next_hour_sends_again(ada, clock):
    for _ in range(4):
        ask("ada@example.org")
    clock.shift(timedelta(hours=1))

    ask("ada@example.org")

    assert len(mail.outbox) == 4


def test_addresses_without_an_account_count_too(ada, clock):
    # The limit must not tell which addresses have accounts: an unknown one is counted the
    # same way (and gets the same page), so asking about it says nothing either way.
    for _ in range(3):
        assert ask("nobody@example.org")["Location"] == SENT

    assert not password_reset_allowed(email="nobody@example.org", client="10.0.0.9")
    assert mail.outbox == []


def test_at_most_the_limit_of_requests_per_client_address(ada, clock):
    for number in range(10):
        ask(f"someone{number}@example.org", address="10.0.0.66")

    from_there = ask("ada@example.org", address="10.0.0.66")
    from_elsewhere = ask("ada@example.org", address="10.0.0.67")

    assert from_there["Location"] == from_elsewhere["Location"] == SENT
    assert len(mail.outbox) == 1  # the one from elsewhere


def test_a_refused_request_is_logged(ada, clock, caplog):
    for _ in range(4):
        ask("ada@example.org")

    assert "Password reset not sent: request 4 this hour for one email address (limit 3)" in (
        caplog.text
    )


def test_rate_count_counts_per_key_and_window_and_forgets_ended_windows(clock):
    hour = timedelta(hours=1)

    assert [rate_count(key="a", window=hour) for _ in range(3)] == [1, 2, 3]
    assert rate_count(key="b", window=hour) == 1
    clock.shift(hour)
    assert rate_count(key="a", window=hour) == 1

    assert list(RateCount.objects.values_list("key", "count")) == [("a", 1)]
    assert RateCount.objects.get().window_start == datetime(2026, 3, 2, 11, tzinfo=UTC)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rate_count_gives_each_of_simultaneous_requests_a_number_of_its_own():
    outcomes = race(*[lambda: rate_count(key="raced", window=timedelta(hours=1))] * 8)

    assert sorted(outcomes) == list(range(1, 9))
