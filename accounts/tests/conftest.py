import pytest
from django.contrib.auth import get_user_model


@pytest.fixture
def other_user(db):
    """A second non-staff user, besides conftest's patron_user."""
    return get_user_model().objects.create_user(username="other", password="another long password")


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("boss", password="a long superuser password")
