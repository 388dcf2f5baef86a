"""/api/v1/patrons/: staff list, search, register and change patrons; a patron reads their own
record; a new patron's login gets the set-password email once the patron is saved, and API
tokens through /api/v1/tokens/."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from rest_framework.test import APIClient

from circulation.models import CirculationEvent, EventKind, Patron
from circulation.serializers import PatronSerializer
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from shelfmark.tests.helpers import assert_error

pytestmark = pytest.mark.django_db

URL = "/api/v1/patrons/"


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def adult():
    return PatronCategoryFactory(name="Adult")


@pytest.fixture
def patrons(adult):
    child = PatronCategoryFactory(name="Child")
    return {
        "grace": PatronFactory(
            name="Grace Hopper", card_number="C-100", email="grace@navy.example", category=adult
        ),
        "alan": PatronFactory(
            name="Alan Turing", card_number="C-200", email="alan@bletchley.example", category=child
        ),
        "ada": PatronFactory(
            name="Ada Lovelace",
            card_number="C-300",
            email="ada@engine.example",
            category=adult,
            blocked=True,
            block_reason="Lost card",
        ),
    }


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


# --- Reading -----------------------------------------------------------------------------------


def test_staff_list_every_patron_by_name_in_three_queries(desk, patrons, django_assert_num_queries):
    desk.get(URL)  # reads the account's permissions, which the user object then caches
    # The page; its patrons' open loans and the loan limits, for their ``blocks``.
    with django_assert_num_queries(3):
        response = desk.get(URL)

    assert names(response) == ["Ada Lovelace", "Alan Turing", "Grace Hopper"]
    rows = response.json()["results"]
    assert {frozenset(row) for row in rows} == {frozenset(PatronSerializer().fields)}
    grace = patrons["grace"]
    assert rows[2] == {
        "id": grace.pk,
        "url": f"http://testserver{URL}{grace.pk}/",
        "card_number": "C-100",
        "name": "Grace Hopper",
        "email": "grace@navy.example",
        "phone": "",
        "language": "",
        "category": grace.category_id,
        "expires_on": None,
        "blocked": False,
        "block_reason": "",
        "user": None,
        "blocks": [],
    }
    with django_assert_num_queries(3):
        assert desk.get(rows[2]["url"]).json() == rows[2]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "grace"}, ["Grace Hopper"]),
        ({"q": "c-2"}, ["Alan Turing"]),  # part of a card number
        ({"q": "engine.example"}, ["Ada Lovelace"]),  # part of an email
        ({"q": "a hopper"}, ["Grace Hopper"]),  # every word must match
        ({"q": "nobody"}, []),
        ({"blocked": "true"}, ["Ada Lovelace"]),
        ({"blocked": "false"}, ["Alan Turing", "Grace Hopper"]),
        ({"ordering": "-card_number"}, ["Ada Lovelace", "Alan Turing", "Grace Hopper"]),
    ],
)
def test_staff_search_and_filter(desk, patrons, query, expected):
    assert names(desk.get(URL, query)) == expected


def test_filter_by_category(desk, patrons):
    assert names(desk.get(URL, {"category": patrons["alan"].category_id})) == ["Alan Turing"]
    assert_error(desk.get(URL, {"category": "child"}), 400, "invalid")


def test_a_patron_sees_only_their_own_record(client_a, reader_a, reader_b, patrons):
    assert names(client_a.get(URL)) == [reader_a.name]
    assert names(client_a.get(URL, {"q": "grace"})) == []
    own = client_a.get(f"{URL}{reader_a.pk}/")
    assert (own.status_code, own.json()["user"]) == (200, reader_a.user_id)
    assert_error(client_a.get(f"{URL}{reader_b.pk}/"), 404, "not_found")


# --- Registering -------------------------------------------------------------------------------


def test_staff_register_a_patron_with_a_login_and_the_email_goes_after_the_commit(
    desk, adult, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://library.example.org"
    body = {
        "card_number": " P-1 ",
        "name": "  Mary  Somerville ",
        "email": "Mary@Example.org",
        "phone": "0123",
        "category": adult.pk,
        "expires_on": "2030-01-31",
        "username": "mary",
    }
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = desk.post(URL, body)
        assert mail.outbox == []  # not before the commit

    assert response.status_code == 201, response.content
    row = response.json()
    assert "username" not in row  # write-only
    patron = Patron.objects.get(pk=row["id"])
    assert (row["card_number"], row["name"], row["email"]) == (
        "P-1",
        "Mary Somerville",
        "mary@example.org",
    )
    assert (row["expires_on"], row["category"], row["user"]) == (
        "2030-01-31",
        adult.pk,
        patron.user_id,
    )
    assert patron.user.username == "mary"
    assert not patron.user.has_usable_password()
    assert len(callbacks) == 1
    (message,) = mail.outbox
    assert message.to == ["mary@example.org"]
    assert "https://library.example.org/account/password/set/" in str(message.body)


def test_no_username_no_login_and_no_email(desk, adult, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(URL, {"card_number": "P-2", "name": "Card Only", "category": adult.pk})

    assert (response.status_code, response.json()["user"]) == (201, None)
    assert mail.outbox == []


def test_a_failing_mail_server_does_not_lose_the_patron(
    desk, adult, django_capture_on_commit_callbacks, monkeypatch
):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("circulation.accounts.send_mail", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(
            URL,
            {
                "card_number": "P-3",
                "name": "N",
                "category": adult.pk,
                "email": "n@example.org",
                "username": "n",
            },
        )

    assert response.status_code == 201
    assert Patron.objects.filter(card_number="P-3", user__username="n").exists()


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"card_number": "C-100", "name": "Twin"}, 409, "duplicate_card", "card_number"),
        (
            {"card_number": "P-9", "name": "X", "username": "grace"},
            409,
            "duplicate_username",
            "username",
        ),
        ({"card_number": "P-9", "name": "X", "username": "no spaces"}, 400, "invalid", "username"),
        ({"card_number": "P 9", "name": "X"}, 400, "invalid", "card_number"),
        ({"card_number": "P-9", "name": "X", "email": "not-an-email"}, 400, "invalid", "email"),
        ({"card_number": "P-9", "name": "   "}, 400, "invalid", "name"),
    ],
)
def test_registering_refusals(desk, adult, patrons, body, status, code, field):
    get_user_model().objects.create_user("grace")
    error = assert_error(desk.post(URL, {"category": adult.pk, **body}), status, code)
    assert field in error["fields"]
    assert not Patron.objects.filter(card_number="P-9").exists()


def test_an_unknown_category_is_a_400_on_the_field(desk):
    error = assert_error(
        desk.post(URL, {"card_number": "P-4", "name": "X", "category": 999}), 400, "invalid"
    )
    assert error["fields"] == {"category": ["No patron category with this id."]}


def test_patrons_cannot_register_patrons(client_a, adult):
    assert_error(
        client_a.post(URL, {"card_number": "P-5", "name": "X", "category": adult.pk}),
        403,
        "permission_denied",
    )
    assert not Patron.objects.filter(card_number="P-5").exists()


# --- Changing ----------------------------------------------------------------------------------


def test_staff_block_and_unblock_a_patron_and_both_are_recorded(desk, librarian, patrons):
    url = f"{URL}{patrons['grace'].pk}/"

    missing = assert_error(desk.patch(url, {"blocked": True}), 400, "invalid")
    assert missing["fields"] == {"block_reason": ["Say why the patron is blocked."]}
    blocked = desk.patch(url, {"blocked": True, "block_reason": "Owes a book"}).json()
    assert (blocked["blocked"], blocked["block_reason"]) == (True, "Owes a book")
    unblocked = desk.patch(url, {"blocked": False}).json()
    assert (unblocked["blocked"], unblocked["block_reason"]) == (False, "")

    events = CirculationEvent.objects.filter(patron=patrons["grace"]).order_by("id")
    assert [(e.kind, e.actor) for e in events] == [
        (EventKind.PATRON_BLOCKED, librarian),
        (EventKind.PATRON_UNBLOCKED, librarian),
    ]


def test_staff_change_the_fields_sent_only(desk, patrons):
    grace = patrons["grace"]
    other = PatronCategoryFactory(name="Staff")

    row = desk.patch(
        f"{URL}{grace.pk}/", {"phone": " 555 ", "category": other.pk, "expires_on": None}
    ).json()

    assert (row["phone"], row["category"], row["expires_on"], row["email"]) == (
        "555",
        other.pk,
        None,
        "grace@navy.example",
    )
    assert_error(desk.patch(f"{URL}{grace.pk}/", {"category": 999}), 400, "invalid")
    assert_error(desk.patch(f"{URL}{grace.pk}/", {"card_number": "C-200"}), 409, "duplicate_card")


def test_patron_records_are_never_replaced_whole(desk, patrons):
    assert_error(desk.put(f"{URL}{patrons['grace'].pk}/", {}), 405, "method_not_allowed")


def test_a_patron_may_not_change_their_own_record_and_finds_no_one_elses(
    client_a, reader_a, reader_b
):
    refused = assert_error(
        client_a.patch(f"{URL}{reader_a.pk}/", {"name": "Changed"}), 403, "permission_denied"
    )
    assert "library staff" in refused["message"]
    assert_error(client_a.patch(f"{URL}{reader_b.pk}/", {"name": "Changed"}), 404, "not_found")
    assert set(Patron.objects.values_list("name", flat=True)) == {"Ada Reader", "Bea Other"}


# --- Tokens for a patron's login ---------------------------------------------------------------


def test_an_administrator_issues_a_token_for_a_new_patrons_login(administrator, librarian, adult):
    admin = client_of(administrator)
    created = admin.post(
        URL, {"card_number": "P-7", "name": "Scripted", "category": adult.pk, "username": "bot"}
    ).json()

    token = admin.post("/api/v1/tokens/", {"name": "kiosk", "user": created["user"]})

    assert token.status_code == 201, token.content
    assert (token.json()["user"], token.json()["created_by"]) == (created["user"], administrator.pk)
    as_patron = APIClient()
    as_patron.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['key']}")
    me = as_patron.get("/api/v1/me/")
    assert (me.status_code, me.json()["patron"]["id"]) == (200, created["id"])
    # The Librarians group holds no right to act as other accounts.
    assert_error(
        client_of(librarian).post("/api/v1/tokens/", {"name": "kiosk", "user": created["user"]}),
        403,
        "permission_denied",
    )
