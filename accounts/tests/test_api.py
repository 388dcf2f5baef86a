"""/api/v1/tokens/ and /api/v1/tokens/<id>/: list, issue and revoke API tokens."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from accounts.models import ApiToken, hash_key
from accounts.services import token_create, token_issue
from accounts.tests.helpers import grant_issue_for_others, grant_token_permissions
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
    "created_by",
    "created_by_username",
}


@pytest.fixture
def other_user(db):
    return User.objects.create_user(username="other", password="another long password")


@pytest.fixture
def superuser_client(superuser) -> APIClient:
    client = APIClient()
    client.force_authenticate(superuser)
    return client


def detail_url(token_id: int) -> str:
    return f"{TOKENS_URL}{token_id}/"


def signed_with(key: str) -> APIClient:
    """A client whose requests are authenticated by the API token ``key``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


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
        "created_by": None,  # token_create alone, as manage.py create_api_token issues them
        "created_by_username": None,
    }
    assert parse_datetime(rows[0]["created_at"]) == newer.created_at


def test_a_user_cannot_list_another_users_tokens_with_the_filter(
    patron_client, patron_user, other_user
):
    mine, _ = token_create(user=patron_user, name="mine")
    token_create(user=other_user, name="theirs")

    refused = patron_client.get(TOKENS_URL, {"user": other_user.id})
    own = patron_client.get(TOKENS_URL, {"user": patron_user.id})

    error = assert_error(refused, 403, "permission_denied")
    assert "accounts.view_apitoken" in error["message"]
    assert [row["id"] for row in own.json()["results"]] == [mine.id]


def test_token_admins_list_everyones_tokens_and_filter_by_user(
    token_admin_client, token_admin, patron_user, other_user
):
    patron_token, _ = token_create(user=patron_user, name="p")
    other_token, _ = token_create(user=other_user, name="o")
    staff_token, _ = token_create(user=token_admin, name="s")

    everyone = token_admin_client.get(TOKENS_URL)
    one_user = token_admin_client.get(TOKENS_URL, {"user": other_user.id})
    nobody = token_admin_client.get(TOKENS_URL, {"user": "999999999999999999"})

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
    token_admin_client, token_admin, patron_user, other_user, django_assert_num_queries
):
    for user in (token_admin, patron_user, other_user, patron_user):
        token_create(user=user, name="t", created_by=token_admin)
    token_create(user=patron_user, name="from the command line")
    token_admin_client.get(TOKENS_URL)  # reads the account's permissions, which it then caches

    with django_assert_num_queries(1):
        response = token_admin_client.get(TOKENS_URL)

    assert len(response.json()["results"]) == 5


def test_the_list_shows_who_created_each_token(token_admin_client, superuser, patron_user):
    self_issued = token_issue(actor=patron_user, name="mine", via_token=None)[0]
    for_the_patron = token_issue(
        actor=superuser, name="given", user_id=patron_user.pk, via_token=None
    )[0]
    from_the_command = token_create(user=patron_user, name="command line")[0]

    response = token_admin_client.get(TOKENS_URL, {"user": patron_user.id})

    assert response.status_code == 200
    assert {
        row["id"]: (row["user"], row["created_by"], row["created_by_username"])
        for row in response.json()["results"]
    } == {
        self_issued.id: (patron_user.id, patron_user.id, "reader"),
        for_the_patron.id: (patron_user.id, superuser.id, "boss"),
        from_the_command.id: (patron_user.id, None, None),
    }


def test_a_token_keeps_its_row_when_its_creator_is_deleted(
    token_admin_client, superuser, patron_user
):
    token = token_issue(actor=superuser, name="given", user_id=patron_user.pk, via_token=None)[0]

    superuser.delete()

    (row,) = token_admin_client.get(TOKENS_URL).json()["results"]
    assert (row["id"], row["created_by"], row["created_by_username"]) == (token.id, None, None)


# --- staff without the token model's permissions (a cataloguer) ----------------------------------


@pytest.fixture
def cataloguer_client(staff_user) -> APIClient:
    """conftest's staff_user: every catalog and circulation permission, none on tokens."""
    client = APIClient()
    client.force_authenticate(staff_user)
    return client


def test_staff_without_the_permission_list_only_their_own_tokens(
    cataloguer_client, staff_user, patron_user, other_user
):
    mine, _ = token_create(user=staff_user, name="desk script")
    token_create(user=patron_user, name="reader's")
    token_create(user=other_user, name="other's")

    response = cataloguer_client.get(TOKENS_URL)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.id]


def test_staff_without_the_permission_get_403_listing_another_users_tokens(
    cataloguer_client, staff_user, patron_user
):
    token_create(user=patron_user, name="reader's")

    response = cataloguer_client.get(TOKENS_URL, {"user": patron_user.id})

    error = assert_error(response, 403, "permission_denied")
    assert "accounts.view_apitoken" in error["message"]


