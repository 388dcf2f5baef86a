"""The admin's circulation rules and calendar: what a library sets per loan type (periods,
limits, fines) and when it is closed, checked by the same rules as the categories' API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from circulation.models import CirculationRule, ClosedWeekday
from circulation.tests.factories import PatronCategoryFactory

pytestmark = pytest.mark.django_db


def test_a_rule_for_a_loan_type_sets_its_fines(admin_client):
    category = PatronCategoryFactory(name="Child")
    response = admin_client.post(
        reverse("admin:circulation_circulationrule_add"),
        {
            "category": category.pk,
            "loan_type": "short",
            "loan_period_days": "7",
            "fine_per_day": "0.50",
            "fine_grace_days": "1",
            "fine_max_per_loan": "5.00",
        },
    )

    assert response.status_code == 302, response.content.decode()
    rule = CirculationRule.objects.get()
    assert (rule.category, rule.loan_type, rule.loan_period_days, str(rule.fine_per_day)) == (
        category,
        "short",
        7,
        "0.50",
    )


def test_a_rule_out_of_bounds_is_refused_with_the_rules_message(admin_client):
    response = admin_client.post(
        reverse("admin:circulation_circulationrule_add"),
        {"loan_type": "short", "fine_per_day": "0.505", "loan_period_days": "0"},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "The loan period must be from 1 to 3650; 0 is not." in page
    assert not CirculationRule.objects.exists()


def test_a_closed_weekday_is_chosen_by_its_name(admin_client):
    page = admin_client.get(reverse("admin:circulation_closedweekday_add")).content.decode()
    assert '<option value="6">Sunday</option>' in page

    admin_client.post(reverse("admin:circulation_closedweekday_add"), {"weekday": "6"})

    assert list(ClosedWeekday.objects.values_list("weekday", flat=True)) == [6]
