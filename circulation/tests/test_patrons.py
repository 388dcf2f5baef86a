"""circulation.services.patrons: patrons, their logins and categories."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction

from circulation import services
from circulation.models import CirculationEvent, EventKind, Patron
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from shelfmark.errors import Conflict, InvalidInput

pytestmark = pytest.mark.django_db


def test_patron_create_cleans_fields_and_makes_a_login_without_a_password():
    category = PatronCategoryFactory()
    patron = services.patron_create(
        card_number=" 2001 ",
        name="  Grace   Hopper ",
        category=category,
        email="Grace@Example.org",
        username="grace",
    )
    assert (patron.card_number, patron.name, patron.email) == (
        "2001",
        "Grace Hopper",
        "grace@example.org",
    )
    user = patron.user
    assert user.username == "grace"
    assert not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == ["Patrons"]
    assert not user.is_staff


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"card_number": "has space"}, "card_number"),
        ({"card_number": "\u200b"}, "card_number"),
        ({"name": " "}, "name"),
        ({"email": "not-an-address"}, "email"),
        ({"username": "no spaces please"}, "username"),
    ],
)
def test_patron_create_refuses_bad_fields(fields, field):
    values = {"card_number": "3001", "name": "Someone", **fields}
    with pytest.raises(InvalidInput) as error:
        services.patron_create(category=PatronCategoryFactory(), **values)
    assert field in error.value.fields
    assert not Patron.objects.exists()


def test_card_numbers_and_usernames_are_unique():
    category = PatronCategoryFactory()
    services.patron_create(card_number="4001", name="A", category=category, username="ann")
    with pytest.raises(Conflict) as card:
        services.patron_create(card_number="4001", name="B", category=category)
    with pytest.raises(Conflict) as login:
        services.patron_create(card_number="4002", name="B", category=category, username="ANN")
    assert (card.value.code, login.value.code) == ("duplicate_card", "duplicate_username")
    assert get_user_model().objects.count() == 1


def test_blocking_needs_a_reason_and_is_recorded():
    patron = PatronFactory()
    with pytest.raises(InvalidInput):
        services.patron_update(patron=patron, blocked=True)
    services.patron_update(patron=patron, blocked=True, block_reason="Lost books")
    services.patron_update(patron=patron, blocked=False)
    patron.refresh_from_db()
    assert (patron.blocked, patron.block_reason) == (False, "")
    kinds = list(CirculationEvent.objects.order_by("id").values_list("kind", "note"))
    assert kinds == [(EventKind.PATRON_BLOCKED, "Lost books"), (EventKind.PATRON_UNBLOCKED, "")]


def test_categories_have_unique_names_and_cannot_go_while_in_use():
    category = services.category_create(name="Child", loan_period_days=14, max_loans=3)
    with pytest.raises(Conflict):
        services.category_create(name="child")
    PatronFactory(category=category)
    with pytest.raises(Conflict) as error:
        services.category_delete(category=category)
    assert "patrons (1)" in error.value.message
    with pytest.raises(InvalidInput) as bad:
        services.category_update(category=category, loan_period_days=0)
    assert "loan period" in bad.value.fields["loan_period_days"][0]


@pytest.mark.postgres
def test_circulation_events_cannot_be_changed_or_deleted():
    services.patron_update(patron=PatronFactory(), blocked=True, block_reason="Test")
    event = CirculationEvent.objects.get()
    for statement in (
        "UPDATE circulation_circulationevent SET note = 'rewritten'",
        "DELETE FROM circulation_circulationevent",
    ):
        with (
            pytest.raises(IntegrityError, match="permanent record"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    event.refresh_from_db()
    assert event.note == "Test"