def test_staff_without_the_permission_may_ask_for_their_own_by_user(cataloguer_client, staff_user):
    mine, _ = token_create(user=staff_user, name="desk script")

    response = cataloguer_client.get(TOKENS_URL, {"user": staff_user.id})

    assert [row["id"] for row in response.json()["results"]] == [mine.id]


def test_staff_without_the_permission_get_403_revoking_another_users_token(
    cataloguer_client, patron_user
):
    token, key = token_create(user=patron_user, name="reader's script")

    response = cataloguer_client.delete(detail_url(token.id))

    error = assert_error(response, 403, "permission_denied")
    assert "accounts.delete_apitoken" in error["message"]
    assert authenticates(key)


def test_staff_without_the_permission_still_revoke_their_own_token(cataloguer_client, staff_user):
    token, key = token_create(user=staff_user, name="desk script")

    response = cataloguer_client.delete(detail_url(token.id))

    assert response.status_code == 204
    assert not authenticates(key)


def test_staff_without_the_permission_still_issue_their_own_tokens(cataloguer_client, staff_user):
    response = cataloguer_client.post(TOKENS_URL, {"name": "desk script"})

    assert response.status_code == 201
    assert response.json()["user"] == staff_user.id


def test_the_view_permission_alone_lists_everyone_but_does_not_revoke(staff_user, patron_user):
    viewer = grant_token_permissions(staff_user, codenames=["view_apitoken"])
    client = APIClient()
    client.force_authenticate(viewer)
    token, key = token_create(user=patron_user, name="reader's script")

    listed = client.get(TOKENS_URL, {"user": patron_user.id})
    revoke = client.delete(detail_url(token.id))

    assert [row["id"] for row in listed.json()["results"]] == [token.id]
    assert_error(revoke, 403, "permission_denied")
    assert authenticates(key)


def test_the_delete_permission_alone_revokes_anothers_token(staff_user, patron_user):
    revoker = grant_token_permissions(staff_user, codenames=["delete_apitoken"])
    client = APIClient()
    client.force_authenticate(revoker)
    token, key = token_create(user=patron_user, name="reader's script")

    response = client.delete(detail_url(token.id))

    assert response.status_code == 204
    assert not authenticates(key)


def test_the_schema_documents_who_created_a_token(client):
    components = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]

    row = components["ApiToken"]["properties"]
    assert row["created_by"]["type"] == "integer"
    assert row["created_by"]["nullable"] is True
    assert "manage.py create_api_token" in row["created_by"]["description"]
    assert row["created_by_username"]["nullable"] is True
    issue = components["ApiTokenCreateRequest"]["properties"]
    assert issue["expires_at"]["format"] == "date-time"
    assert "no later than" in issue["expires_at"]["description"]


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
    assert (body["created_by"], body["created_by_username"]) == (patron_user.id, "reader")
    assert body["expires_at"] is None
    assert before <= parse_datetime(body["created_at"]) <= timezone.now()

    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == patron_user
    assert token.created_by == patron_user
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
        ({"name": "t", "expires_at": "tomorrow"}, "expires_at"),
        ({"name": "t", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),  # in the past
        ({"name": "t", "expires_at": "2999-01-01T00:00:00Z"}, "expires_at"),  # beyond 3650 days
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


def test_expires_at_sets_the_expiry_to_the_moment(patron_client):
    expires_at = timezone.now() + timedelta(hours=3)

    response = patron_client.post(
        TOKENS_URL, {"name": "afternoon", "expires_at": expires_at.isoformat()}, format="json"
    )

    assert response.status_code == 201
    assert parse_datetime(response.json()["expires_at"]) == expires_at
    assert ApiToken.objects.get(pk=response.json()["id"]).expires_at == expires_at


def test_expires_at_and_expires_in_days_together_are_refused(patron_client):
    expires_at = timezone.now() + timedelta(days=1)

    response = patron_client.post(
        TOKENS_URL,
        {"name": "t", "expires_in_days": 1, "expires_at": expires_at.isoformat()},
        format="json",
    )

    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"expires_at": ["Send expires_at or expires_in_days, not both."]}
    assert not ApiToken.objects.exists()


def test_a_non_staff_user_cannot_create_a_token_for_someone_else(patron_client, other_user):
    response = patron_client.post(
        TOKENS_URL, {"name": "sneaky", "user": other_user.id}, format="json"
    )

    error = assert_error(response, 403, "permission_denied")
    assert "superuser" in error["message"]
    assert not ApiToken.objects.exists()


