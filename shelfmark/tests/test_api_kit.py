"""The API kit (shelfmark.api.views) on its own, through test-only views (kit_urls.py):
scoped lookups, object permissions on every lookup, operations that exist only when mixed in
(405 otherwise, and absent from the schema), and actions."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from catalog.models import Subject
from shelfmark.tests import kit_urls
from shelfmark.tests.helpers import assert_error

pytestmark = [pytest.mark.django_db, pytest.mark.urls("shelfmark.tests.kit_urls")]


@pytest.fixture
def visible() -> Subject:
    return Subject.objects.create(name="Visible poetry")


@pytest.fixture
def hidden() -> Subject:
    return Subject.objects.create(name="Hidden diaries")


def test_a_list_shows_only_the_scope(api_client, visible, hidden):
    body = api_client.get("/kit/subjects/").json()
    assert [row["name"] for row in body["results"]] == ["Visible poetry"]
    assert body["results"][0]["url"] == f"http://testserver/kit/subjects/{visible.pk}/"


# Every way the kit looks an object up: retrieve, update (both), delete, and an action.
LOOKUPS = [("get", ""), ("patch", ""), ("put", ""), ("delete", ""), ("post", "shout/")]


def test_every_lookup_outside_the_scope_is_a_404(api_client, hidden):
    for method, action in LOOKUPS:
        url = f"/kit/subjects/{hidden.pk}/{action}"
        response = getattr(api_client, method)(url, {"name": "Changed"})
        error = assert_error(response, 404, "not_found")
        assert str(hidden.pk) in error["message"]
    hidden.refresh_from_db()
    assert hidden.name == "Hidden diaries"


def test_a_deny_all_object_permission_refuses_retrieve_update_delete_and_actions(
    patron_client, visible
):
    for method, action in LOOKUPS:
        url = f"/kit/refused/{visible.pk}/{action}"
        response = getattr(patron_client, method)(url, {"name": "Changed"})
        error = assert_error(response, 403, "permission_denied")
        assert error["message"] == "Not yours.", (method, url)
    visible.refresh_from_db()
    assert visible.name == "Visible poetry"


def test_the_same_object_is_served_when_the_permission_allows(api_client, visible):
    detail = api_client.get(f"/kit/subjects/{visible.pk}/")
    assert detail.status_code == 200
    assert detail.json() == {
        "id": visible.pk,
        "url": f"http://testserver/kit/subjects/{visible.pk}/",
        "name": "Visible poetry",
        "book_count": 0,
        "created_at": detail.json()["created_at"],
    }
    patched = api_client.patch(f"/kit/subjects/{visible.pk}/", {"name": "Visible verse"})
    assert (patched.status_code, patched.json()["name"]) == (200, "Visible verse")
    assert api_client.delete(f"/kit/subjects/{visible.pk}/").status_code == 204
    assert not Subject.objects.filter(pk=visible.pk).exists()


def test_a_detail_read_is_the_row_and_its_counts(api_client, visible, django_assert_num_queries):
    with django_assert_num_queries(2):
        assert api_client.get(f"/kit/subjects/{visible.pk}/").status_code == 200


def test_create_answers_201_with_the_row_and_its_location(api_client):
    response = api_client.post("/kit/subjects/", {"name": "Visible maps"})
    assert response.status_code == 201
    assert response["Location"] == response.json()["url"]
    assert Subject.objects.filter(name="Visible maps").exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete", "post"])
def test_an_operation_a_view_does_not_include_is_a_405(api_client, visible, method):
    response = getattr(api_client, method)(f"/kit/read-only/{visible.pk}/", {"name": "x"})
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    visible.refresh_from_db()
    assert visible.name == "Visible poetry"


def test_an_action_validates_its_input_and_answers_the_row(api_client, visible):
    response = api_client.post(f"/kit/subjects/{visible.pk}/shout/", {"suffix": "!!"})
    assert (response.status_code, response.json()["name"]) == (200, "Visible poetry!!")
    bad = api_client.post(f"/kit/subjects/{visible.pk}/shout/", {"suffix": "far too long"})
    assert set(assert_error(bad, 400, "invalid")["fields"]) == {"suffix"}
    assert_error(api_client.get(f"/kit/subjects/{visible.pk}/shout/"), 405, "method_not_allowed")


def test_a_patch_only_view_changes_fields_and_has_no_put(api_client, visible):
    patched = api_client.patch(f"/kit/patch-only/{visible.pk}/", {"name": "Visible verse"})
    assert (patched.status_code, patched.json()["name"]) == (200, "Visible verse")
    replaced = api_client.put(f"/kit/patch-only/{visible.pk}/", {"name": "Visible prose"})
    assert_error(replaced, 405, "method_not_allowed")
    assert replaced["Allow"] == "GET, PATCH, HEAD, OPTIONS"


def test_a_collection_action_takes_its_input_and_answers_what_it_says(api_client, visible):
    response = api_client.post("/kit/shout-all/", {"suffix": "!"})
    assert response.json() == {"changed": 1}
    visible.refresh_from_db()
    assert visible.name == "Visible poetry!"
    bad = api_client.post("/kit/shout-all/", {"suffix": "far too long"})
    assert set(assert_error(bad, 400, "invalid")["fields"]) == {"suffix"}


def test_the_schema_has_exactly_the_operations_the_views_include():
    schema = SchemaGenerator(patterns=kit_urls.urlpatterns).get_schema(request=None, public=True)
    paths = schema["paths"]

    assert set(paths["/kit/subjects/"]) == {"get", "post"}
    assert set(paths["/kit/subjects/{id}/"]) == {"get", "put", "patch", "delete"}
    assert set(paths["/kit/read-only/{id}/"]) == {"get"}
    assert set(paths["/kit/subjects/{id}/shout/"]) == {"post"}
    assert set(paths["/kit/patch-only/{id}/"]) == {"get", "patch"}
    assert set(paths["/kit/shout-all/"]) == {"post"}
    created = paths["/kit/subjects/"]["post"]["responses"]
    assert "201" in created
    assert "200" not in created
    assert "204" in paths["/kit/subjects/{id}/"]["delete"]["responses"]
    shout = paths["/kit/subjects/{id}/shout/"]["post"]
    assert shout["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ShoutRequest"
    )
    assert {"200", "403", "404", "409"} <= set(shout["responses"])
    listed = {p["name"] for p in paths["/kit/subjects/"]["get"]["parameters"]}
    assert {"cursor", "page_size", "ordering"} <= listed
