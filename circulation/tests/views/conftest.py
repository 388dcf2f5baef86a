"""Accounts for the website's tests: a librarian (the Librarians group, as migration 0002 makes
it), patrons with logins, and clients signed in as each."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from circulation.tests.factories import PatronCategoryFactory, PatronFactory

PASSWORD = "correct horse battery"


@pytest.fixture
def librarian(db):
    user = get_user_model().objects.create_user(username="desk", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Librarians"))
    return user


@pytest.fixture
def desk(librarian) -> Client:
    client = Client()
    client.force_login(librarian)
    return client


def patron_with_login(username: str, **fields):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.org"
    )
    user.groups.add(Group.objects.get(name="Patrons"))
    fields.setdefault("category", PatronCategoryFactory())
    return PatronFactory(user=user, email=user.email, **fields)


@pytest.fixture
def reader(db):
    return patron_with_login("ada", card_number="CARD-ADA", name="Ada Reader")


@pytest.fixture
def other_reader(db):
    return patron_with_login("ben", card_number="CARD-BEN", name="Ben Borrower")


@pytest.fixture
def reader_client(reader) -> Client:
    client = Client()
    client.force_login(reader.user)
    return client