def test_a_non_staff_user_gets_403_even_for_an_unknown_user_id(patron_client):
    # Not 400 "no such user": that would let non-staff probe which user ids exist.
    response = patron_client.post(TOKENS_URL, {"name": "x", "user": 999999}, format="json")

    assert_error(response, 403, "permission_denied")


def test_staff_who_are_not_superusers_cannot_create_a_token_for_another_user(
    staff_client, patron_user, other_user
):
    for owner in (patron_user, other_user):
        response = staff_client.post(
            TOKENS_URL, {"name": "for someone", "user": owner.id}, format="json"
        )

        error = assert_error(response, 403, "permission_denied")
        assert error["message"] == (
            "Only a superuser, or an account with the permission 'Can issue API tokens for "
            "other users' (accounts.issue_token_for_others), may issue tokens for other users."
        )
    assert not ApiToken.objects.exists()


def test_a_staff_token_cannot_mint_tokens_for_other_staff(staff_user):
    # The report: a staff token minted never-expiring tokens for another librarian.
    colleague = User.objects.create_user("colleague", password="x-long-password", is_staff=True)
    _, key = token_create(
        user=staff_user, name="desk", expires_at=timezone.now() + timedelta(days=1)
    )

    response = signed_with(key).post(
        TOKENS_URL, {"name": "forever", "user": colleague.id}, format="json"
    )

    assert_error(response, 403, "permission_denied")
    assert not ApiToken.objects.filter(user=colleague).exists()


def test_a_superuser_can_create_a_token_for_another_user(superuser_client, superuser, patron_user):
    response = superuser_client.post(
        TOKENS_URL, {"name": "for the reader", "user": patron_user.id}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["user"], body["username"]) == (patron_user.id, "reader")
    assert (body["created_by"], body["created_by_username"]) == (superuser.id, "boss")
    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == patron_user
    assert token.created_by == superuser
    # The key acts as the reader, not as the superuser who issued it.
    listed = (
        APIClient().get(TOKENS_URL, HTTP_AUTHORIZATION=f"Token {body['key']}").json()["results"]
    )
    assert {row["username"] for row in listed} == {"reader"}


def test_staff_with_the_permission_can_create_a_token_for_another_user(staff_user, patron_user):
    client = APIClient()
    client.force_authenticate(grant_issue_for_others(staff_user))

    response = client.post(TOKENS_URL, {"name": "for the reader", "user": patron_user.id})

    assert response.status_code == 201
    assert (response.json()["user"], response.json()["created_by"]) == (
        patron_user.id,
        staff_user.id,
    )


def test_only_a_superuser_may_issue_a_token_for_a_superuser(
    staff_user, superuser_client, superuser
):
    issuer = APIClient()
    issuer.force_authenticate(grant_issue_for_others(staff_user))

    response = issuer.post(TOKENS_URL, {"name": "escalate", "user": superuser.id}, format="json")

    error = assert_error(response, 403, "permission_denied")
    assert error["message"] == "Only a superuser may issue tokens for a superuser."
    assert not ApiToken.objects.exists()
    response = superuser_client.post(
        TOKENS_URL, {"name": "for staff", "user": staff_user.id}, format="json"
    )
    assert response.status_code == 201
    other_boss = User.objects.create_superuser("boss2", password="another long password")
    response = superuser_client.post(
        TOKENS_URL, {"name": "peer", "user": other_boss.id}, format="json"
    )
    assert response.status_code == 201


def test_a_superuser_creating_for_an_unknown_user_gets_400(superuser_client):
    response = superuser_client.post(TOKENS_URL, {"name": "ghost", "user": 999999}, format="json")

    error = assert_error(response, 400, "invalid")
    assert error["fields"] == {"user": ["No user with this id."]}
    assert not ApiToken.objects.exists()


def test_a_superuser_creating_for_an_inactive_user_gets_400(superuser_client, patron_user):
    User.objects.filter(pk=patron_user.pk).update(is_active=False)

    response = superuser_client.post(
        TOKENS_URL, {"name": "x", "user": patron_user.id}, format="json"
    )

    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"user"}
    assert not ApiToken.objects.exists()


# --- create: a token cannot outlive the token that issues it -------------------------------------


@pytest.fixture
def one_day(patron_user):
    """The patron's token that expires in a day, and its key."""
    return token_create(
        user=patron_user, name="one day", expires_at=timezone.now() + timedelta(days=1)
    )


def limit_of(token: ApiToken) -> str:
    assert token.expires_at is not None
    return token.expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_one_day_token_cannot_issue_a_token_that_never_expires(one_day):
    token, key = one_day

    response = signed_with(key).post(TOKENS_URL, {"name": "forever"}, format="json")

    error = assert_error(response, 403, "expiry_beyond_token")
    assert error["message"] == (
        f"This request is signed with an API token that expires at {limit_of(token)}, so it "
        "can only issue tokens that expire no later than that; you asked for a token that "
        f"never expires. Send an earlier expires_at (at most {limit_of(token)}), or sign in "
        "with a browser session to issue a longer-lived token."
    )
    assert list(ApiToken.objects.all()) == [token]


