"""Token and admin services, against the real database."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from accounts.models import TOKEN_PREFIX, ApiToken, hash_key
from accounts.selectors import token_for_key
from accounts.services import admin_ensure, token_create, token_issue, token_revoke
from accounts.tests.helpers import grant_issue_for_others
from shelfmark.errors import InvalidInput, NotAllowed

pytestmark = pytest.mark.django_db

User = get_user_model()


# --- token_create --------------------------------------------------------------------------------


def test_token_create_returns_a_prefixed_key_and_stores_only_its_sha256(patron_user):
    token, key = token_create(user=patron_user, name="backup script")

    assert key.startswith(TOKEN_PREFIX)
    assert TOKEN_PREFIX == "shm_"
    # 32 random bytes, URL-safe base64: 43 characters after the prefix.
    assert len(key) == len(TOKEN_PREFIX) + 43
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.key_hint == key[:10]
    assert token.user == patron_user
    assert token.name == "backup script"
    assert token.expires_at is None
    assert token.last_used_at is None
    assert token.created_by is None  # token_create alone records no issuer (the command's case)

    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert stored["key_hash"] == hash_key(key)
    # The key itself is in no column: only its hash and a short hint are kept.
    for column, value in stored.items():
        assert key != value, column
        if isinstance(value, str):
            assert key not in value, column


def test_token_create_issues_a_different_key_every_time(patron_user):
    keys = {token_create(user=patron_user, name=f"t{n}")[1] for n in range(20)}

    assert len(keys) == 20
    assert ApiToken.objects.filter(user=patron_user).count() == 20
    assert len(set(ApiToken.objects.values_list("key_hash", flat=True))) == 20


@pytest.mark.parametrize(
    ("given_name", "stored_name"), [("  cron  ", "cron"), ("   ", "API token")]
)
def test_token_create_trims_the_name_and_names_unnamed_tokens(patron_user, given_name, stored_name):
    token, _ = token_create(user=patron_user, name=given_name)

    assert ApiToken.objects.get(pk=token.pk).name == stored_name


def test_token_create_stores_a_future_expiry(patron_user):
    expires_at = timezone.now() + timedelta(days=30)

    token, key = token_create(user=patron_user, name="monthly", expires_at=expires_at)

    assert ApiToken.objects.get(pk=token.pk).expires_at == expires_at
    assert token.is_expired is False
    assert token_for_key(key=key) == token


@pytest.mark.parametrize("offset", [timedelta(seconds=-1), timedelta(days=-365)])
def test_token_create_rejects_an_expiry_in_the_past(patron_user, offset):
    with pytest.raises(InvalidInput) as excinfo:
        token_create(user=patron_user, name="stale", expires_at=timezone.now() + offset)

    assert excinfo.value.field == "expires_at"
    assert excinfo.value.status_code == 400
    assert "future" in excinfo.value.message
    assert not ApiToken.objects.exists()


def test_token_create_rejects_an_inactive_user(patron_user):
    patron_user.is_active = False
    patron_user.save()

    with pytest.raises(InvalidInput) as excinfo:
        token_create(user=patron_user, name="nope")

    assert excinfo.value.field == "user"
    assert "inactive" in excinfo.value.message
    assert "reader" in excinfo.value.message
    assert not ApiToken.objects.exists()


def test_token_str_shows_the_hint_never_the_key(patron_user):
    token, key = token_create(user=patron_user, name="laptop")

    text = str(token)

    assert "laptop" in text
    assert token.key_hint in text
    assert "reader" in text
    assert key not in text


# --- token_issue: who may issue for whom -------------------------------------------------------


def test_token_issue_for_yourself_records_you_as_owner_and_creator(patron_user):
    token, _ = token_issue(actor=patron_user, name="mine", via_token=None)

    stored = ApiToken.objects.get(pk=token.pk)
    assert (stored.user, stored.created_by) == (patron_user, patron_user)


def test_token_issue_for_others_is_refused_to_staff_who_are_not_superusers(staff_user, patron_user):
    with pytest.raises(NotAllowed) as excinfo:
        token_issue(actor=staff_user, name="for the reader", user_id=patron_user.pk, via_token=None)

    assert excinfo.value.status_code == 403
    assert excinfo.value.message == (
        "Only a superuser, or an account with the permission 'Can issue API tokens for other "
        "users' (accounts.issue_token_for_others), may issue tokens for other users."
    )
    assert not ApiToken.objects.exists()


def test_token_issue_for_an_unknown_user_without_the_right_is_403_not_400(staff_user):
    # A 400 "no such user" would let anyone probe which user ids exist.
    with pytest.raises(NotAllowed):
        token_issue(actor=staff_user, name="probe", user_id=999999, via_token=None)


def test_a_superuser_issues_for_others_and_is_recorded_as_creator(superuser, staff_user):
    token, _ = token_issue(actor=superuser, name="for staff", user_id=staff_user.pk, via_token=None)

    stored = ApiToken.objects.get(pk=token.pk)
    assert (stored.user, stored.created_by) == (staff_user, superuser)


def test_the_issue_for_others_permission_lets_staff_issue_for_others(staff_user, patron_user):
    issuer = grant_issue_for_others(staff_user)

    token, _ = token_issue(actor=issuer, name="for reader", user_id=patron_user.pk, via_token=None)

    stored = ApiToken.objects.get(pk=token.pk)
    assert (stored.user, stored.created_by) == (patron_user, staff_user)


def test_the_permission_does_not_reach_superusers(staff_user, superuser):
    issuer = grant_issue_for_others(staff_user)

    with pytest.raises(NotAllowed) as excinfo:
        token_issue(actor=issuer, name="escalate", user_id=superuser.pk, via_token=None)

    assert excinfo.value.message == "Only a superuser may issue tokens for a superuser."
    assert not ApiToken.objects.exists()


# --- token_issue: a token cannot outlive the token that issued it --------------------------------


@pytest.fixture
def one_day_token(patron_user):
    """The patron's token that expires in a day, as a request authenticated by it carries."""
    token, _ = token_create(
        user=patron_user, name="one day", expires_at=timezone.now() + timedelta(days=1)
    )
    return token


