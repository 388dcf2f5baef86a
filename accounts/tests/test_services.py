"""Token and admin services, against the real database."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from accounts.models import TOKEN_PREFIX, ApiToken, hash_key
from accounts.selectors import token_for_key
from accounts.services import admin_ensure, token_create, token_revoke
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


def test_token_revoke_lets_staff_revoke_anyones_token(staff_user, patron_user):
    token, _ = token_create(user=patron_user, name="lost laptop")

    token_revoke(token=token, actor=staff_user)

    assert not ApiToken.objects.filter(pk=token.pk).exists()


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
