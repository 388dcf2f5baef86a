"""Token selectors: finding a token by its key, and which tokens a user may see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.api import ApiTokenSerializer
from accounts.models import ApiToken, hash_key
from accounts.selectors import (
    LAST_USED_RESOLUTION_SECONDS,
    TOKEN_ROWS,
    token_for_key,
    token_list,
    token_list_check,
)
from accounts.services import token_create
from shelfmark.errors import NotAllowed

pytestmark = pytest.mark.django_db

User = get_user_model()


# --- token_for_key -------------------------------------------------------------------------------


def test_token_for_key_finds_the_token_and_its_user(patron_user):
    token, key = token_create(user=patron_user, name="script")

    found = token_for_key(key=key)

    assert found == token
    assert found.user == patron_user


def test_token_for_key_refuses_a_near_miss(patron_user):
    _, key = token_create(user=patron_user, name="script")

    assert token_for_key(key=key[:-1]) is None
    assert token_for_key(key=key + "x") is None
    assert token_for_key(key=key.upper()) is None
    assert token_for_key(key=hash_key(key)) is None  # the stored hash is not a key


def test_token_for_key_refuses_an_expired_token(patron_user):
    token, key = token_create(user=patron_user, name="short-lived")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert token_for_key(key=key) is None


def test_token_for_key_refuses_a_token_of_an_inactive_user(patron_user):
    _, key = token_create(user=patron_user, name="script")
    User.objects.filter(pk=patron_user.pk).update(is_active=False)

    assert token_for_key(key=key) is None


def test_token_for_key_records_use_at_most_once_a_minute(patron_user, django_assert_num_queries):
    token, key = token_create(user=patron_user, name="script")

    before = timezone.now()
    with django_assert_num_queries(2):  # the lookup, and the first last_used_at write
        token_for_key(key=key)
    first_use = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first_use is not None
    assert before <= first_use <= timezone.now()

    with django_assert_num_queries(1):  # the lookup only: no write within the minute
        token_for_key(key=key)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first_use

    long_ago = timezone.now() - timedelta(seconds=LAST_USED_RESOLUTION_SECONDS + 1)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=long_ago)
    token_for_key(key=key)
    last_used_at = ApiToken.objects.get(pk=token.pk).last_used_at
    assert last_used_at is not None
    assert last_used_at > long_ago + timedelta(seconds=60)


@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(guess=st.text(max_size=80))
def test_no_other_text_than_the_issued_key_authenticates(patron_user, guess):
    token, key = token_create(user=patron_user, name="property")
    try:
        assert (token_for_key(key=guess) is not None) == (guess == key)
    finally:
        token.delete()


# --- token_list ----------------------------------------------------------------------------------


def test_token_list_shows_non_staff_only_their_own(patron_user, other_user):
    mine, _ = token_create(user=patron_user, name="mine")
    token_create(user=other_user, name="theirs")

    assert list(token_list(actor=patron_user)) == [mine]


def test_token_list_shows_everyones_with_the_view_permission(token_admin, patron_user, other_user):
    first, _ = token_create(user=patron_user, name="1")
    second, _ = token_create(user=other_user, name="2")
    third, _ = token_create(user=token_admin, name="3")

    assert set(token_list(actor=token_admin)) == {first, second, third}


def test_token_list_shows_staff_without_the_permission_their_own_and_those_they_issued(
    staff_user, patron_user, other_user
):
    mine, _ = token_create(user=staff_user, name="mine")
    issued, _ = token_create(user=patron_user, name="given", created_by=staff_user)
    token_create(user=other_user, name="theirs")
    token_create(user=patron_user, name="the patron's own")

    assert set(token_list(actor=staff_user)) == {mine, issued}


def test_token_list_check_refuses_another_users_list_without_the_permission(
    staff_user, token_admin, patron_user
):
    token_list_check(actor=patron_user, user_id=patron_user.pk)  # one's own: fine
    token_list_check(actor=token_admin, user_id=patron_user.pk)

    with pytest.raises(NotAllowed, match=r"accounts\.view_apitoken"):
        token_list_check(actor=patron_user, user_id=token_admin.pk)


# --- TOKEN_ROWS ----------------------------------------------------------------------------------


def test_the_token_row_has_exactly_its_serializers_fields(patron_user):
    token_create(user=patron_user, name="row")

    (row,) = TOKEN_ROWS.present(TOKEN_ROWS.rows(ApiToken.objects.all()))

    assert set(row) == set(ApiTokenSerializer().fields)
