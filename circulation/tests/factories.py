"""factory_boy factories for circulation rows."""

from __future__ import annotations

import factory

from catalog.tests.factories import ReturnsModel
from circulation.models import Patron, PatronCategory


class PatronCategoryFactory(
    ReturnsModel[PatronCategory], factory.django.DjangoModelFactory[PatronCategory]
):
    class Meta:
        model = PatronCategory
        django_get_or_create = ("name",)

    name = "Adult"
    loan_period_days = 21
    max_loans = 5
    max_renewals = 2
    max_holds = 5
    hold_pickup_days = 7
    overdue_blocks = True


class PatronFactory(ReturnsModel[Patron], factory.django.DjangoModelFactory[Patron]):
    class Meta:
        model = Patron

    card_number = factory.Sequence(lambda n: f"P{n:05d}")
    name = factory.Sequence(lambda n: f"Patron {n}")
    email = factory.LazyAttribute(lambda p: f"{p.card_number.lower()}@example.org")
    category = factory.SubFactory(PatronCategoryFactory)