def test_a_one_day_token_cannot_issue_a_two_day_token(one_day):
    token, key = one_day

    response = signed_with(key).post(
        TOKENS_URL, {"name": "two days", "expires_in_days": 2}, format="json"
    )

    error = assert_error(response, 403, "expiry_beyond_token")
    assert f"expires at {limit_of(token)}" in error["message"]
    assert "you asked for a token expiring at " in error["message"]
    assert list(ApiToken.objects.all()) == [token]


def test_a_one_day_token_cannot_issue_a_one_day_token_a_moment_later(one_day):
    # "Now plus a day" is later than the issuing token's own expiry, however little later.
    _, key = one_day

    response = signed_with(key).post(
        TOKENS_URL, {"name": "renewal", "expires_in_days": 1}, format="json"
    )

    assert_error(response, 403, "expiry_beyond_token")


def test_a_one_day_token_can_issue_a_twelve_hour_token(one_day, patron_user):
    _, key = one_day
    expires_at = timezone.now() + timedelta(hours=12)

    response = signed_with(key).post(
        TOKENS_URL, {"name": "half a day", "expires_at": expires_at.isoformat()}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert parse_datetime(body["expires_at"]) == expires_at
    assert (body["user"], body["created_by"]) == (patron_user.id, patron_user.id)
    assert authenticates(body["key"])


def test_a_token_can_issue_one_that_expires_with_it(one_day):
    token, key = one_day
    # The limit as the error message shows it (whole seconds) is accepted as well.
    for expires_at in (token.expires_at.isoformat(), limit_of(token)):
        response = signed_with(key).post(
            TOKENS_URL, {"name": "twin", "expires_at": expires_at}, format="json"
        )

        assert response.status_code == 201, response.content
        assert parse_datetime(response.json()["expires_at"]) == parse_datetime(expires_at)


def test_a_ten_day_token_can_issue_a_two_day_token(patron_user):
    _, key = token_create(
        user=patron_user, name="ten days", expires_at=timezone.now() + timedelta(days=10)
    )

    response = signed_with(key).post(
        TOKENS_URL, {"name": "two days", "expires_in_days": 2}, format="json"
    )

    assert response.status_code == 201


def test_a_token_without_expiry_can_issue_one_that_never_expires(patron_user):
    _, key = token_create(user=patron_user, name="forever")

    response = signed_with(key).post(TOKENS_URL, {"name": "also forever"}, format="json")

    assert response.status_code == 201
    assert response.json()["expires_at"] is None


def test_a_browser_session_can_issue_a_token_that_never_expires(patron_user, one_day):
    # A session is not limited, even when the user also holds short-lived tokens.
    client = APIClient()
    client.force_login(patron_user)

    response = client.post(TOKENS_URL, {"name": "forever"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["expires_at"] is None
    assert (body["created_by"], body["created_by_username"]) == (patron_user.id, "reader")


def test_a_superusers_day_token_cannot_issue_never_expiring_tokens_for_others(
    superuser, staff_user
):
    _, key = token_create(user=superuser, name="day", expires_at=timezone.now() + timedelta(days=1))

    response = signed_with(key).post(
        TOKENS_URL, {"name": "forever", "user": staff_user.id}, format="json"
    )

    assert_error(response, 403, "expiry_beyond_token")
    assert not ApiToken.objects.filter(user=staff_user).exists()


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


def test_a_token_admin_can_revoke_anyones_token(token_admin_client, patron_user):
    token, key = token_create(user=patron_user, name="lost phone")

    response = token_admin_client.delete(detail_url(token.id))

    assert response.status_code == 204
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert not authenticates(key)


def test_a_token_admin_cannot_revoke_a_superusers_token(token_admin_client, superuser):
    token, key = token_create(user=superuser, name="the boss's script")

    response = token_admin_client.delete(detail_url(token.id))

    error = assert_error(response, 403, "permission_denied")
    assert error["message"] == "Only a superuser may revoke a superuser's tokens."
    assert authenticates(key)


def test_a_superuser_can_revoke_anyones_token(superuser_client, superuser, staff_user, patron_user):
    other_superuser = User.objects.create_superuser("boss2", password="another long password")
    owners = (staff_user, patron_user, other_superuser, superuser)
    issued = [token_create(user=owner, name="t") for owner in owners]

    for token, key in issued:
        response = superuser_client.delete(detail_url(token.id))

        assert response.status_code == 204, token.user
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
