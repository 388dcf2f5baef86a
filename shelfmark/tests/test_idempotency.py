"""Idempotency-Key (shelfmark.api.idempotency, shelfmark.idempotency) on its own, through
test-only views (idempotency_urls.py) whose work creates a subject each time it runs."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import Subject
from shelfmark.idempotency import KEEP, idempotency_key_model, idempotency_keys_purge
from shelfmark.testing.races import race
from shelfmark.tests.helpers import assert_error
from shelfmark.tests.idempotency_urls import FlakyRunApi

pytestmark = [pytest.mark.django_db, pytest.mark.urls("shelfmark.tests.idempotency_urls")]

RUNS = "/idem/runs/"


def runs(label: str = "Run") -> int:
    return Subject.objects.filter(name__startswith=f"{label} ").count()


@pytest.fixture
def user():
    return get_user_model().objects.create_user("scripter")


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def post(client: APIClient, path: str, body: dict | str, key: str | None = None):
    headers = {} if key is None else {"Idempotency-Key": key}
    if isinstance(body, str):
        return client.generic("POST", path, body, content_type="application/json", headers=headers)
    return client.post(path, body, format="json", headers=headers)


def test_without_a_key_every_request_runs(api):
    post(api, RUNS, {"topic": "Run"})
    post(api, RUNS, {"topic": "Run"})
    assert runs() == 2
    assert not idempotency_key_model()._default_manager.exists()


def test_a_retry_gets_the_first_answer_and_runs_nothing(api):
    first = post(api, RUNS, {"topic": "Run"}, key="k-1")
    again = post(api, RUNS, {"topic": "Run"}, key="k-1")

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert runs() == 1


def test_the_same_body_means_the_same_json_whatever_its_spacing_and_key_order(api):
    post(api, RUNS, '{"topic": "Run", "refuse": false}', key="k-1")
    again = post(api, RUNS, '{ "refuse":false,"topic":"Run" }', key="k-1")
    assert again["Idempotent-Replayed"] == "true"
    assert runs() == 1


def test_any_json_a_client_sends_has_a_fingerprint(api):
    # Numbers past 64 bits and lone surrogates: orjson refuses both (it was a 500).
    body = '{"topic": "Run", "extra": [-128668023891765231616, "\\ud93f"]}'
    assert post(api, RUNS, body, key="k-1").status_code == 201
    assert post(api, RUNS, body, key="k-1")["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize(
    ("path", "body", "other"),
    [
        (RUNS, {"topic": "Other"}, "with another body"),
        ("/idem/slow/", {"topic": "Run"}, "for POST /idem/runs/"),
    ],
)
def test_the_same_key_for_another_request_is_a_422(api, path, body, other):
    post(api, RUNS, {"topic": "Run"}, key="k-1")

    error = assert_error(post(api, path, body, key="k-1"), 422, "idempotency_key_reused")

    assert other in error["message"]
    assert "Send a new key" in error["message"]
    assert runs("Run") + runs("Other") == 1


def test_keys_are_per_account(api):
    other = APIClient()
    other.force_authenticate(get_user_model().objects.create_user("someone-else"))

    post(api, RUNS, {"topic": "Run"}, key="shared")
    theirs = post(other, RUNS, {"topic": "Other"}, key="shared")

    assert (theirs.status_code, "Idempotent-Replayed" in theirs) == (201, False)
    assert (runs("Run"), runs("Other")) == (1, 1)


def test_a_refusal_is_kept_too(api):
    first = post(api, RUNS, {"topic": "Run", "refuse": True}, key="k-1")
    again = post(api, RUNS, {"topic": "Run", "refuse": True}, key="k-1")

    assert first.status_code == again.status_code == 409
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"


def test_an_input_error_is_not_kept_so_the_fixed_request_may_use_the_key(api):
    assert_error(post(api, RUNS, {"topic": ""}, key="k-1"), 400, "invalid")

    fixed = post(api, RUNS, {"topic": "Run"}, key="k-1")

    assert (fixed.status_code, "Idempotent-Replayed" in fixed) == (201, False)
    assert runs() == 1


def test_a_server_error_rolls_the_work_back_with_the_key(user):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)

    assert post(client, "/idem/broken/", {"topic": "Run"}, key="k-1").status_code == 500
    assert post(client, "/idem/broken/", {"topic": "Run"}, key="k-1").status_code == 500
    assert runs() == 0
    assert not idempotency_key_model()._default_manager.exists()


def test_a_collision_inside_the_work_runs_it_again_and_is_never_kept(api, monkeypatch):
    # The service's own retries cannot run inside the key's transaction: the key's do.
    monkeypatch.setattr(FlakyRunApi, "runs", 0)
    monkeypatch.setattr(FlakyRunApi, "failures", 2)
    response = post(api, "/idem/flaky/", {"topic": "Run"}, key="k-1")
    assert response.json()["runs"] == 3
    assert runs() == 1  # the two collided runs were rolled back

    monkeypatch.setattr(FlakyRunApi, "runs", 0)
    monkeypatch.setattr(FlakyRunApi, "failures", 99)
    assert_error(post(api, "/idem/flaky/", {"topic": "Run"}, key="k-2"), 409, "concurrent_change")
    assert not idempotency_key_model()._default_manager.filter(key="k-2").exists()


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "naïve"])
def test_a_malformed_key_is_a_400(api, key):
    response = api.post(RUNS, {"topic": "Run"}, format="json", headers={"Idempotency-Key": key})
    error = assert_error(response, 400, "invalid_idempotency_key")
    assert "visible ASCII" in error["message"]
    assert runs() == 0


def test_a_key_of_255_characters_is_fine(api):
    assert post(api, RUNS, {"topic": "Run"}, key="x" * 255).status_code == 201


# --- Keeping and purging -----------------------------------------------------------------------


def test_purge_removes_keys_older_than_a_day_only(api):
    post(api, RUNS, {"topic": "Run"}, key="old")
    post(api, RUNS, {"topic": "Run"}, key="new")
    model = idempotency_key_model()
    model._default_manager.filter(key="old").update(
        created_at=timezone.now() - KEEP - datetime.timedelta(minutes=1)
    )

    assert idempotency_keys_purge() == 1

    assert list(model._default_manager.values_list("key", flat=True)) == ["new"]
    # A purged key is free again.
    assert "Idempotent-Replayed" not in post(api, RUNS, {"topic": "Other"}, key="old")


def test_purge_never_cuts_the_24_hours_short():
    with pytest.raises(ValueError, match="at least"):
        idempotency_keys_purge(older_than=datetime.timedelta(hours=23))


# --- Concurrency -------------------------------------------------------------------------------


def send(user, key: str):
    def call():
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(user)
        response = post(client, "/idem/slow/", {"topic": "Run"}, key=key)
        return response.status_code, response.content, response.get("Idempotent-Replayed")

    return call


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_with_one_key_run_once_and_answer_alike(user):
    outcomes = race(*(send(user, "same-key") for _ in range(10)))

    assert runs() == 1, outcomes
    statuses = {status for status, _, _ in outcomes}
    bodies = {body for _, body, _ in outcomes}
    assert (statuses, len(bodies)) == ({201}, 1), outcomes
    assert sorted(replayed or "" for _, _, replayed in outcomes) == [""] + ["true"] * 9


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_with_different_keys_all_run(user):
    outcomes = race(*(send(user, f"key-{n}") for n in range(5)))

    assert {status for status, _, _ in outcomes} == {201}
    assert runs() == 5