@pytest.mark.parametrize("asked", [None, timedelta(days=2), timedelta(days=1, seconds=1)])
def test_a_token_cannot_issue_a_token_that_outlives_it(patron_user, one_day_token, asked):
    expires_at = None if asked is None else timezone.now() + asked

    with pytest.raises(NotAllowed) as excinfo:
        token_issue(actor=patron_user, name="x", expires_at=expires_at, via_token=one_day_token)

    error = excinfo.value
    assert (error.status_code, error.code) == (403, "expiry_beyond_token")
    limit = one_day_token.expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"expires at {limit}" in error.message
    assert ("never expires" if asked is None else "expiring at") in error.message
    assert "browser session" in error.message  # the way to a longer-lived token
    assert ApiToken.objects.count() == 1


@pytest.mark.parametrize("asked", [timedelta(hours=12), timedelta(minutes=1)])
def test_a_token_can_issue_a_shorter_lived_token(patron_user, one_day_token, asked):
    expires_at = timezone.now() + asked

    token, _ = token_issue(
        actor=patron_user, name="short", expires_at=expires_at, via_token=one_day_token
    )

    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.expires_at == expires_at
    assert stored.created_by == patron_user


def test_a_token_can_issue_one_that_expires_with_it(patron_user, one_day_token):
    token, _ = token_issue(
        actor=patron_user, name="twin", expires_at=one_day_token.expires_at, via_token=one_day_token
    )

    assert ApiToken.objects.get(pk=token.pk).expires_at == one_day_token.expires_at


def test_the_limit_holds_when_issuing_for_someone_else(superuser, staff_user):
    superusers_day_token, _ = token_create(
        user=superuser, name="day", expires_at=timezone.now() + timedelta(days=1)
    )

    with pytest.raises(NotAllowed) as excinfo:
        token_issue(
            actor=superuser, name="forever", user_id=staff_user.pk, via_token=superusers_day_token
        )

    assert excinfo.value.code == "expiry_beyond_token"
    assert not ApiToken.objects.filter(user=staff_user).exists()


def test_a_token_without_expiry_may_issue_any(patron_user):
    forever, _ = token_create(user=patron_user, name="forever")

    token, _ = token_issue(actor=patron_user, name="also forever", via_token=forever)

    assert ApiToken.objects.get(pk=token.pk).expires_at is None


