"""The token admin: who issued each token, and the revoke rule of the services."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import ApiToken
from accounts.services import token_create, token_issue

pytestmark = pytest.mark.django_db

User = get_user_model()
CHANGELIST = "/admin/accounts/apitoken/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def librarian(staff_user):
    """Staff who may view and delete tokens in the admin, but are not superusers."""
    staff_user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="accounts", codename__in=["view_apitoken", "delete_apitoken"]
        )
    )
    return staff_user


def test_the_list_shows_who_issued_each_token(superuser, patron_user):
    token_issue(actor=superuser, name="given by the boss", user_id=patron_user.pk, via_token=None)

    page = signed_in(superuser).get(CHANGELIST).content.decode()

    assert "column-created_by" in page
    assert ">boss<" in page


def test_staff_cannot_delete_a_superusers_token_in_the_admin(librarian, superuser):
    token, _ = token_create(user=superuser, name="the boss's script")
    client = signed_in(librarian)

    assert client.get(f"{CHANGELIST}{token.pk}/delete/").status_code == 403
    assert client.post(f"{CHANGELIST}{token.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_staff_cannot_bulk_delete_a_superusers_token_in_the_admin(
    librarian, superuser, patron_user
):
    theirs, _ = token_create(user=superuser, name="the boss's script")
    patrons, _ = token_create(user=patron_user, name="reader's script")

    response = signed_in(librarian).post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [theirs.pk, patrons.pk], "post": "yes"},
    )

    assert response.status_code == 403
    assert set(ApiToken.objects.all()) == {theirs, patrons}


def test_staff_still_delete_other_tokens_in_the_admin(librarian, patron_user):
    token, _ = token_create(user=patron_user, name="reader's script")

    response = signed_in(librarian).post(f"{CHANGELIST}{token.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_a_superuser_deletes_a_superusers_token_in_the_admin(superuser):
    other = User.objects.create_superuser("boss2", password="another long password")
    token, _ = token_create(user=other, name="peer's script")

    response = signed_in(superuser).post(f"{CHANGELIST}{token.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()
