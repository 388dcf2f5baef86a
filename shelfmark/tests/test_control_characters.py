"""NUL and other control characters in a query string: a 400 before any view sees them
(shelfmark.middleware.ControlCharacterGuard), never a 500.

PostgreSQL refuses NUL in text, so before the guard `GET /desk/patrons/?q=%00`, API filters and
the admin's list filters answered 500 there; these tests run on both databases, and the ones
that matter most on PostgreSQL.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory

from catalog.models import Book
from circulation.tests.factories import PatronFactory
from shelfmark.middleware import has_control_character
from shelfmark.tests.helpers import assert_error

pytestmark = pytest.mark.django_db

CONTROLS = ["%00", "a%00b", "%01", "%1B", "%7F", "%0B"]


@pytest.fixture
def desk(db) -> Client:
    user = get_user_model().objects.create_user(username="desk", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Librarians"))
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def superuser_client(db) -> Client:
    user = get_user_model().objects.create_superuser("root", password="a long password")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.fixture
def library(db):
    Book.objects.create(title="Dune", language="en")
    PatronFactory(name="Ada Lovelace", card_number="C-1")


def assert_html_400(response) -> None:
    assert response.status_code == 400, response.status_code
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Bad request" in page
    assert "control character" in page


# --- which query strings ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "refused"),
    [
        ("q=%00", True),
        ("q=abc%00", True),
        ("%00=1", True),  # in a name, too
        ("a=1&b=%01", True),
        ("q=%1F", True),
        ("q=%7F", True),
        ("q=%09", False),  # tab: a scanner's suffix
        ("q=line%0Aline%0D", False),
        ("q=caf%C3%A9+%E2%80%94+%F0%9F%93%9A", False),
        ("q=%FF%FE", False),  # not UTF-8: Django decodes it to U+FFFD, which is text
        ("", False),
    ],
)
def test_which_query_strings_hold_a_control_character(query, refused):
    assert has_control_character(RequestFactory().get(f"/?{query}")) is refused


# --- the desk's patron search ------------------------------------------------------------------


@pytest.mark.parametrize("value", CONTROLS)
def test_the_desks_patron_search_refuses_a_control_character_with_a_400(desk, library, value):
    assert_html_400(desk.get(f"/desk/patrons/?q={value}"))


def test_the_desks_patron_search_still_finds_with_a_tab(desk, library):
    response = desk.get("/desk/patrons/?q=Ada%09")

    assert response.status_code == 200
    assert "Ada Lovelace" in response.content.decode()


# --- the API's list filters ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/books/?q={}",
        "/api/v1/books/?language={}",
        "/api/v1/books/?title={}",
        "/api/v1/copies/?barcode={}",
        "/api/v1/patrons/?q={}",
        "/api/v1/patrons/?card_number={}",
        "/api/v1/loans/?status={}",
        "/api/v1/tokens/?user={}",
        "/api/v1/books/?cursor={}",
        "/api/v1/books/?ordering={}",
    ],
)
@pytest.mark.parametrize("value", ["%00", "x%00"])
def test_api_list_filters_refuse_a_control_character_in_the_error_shape(
    superuser_client, library, url, value
):
    response = superuser_client.get(url.format(value))

    error = assert_error(response, 400, "control_character")
    assert "%00" in error["message"]


def test_anonymous_api_reads_are_refused_too(library):
    response = Client(raise_request_exception=False).get("/api/v1/books/?q=%00")

    assert_error(response, 400, "control_character")


def test_the_api_still_answers_a_clean_query(superuser_client, library):
    response = superuser_client.get("/api/v1/books/?language=en")

    assert response.status_code == 200
    assert [row["title"] for row in response.json()["results"]] == ["Dune"]


# --- the admin's changelists -----------------------------------------------------------------


def _changelist_queries() -> list[tuple[str, str]]:
    """For every registered changelist: its search, and each list filter's parameter (the
    field's own, its exact lookup and a range lookup), all with NUL."""
    queries = []
    for model, model_admin in admin.site._registry.items():
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        queries.append((url, "q=%00"))
        for list_filter in model_admin.list_filter:
            name = list_filter if isinstance(list_filter, str) else list_filter[0]
            if not isinstance(name, str):  # a filter class with its own parameter
                name = getattr(name, "parameter_name", None)
                if name is None:
                    continue
            queries += [(url, f"{name}=%00"), (url, f"{name}__exact=%00")]
    return queries


@pytest.mark.parametrize(("url", "query"), _changelist_queries())
def test_every_admin_changelist_refuses_a_control_character(superuser_client, url, query):
    assert_html_400(superuser_client.get(f"{url}?{query}"))


@pytest.mark.parametrize(
    "url",
    [
        # The three that answered 500 on PostgreSQL before the guard.
        "/admin/catalog/book/?language=%00",
        "/admin/django_tasks_database/dbtaskresult/?status=%00",
        "/admin/django_tasks_database/dbtaskresult/?queue_name=%00",
    ],
)
def test_the_changelists_that_answered_500_answer_400(superuser_client, library, url):
    assert_html_400(superuser_client.get(url))


def test_an_admin_changelist_still_filters_a_clean_query(superuser_client, library):
    response = superuser_client.get("/admin/catalog/book/?language=en")

    assert response.status_code == 200
    assert "Dune" in response.content.decode()


def test_a_page_of_the_site_refuses_one_too(library):
    assert_html_400(Client(raise_request_exception=False).get("/?q=%00"))