def test_a_session_may_issue_a_token_that_never_expires(patron_user):
    token, _ = token_issue(actor=patron_user, name="forever", via_token=None)

    assert ApiToken.objects.get(pk=token.pk).expires_at is None


# --- token_revoke --------------------------------------------------------------------------------


def test_token_revoke_deletes_the_owners_token(patron_user):
    token, key = token_create(user=patron_user, name="old")

    token_revoke(token=token, actor=patron_user)

    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert token_for_key(key=key) is None


def test_token_revoke_refuses_someone_elses_token_for_non_staff(patron_user, other_user):
    token, key = token_create(user=other_user, name="theirs")

    with pytest.raises(NotAllowed) as excinfo:
        token_revoke(token=token, actor=patron_user)

    assert excinfo.value.status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()
    assert token_for_key(key=key) == token


def test_token_revoke_lets_a_token_admin_revoke_anyones_token(token_admin, patron_user):
    token, _ = token_create(user=patron_user, name="lost laptop")

    token_revoke(token=token, actor=token_admin)

    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_token_revoke_refuses_another_users_token_to_staff_without_the_permission(
    staff_user, patron_user
):
    token, key = token_create(user=patron_user, name="lost laptop")

    with pytest.raises(NotAllowed) as excinfo:
        token_revoke(token=token, actor=staff_user)

    assert excinfo.value.status_code == 403
    assert "accounts.delete_apitoken" in excinfo.value.message
    assert token_for_key(key=key) == token


def test_token_revoke_lets_staff_without_the_permission_revoke_their_own(staff_user):
    token, _ = token_create(user=staff_user, name="desk script")

    token_revoke(token=token, actor=staff_user)

    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_token_revoke_refuses_a_superusers_token_to_staff_who_are_not_superusers(
    token_admin, superuser
):
    token, key = token_create(user=superuser, name="the boss's script")

    with pytest.raises(NotAllowed) as excinfo:
        token_revoke(token=token, actor=token_admin)

    assert excinfo.value.status_code == 403
    assert excinfo.value.message == "Only a superuser may revoke a superuser's tokens."
    assert token_for_key(key=key) == token


def test_a_superuser_revokes_anyones_token(superuser, staff_user, patron_user):
    other_superuser = User.objects.create_superuser("boss2", password="another long password")
    tokens = [
        token_create(user=owner, name="t")[0]
        for owner in (staff_user, patron_user, other_superuser, superuser)
    ]

    for token in tokens:
        token_revoke(token=token, actor=superuser)

    assert not ApiToken.objects.exists()


# --- admin_ensure --------------------------------------------------------------------------------


def test_admin_ensure_creates_a_superuser_once():
    user, created = admin_ensure(username="admin", password="first password 123", email="a@b.c")

    assert created is True
    assert user.is_superuser is True
    assert user.is_staff is True
    assert user.is_active is True
    assert user.email == "a@b.c"
    assert User.objects.get(username="admin").check_password("first password 123")

    again, created_again = admin_ensure(username="admin", password="second password 456")

    assert created_again is False
    assert again.pk == user.pk
    assert User.objects.filter(username="admin").count() == 1
    # An existing account keeps its password.
    stored = User.objects.get(username="admin")
    assert stored.check_password("first password 123")
    assert not stored.check_password("second password 456")


# PostgreSQL only (conftest.py skips `postgres` tests, visibly, on SQLite): two connections
# racing; the SQLite test database lives in memory, in one connection.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_admin_ensure_from_two_containers_at_once_makes_one_admin():
    barrier = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []

    def start_container(password: str) -> None:
        try:
            barrier.wait(timeout=10)
            _, created = admin_ensure(username="admin", password=password)
            results.append(created)
        except BaseException as error:  # reported below, with the thread's failure
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=start_container, args=(f"password number {n}",)) for n in (1, 2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(results) == [False, True]
    assert User.objects.filter(username="admin").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_revoke_is_one_204_and_one_404(patron_user):
    from shelfmark.testing.races import api_call, race

    for _ in range(20):
        token, _key = token_create(user=patron_user, name="twice")
        url = f"/api/v1/tokens/{token.pk}/"
        statuses = race(api_call(patron_user, "DELETE", url), api_call(patron_user, "DELETE", url))
        assert sorted(statuses) == [204, 404]
