"""/api/v1/patron-categories/: staff with the model permissions (shelfmark.api.permissions
StaffModelPermissions): Librarians read them, Administrators change them."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from circulation.models import PatronCategory
from circulation.serializers import PatronCategorySerializer
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from shelfmark.tests.helpers import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/patron-categories/"


@pytest.fixture
def admin_client(administrator) -> APIClient:
    client = APIClient()
    client.force_authenticate(administrator)
    return client


def test_the_list_is_one_query_and_each_row_has_exactly_the_documented_fields(
    desk, django_assert_num_queries
):
    for name in ("Child", "Adult", "Staff"):
        PatronCategoryFactory(name=name)
    desk.get(URL)  # reads the account's permissions, which the user object then caches

    with django_assert_num_queries(1):
        body = desk.get(URL).json()

    assert [row["name"] for row in body["results"]] == ["Adult", "Child", "Staff"]
    assert {frozenset(row) for row in body["results"]} == {
        frozenset(PatronCategorySerializer().fields)
    }
    with django_assert_num_queries(1):
        assert desk.get(body["results"][0]["url"]).json() == body["results"][0]


def test_an_administrator_creates_with_defaults_changes_and_deletes(admin_client):
    created = admin_client.post(URL, {"name": " Child ", "max_loans": 3})

    assert created.status_code == 201, created.content
    row = created.json()
    assert created["Location"] == row["url"]
    assert row == {
        "id": row["id"],
        "url": row["url"],
        "name": "Child",
        "loan_period_days": 21,
        "max_loans": 3,
        "max_renewals": 2,
        "max_holds": 5,
        "hold_pickup_days": 7,
        "overdue_blocks": True,
        "card_valid_months": 12,
        "fine_per_day": "0.00",
        "fine_grace_days": 0,
        "fine_max_per_loan": None,
        "fines_block_at": None,
    }
    patched = admin_client.patch(row["url"], {"overdue_blocks": False}).json()
    assert (patched["overdue_blocks"], patched["max_loans"]) == (False, 3)
    replaced = admin_client.put(row["url"], {"name": "Children"}).json()
    assert (replaced["name"], replaced["max_loans"], replaced["overdue_blocks"]) == (
        "Children",
        5,
        True,
    )
    assert admin_client.delete(row["url"]).status_code == 204
    assert not PatronCategory.objects.filter(pk=row["id"]).exists()


def test_a_librarian_reads_but_may_not_change_categories(desk):
    category = PatronCategoryFactory()

    assert desk.get(f"{URL}{category.pk}/").status_code == 200
    refused = assert_error(desk.post(URL, {"name": "Teen"}), 403, "permission_denied")
    assert "circulation.add_patroncategory" in refused["message"]
    refused = assert_error(
        desk.patch(f"{URL}{category.pk}/", {"max_loans": 9}), 403, "permission_denied"
    )
    assert "circulation.change_patroncategory" in refused["message"]
    assert_error(desk.delete(f"{URL}{category.pk}/"), 403, "permission_denied")


def test_staff_without_the_view_permission_and_patrons_cannot_read_them(
    client_a, django_user_model
):
    category = PatronCategoryFactory()
    bare_staff = django_user_model.objects.create_user("bare", is_staff=True)
    client = APIClient()
    client.force_authenticate(bare_staff)

    refused = assert_error(client.get(URL), 403, "permission_denied")
    assert "circulation.view_patroncategory" in refused["message"]
    assert_error(client_a.get(URL), 403, "permission_denied")
    assert_error(client_a.get(f"{URL}{category.pk}/"), 403, "permission_denied")
    assert_error(APIClient().get(URL), 401, "not_authenticated")


def test_refusals_name_the_rule_and_the_conflict(admin_client):
    adult = PatronCategoryFactory(name="Adult")
    PatronFactory(category=adult)

    invalid = assert_error(
        admin_client.post(URL, {"name": "Teen", "loan_period_days": 0}), 400, "invalid"
    )
    assert invalid["fields"] == {
        "loan_period_days": ["The loan period must be from 1 to 3650; 0 is not."]
    }
    assert_error(admin_client.post(URL, {"name": "ADULT"}), 409, "duplicate")
    in_use = assert_error(admin_client.delete(f"{URL}{adult.pk}/"), 409, "in_use")
    assert "patrons (1)" in in_use["message"]


def test_overdue_blocks_takes_only_json_booleans(admin_client):
    error = assert_error(
        admin_client.post(URL, {"name": "Teen", "overdue_blocks": "yes"}), 400, "invalid"
    )
    assert error["fields"] == {"overdue_blocks": ["Must be a valid boolean."]}
