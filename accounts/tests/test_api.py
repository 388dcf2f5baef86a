"""/api/v1/tokens/ and /api/v1/tokens/<id>/: list, issue and revoke API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from accounts.models import ApiToken, hash_key
from accounts.services import token_create
from shelfmark.tests.helpers import assert_error

pytestmark = pytest.mark.django_db

User = get_user_model()

TOKENS_URL = "/api/v1/tokens/"
LISTED_FIELDS = {
    "id",
    "name",
    "user",
    "username",
    "key_hint",
    "created_at",
    "expires_at",
    "last_used_at",
}


@pytest.fixture
def other_user(db):
    return User.objects.create_user(username="other", password="another long password")


def detail_url(token_id: int) -> str:
    return f"{TOKENS_URL}{token_id}/"


def authenticates(key: str) -> bool:
    response = APIClient().get(TOKENS_URL, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code in (200, 401)
    return response.status_code == 200


# --- anonymous -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", TOKENS_URL), ("post", TOKENS_URL), ("delete", detail_url(1))],
)
def test_anonymous_requests_answer_401(api_client, patron_user, method, url):
    token_create(user=patron_user, name="exists")

    response = getattr(api_client, method)(url)

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Token realm="api"'
    assert ApiToken.objects.count() == 1


# --- list ----------------------------------------------------------------------------------------


def test_a_user_lists_only_their_own_tokens(patron_client, patron_user, other_user, staff_user):
    older, _ = token_create(user=patron_user, name="older")
    newer, _ = token_create(user=patron_user, name="newer")
    token_create(user=other_user, name="theirs")
    token_create(user=staff_user, name="staff")

    response = patron_client.get(TOKENS_URL)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [newer.id, older.id]  # newest first
    assert all(set(row) == LISTED_FIELDS for row in rows)
    assert rows[0] == {
        "id": newer.id,
        "name": "newer",
        "user": patron_user.id,
        "username": "reader",
        "key_hint": newer.key_hint,
        "created_at": rows[0]["created_at"],
        "expires_at": None,
        "last_used_at": None,
    }
    assert parse_datetime(rows[0]["created_at"]) == newer.created_at


def test_a_user_cannot_list_another_users_tokens_with_the_filter(
    patron_client, patron_user, other_user
):
    mine, _ = token_create(user=patron_user, name="mine")
    token_create(user=other_user, name="theirs")

    response = patron_client.get(TOKENS_URL, {"user": other_user.id})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.id]


def test_staff_list_everyones_tokens_and_filter_by_user(
    staff_client, staff_user, patron_user, other_user
):
    patron_token, _ = token_create(user=patron_user, name="p")
    other_token, _ = token_create(user=other_user, name="o")
    staff_token, _ = token_create(user=staff_user, name="s")

    everyone = staff_client.get(TOKENS_URL)
    one_user = staff_client.get(TOKENS_URL, {"user": other_user.id})
    nobody = staff_client.get(TOKENS_URL, {"user": "999999999999999999"})

    assert [row["id"] for row in everyone.json()["results"]] == [
        staff_token.id,
        other_token.id,
        patron_token.id,
    ]
    assert [(row["id"], row["username"]) for row in one_user.json()["results"]] == [
        (other_token.id, "other")
    ]
    assert nobody.status_code == 200
    assert nobody.json()["results"] == []


@pytest.mark.parametrize(
    "value", ["abc", "", "-1", "1.5", "1e3", " 1", "\u00b2", "\u0661", "1" * 19, "0x10"]
)
def test_the_user_filter_must_be_a_user_id(staff_client, value):
    response = staff_client.get(TOKENS_URL, {"user": value})

    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"user": ["'user' must be a user id."]}


def test_listing_tokens_takes_one_query(
    staff_client, staff_user, patron_user, other_user, django_assert_num_queries
):
    for user in (staff_user, patron_user, other_user, patron_user):
        token_create(user=user, name="t")

    with django_assert_num_queries(1):
        response = staff_client.get(TOKENS_URL)

    assert len(response.json()["results"]) == 4


def test_the_list_never_shows_a_key(patron_client, patron_user):
    created = patron_client.post(TOKENS_URL, {"name": "secret"}, format="json").json()
    key = created["key"]

    response = patron_client.get(TOKENS_URL)

    assert response.status_code == 200
    assert "key" not in response.json()["results"][0]
    assert key not in response.content.decode()
    assert hash_key(key) not in response.content.decode()


# --- create --------------------------------------------------------------------------------------


def test_create_returns_the_key_once(patron_client, patron_user):
    before = timezone.now()

    response = patron_client.post(TOKENS_URL, {"name": "backup script"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == LISTED_FIELDS | {"key"}
    key = body["key"]
    assert key.startswith("shm_")
    assert body["key_hint"] == key[:10]
    assert (body["name"], body["user"], body["username"]) == (
        "backup script",
        patron_user.id,
        "reader",
    )
    assert body["expires_at"] is None
    assert before <= parse_datetime(body["created_at"]) <= timezone.now()

    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == patron_user
    assert token.key_hash == hash_key(key)
    assert authenticates(key)


def test_expires_in_days_sets_the_expiry(patron_client):
    before = timezone.now()

    response = patron_client.post(
        TOKENS_URL, {"name": "month", "expires_in_days": 30}, format="json"
    )

    assert response.status_code == 201
    expires_at = parse_datetime(response.json()["expires_at"])
    assert before + timedelta(days=30) <= expires_at <= timezone.now() + timedelta(days=30)
    assert ApiToken.objects.get(pk=response.json()["id"]).expires_at == expires_at


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "t", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "t", "expires_in_days": -5}, "expires_in_days"),
        ({"name": "t", "expires_in_days": 3651}, "expires_in_days"),
        ({"name": "t", "expires_in_days": "soon"}, "expires_in_days"),
        ({"name": "t", "user": 0}, "user"),
        ({"name": "t", "user": "abc"}, "user"),
        ({"name": "t", "user": 2**63}, "user"),
    ],
)
def test_create_rejects_bad_input_field_by_field(staff_client, payload, field):
    response = staff_client.post(TOKENS_URL, payload, format="json")

    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {field}
    assert not ApiToken.objects.exists()


def test_a_user_may_name_themselves_as_the_owner(patron_client, patron_user):
    response = patron_client.post(
        TOKENS_URL, {"name": "mine", "user": patron_user.id}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["user"] == patron_user.id


def test_a_non_staff_user_cannot_create_a_token_for_someone_else(patron_client, other_user):
    response = patron_client.post(
        TOKENS_URL, {"name": "sneaky", "user": other_user.id}, format="json"
    )

    error = assert_error(response, 403, "permission_denied")
    assert "staff" in error["message"].lower()
    assert not ApiToken.objects.exists()


def test_a_non_staff_user_gets_403_even_for_an_unknown_user_id(patron_client):
    # Not 400 "no such user": that would let non-staff probe which user ids exist.
    response = patron_client.post(TOKENS_URL, {"name": "x", "user": 999999}, format="json")

    assert_error(response, 403, "permission_denied")


def test_staff_can_create_a_token_for_another_user(staff_client, patron_user):
    response = staff_client.post(
        TOKENS_URL, {"name": "for the reader", "user": patron_user.id}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["user"], body["username"]) == (patron_user.id, "reader")
    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == patron_user
    # The key acts as the reader, not as the librarian who issued it.
    listed = (
        APIClient().get(TOKENS_URL, HTTP_AUTHORIZATION=f"Token {body['key']}").json()["results"]
    )
    assert {row["username"] for row in listed} == {"reader"}


def test_only_a_superuser_may_issue_a_token_for_a_superuser(staff_client, staff_user):
    boss = User.objects.create_superuser("boss", password="a long superuser password")

    response = staff_client.post(TOKENS_URL, {"name": "escalate", "user": boss.id}, format="json")

    assert_error(response, 403, "permission_denied")
    assert not ApiToken.objects.exists()
    superuser_client = APIClient()
    superuser_client.force_authenticate(boss)
    response = superuser_client.post(
        TOKENS_URL, {"name": "for staff", "user": staff_user.id}, format="json"
    )
    assert response.status_code == 201
    other_boss = User.objects.create_superuser("boss2", password="another long password")
    response = superuser_client.post(
        TOKENS_URL, {"name": "peer", "user": other_boss.id}, format="json"
    )
    assert response.status_code == 201


def test_staff_creating_for_an_unknown_user_gets_400(staff_client):
    response = staff_client.post(TOKENS_URL, {"name": "ghost", "user": 999999}, format="json")

    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"user": ["No user with this id."]}
    assert not ApiToken.objects.exists()


def test_staff_creating_for_an_inactive_user_gets_400(staff_client, patron_user):
    User.objects.filter(pk=patron_user.pk).update(is_active=False)

    response = staff_client.post(TOKENS_URL, {"name": "x", "user": patron_user.id}, format="json")

    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"user"}
    assert not ApiToken.objects.exists()


def test_session_writes_need_the_csrf_token(patron_user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(patron_user)

    response = client.post(TOKENS_URL, {"name": "from a forged form"}, format="json")

    error = assert_error(response, 403, "permission_denied")
    assert "CSRF" in error["message"]
    assert not ApiToken.objects.exists()


# --- revoke --------------------------------------------------------------------------------------


def test_revoking_your_own_token_disables_its_key(patron_client, patron_user):
    token, key = token_create(user=patron_user, name="old laptop")
    assert authenticates(key)

    response = patron_client.delete(detail_url(token.id))

    assert response.status_code == 204
    assert response.content == b""
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert not authenticates(key)


def test_a_token_can_revoke_itself(patron_user):
    token, key = token_create(user=patron_user, name="leaked")
    client = APIClient()

    response = client.delete(detail_url(token.id), HTTP_AUTHORIZATION=f"Bearer {key}")

    assert response.status_code == 204
    assert not authenticates(key)


def test_revoking_someone_elses_token_as_non_staff_is_404(patron_client, other_user):
    token, key = token_create(user=other_user, name="theirs")

    response = patron_client.delete(detail_url(token.id))

    error = assert_error(response, 404, "not_found")
    assert "not yours" in error["message"]
    assert ApiToken.objects.filter(pk=token.pk).exists()
    assert authenticates(key)


def test_staff_can_revoke_anyones_token(staff_client, patron_user):
    token, key = token_create(user=patron_user, name="lost phone")

    response = staff_client.delete(detail_url(token.id))

    assert response.status_code == 204
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert not authenticates(key)


def test_revoking_an_unknown_token_is_404(staff_client):
    response = staff_client.delete(detail_url(424242))

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("raw_id", ["99999999999999999999", "9" * 19, "9" * 200])
def test_an_id_too_big_for_the_database_is_a_json_404(staff_client, raw_id):
    response = staff_client.delete(f"{TOKENS_URL}{raw_id}/")

    error = assert_error(response, 404, "not_found")
    assert "/api/" in error["message"]


def test_the_largest_18_digit_id_is_looked_up_not_overflowed(staff_client):
    response = staff_client.delete(detail_url(999999999999999999))

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("method", ["get", "put", "patch"])
def test_a_token_cannot_be_read_or_changed_through_its_url(staff_client, patron_user, method):
    token, _ = token_create(user=patron_user, name="fixed")

    response = getattr(staff_client, method)(detail_url(token.id), {"name": "x"}, format="json")

    assert_error(response, 405, "method_not_allowed")
    assert ApiToken.objects.get(pk=token.pk).name == "fixed"
