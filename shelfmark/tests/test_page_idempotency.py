"""Idempotency-Key on a website page's POST (shelfmark.pages.idempotent_post): the same rules as
the API's (shelfmark.idempotency), through a test-only page (idempotency_urls.page_run) whose
work creates a subject each time it runs."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from catalog.models import Subject
from shelfmark.idempotency import idempotency_key_model
from shelfmark.testing.races import race
from shelfmark.tests.helpers import assert_error
from shelfmark.tests.idempotency_urls import PageRun

pytestmark = [pytest.mark.django_db, pytest.mark.urls("shelfmark.tests.idempotency_urls")]

PAGE = "/idem/page/"


def runs(label: str = "Run") -> int:
    return Subject.objects.filter(name__startswith=f"{label} ").count()


@pytest.fixture(autouse=True)
def _page_run(monkeypatch):
    monkeypatch.setattr(PageRun, "runs", 0)
    monkeypatch.setattr(PageRun, "collisions", 0)
    monkeypatch.setattr(PageRun, "pause", 0.0)


@pytest.fixture
def user():
    return get_user_model().objects.create_user("scripter")


@pytest.fixture
def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, form: dict, key: str | None = None):
    headers = {"Accept": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(PAGE, form, headers=headers)


def test_without_a_key_the_form_runs_every_time(browser):
    post(browser, {"topic": "Run"})
    post(browser, {"topic": "Run"})
    assert runs() == 2
    assert not idempotency_key_model()._default_manager.exists()


def test_a_retry_gets_the_first_answer_and_runs_nothing(browser):
    first = post(browser, {"topic": "Run"}, key="k-1")
    again = post(browser, {"topic": "Run"}, key="k-1")

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Content-Type"] == "application/json"
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert runs() == 1


def test_the_csrf_token_is_not_part_of_the_request(browser):
    # A token changes when the user signs in again; the scan waiting to be sent does not.
    post(browser, {"topic": "Run", "csrfmiddlewaretoken": "before"}, key="k-1")
    again = post(browser, {"topic": "Run", "csrfmiddlewaretoken": "after"}, key="k-1")
    assert again["Idempotent-Replayed"] == "true"
    assert runs() == 1


def test_the_same_key_with_other_fields_is_a_422_in_the_error_shape(browser):
    post(browser, {"topic": "Run"}, key="k-1")
    other = post(browser, {"topic": "Other"}, key="k-1")

    error = assert_error(other, 422, "idempotency_key_reused")

    assert "with another body" in error["message"]
    assert runs("Run") + runs("Other") == 1


def test_keys_are_shared_with_the_api_under_the_same_rules(browser, user):
    # One table, one key space per account: a key the API used is refused here.
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    api.post("/idem/runs/", {"topic": "Run"}, format="json", headers={"Idempotency-Key": "k-1"})

    error = assert_error(post(browser, {"topic": "Run"}, key="k-1"), 422, "idempotency_key_reused")
    assert "for POST /idem/runs/" in error["message"]


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "naïve"])
def test_a_malformed_key_is_a_400(browser, key):
    response = browser.post(PAGE, {"topic": "Run"}, headers={"Idempotency-Key": key})
    error = assert_error(response, 400, "invalid_idempotency_key")
    assert "visible ASCII" in error["message"]
    assert runs() == 0


def test_a_key_needs_an_account(client):
    assert_error(post(client, {"topic": "Run"}, key="k-1"), 400, "invalid_idempotency_key")
    assert runs() == 0


def test_a_refusal_raised_by_the_page_is_answered_in_the_error_shape_and_kept(browser):
    first = post(browser, {"topic": "Run", "answer": "refuse"}, key="k-1")
    again = post(browser, {"topic": "Run", "answer": "refuse"}, key="k-1")

    assert_error(first, 409, "refused")
    assert (again.status_code, again.content) == (409, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert PageRun.runs == 1


def test_a_redirect_is_kept_with_its_location(browser):
    first = post(browser, {"topic": "Run", "answer": "redirect"}, key="k-1")
    again = post(browser, {"topic": "Run", "answer": "redirect"}, key="k-1")

    assert (first.status_code, first["Location"]) == (302, PAGE)
    assert (again.status_code, again["Location"]) == (302, PAGE)
    assert again["Idempotent-Replayed"] == "true"
    assert runs() == 1


def test_a_collision_runs_the_page_again_and_is_never_kept(browser, monkeypatch):
    monkeypatch.setattr(PageRun, "collisions", 2)
    response = post(browser, {"topic": "Run"}, key="k-1")
    assert (response.status_code, response.json()["runs"]) == (201, 3)
    assert runs() == 1  # the two collided runs were rolled back

    monkeypatch.setattr(PageRun, "runs", 0)
    monkeypatch.setattr(PageRun, "collisions", 99)
    assert_error(post(browser, {"topic": "Run"}, key="k-2"), 409, "concurrent_change")
    assert not idempotency_key_model()._default_manager.filter(key="k-2").exists()


def test_a_page_answering_html_to_a_key_is_a_bug_that_keeps_nothing(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)

    assert post(client, {"topic": "Run", "answer": "page"}, key="k-1").status_code == 500
    assert runs() == 0
    assert not idempotency_key_model()._default_manager.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_posts_with_one_key_run_once_and_answer_alike(user, monkeypatch):
    monkeypatch.setattr(PageRun, "pause", 0.3)  # the requests overlap
    clients = []
    for _ in range(6):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients.append(client)

    def send(client):
        def call():
            response = post(client, {"topic": "Run"}, key="same-key")
            return response.status_code, response.content, response.get("Idempotent-Replayed")

        return call

    outcomes = race(*(send(client) for client in clients))

    assert runs() == 1, outcomes
    assert {status for status, _, _ in outcomes} == {201}, outcomes
    assert len({body for _, body, _ in outcomes}) == 1
    assert sorted(replayed or "" for _, _, replayed in outcomes) == [""] + ["true"] * 5
