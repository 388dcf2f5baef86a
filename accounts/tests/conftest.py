import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient


@pytest.fixture
def other_user(db):
    """A second non-staff user, besides conftest's patron_user."""
    return get_user_model().objects.create_user(username="other", password="another long password")


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("boss", password="a long superuser password")


@pytest.fixture
def token_admin(staff_user):
    """Staff who may see and revoke everyone's tokens (the token model's view and delete
    permissions), but are not superusers."""
    from accounts.tests.helpers import grant_token_permissions

    return grant_token_permissions(staff_user)


@pytest.fixture
def token_admin_client(token_admin) -> APIClient:
    client = APIClient()
    client.force_authenticate(token_admin)
    return client
