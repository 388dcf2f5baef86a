import pytest


@pytest.fixture(autouse=True)
def _copy_statuses_agree_after_each_test(request):
    """Every circulation scenario ends with each copy's status agreeing with its loans and
    holds (circulation.selectors.status_disagreements)."""
    yield
    if "django_db" not in {mark.name for mark in request.node.iter_markers()}:
        return
    from circulation.selectors import status_disagreements

    assert status_disagreements() == []


# --- The API's roles ---------------------------------------------------------------------------


def _client(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def _in_group(username: str, group: str, **fields):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(username, password="x-long-password", **fields)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def librarian(db):
    """A desk account as the roles migration makes it: staff in the Librarians group."""
    return _in_group("desk", "Librarians", is_staff=True)


@pytest.fixture
def administrator(db):
    """Staff in the Administrators group (every circulation permission, tokens for others)."""
    return _in_group("head", "Administrators", is_staff=True)


@pytest.fixture
def reader_a(db):
    """Patron A: a patron record with a login in the Patrons group."""
    from circulation.tests.factories import PatronFactory

    return PatronFactory(user=_in_group("reader-a", "Patrons"), name="Ada Reader")


@pytest.fixture
def reader_b(db):
    """Patron B, who must never see or change patron A's data."""
    from circulation.tests.factories import PatronFactory

    return PatronFactory(user=_in_group("reader-b", "Patrons"), name="Bea Other")


@pytest.fixture
def desk(librarian):
    return _client(librarian)


@pytest.fixture
def client_a(reader_a):
    return _client(reader_a.user)


@pytest.fixture
def client_b(reader_b):
    return _client(reader_b.user)
