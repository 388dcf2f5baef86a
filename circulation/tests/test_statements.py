"""What the desk's two hot writes cost the database: the statements a checkout and a check-in
send through the API with a token, each printed when a bound is broken.

The counting tests run in real transactions (``transaction=True``), so what is counted is what
a production request sends, BEGIN and COMMIT included (not a savepoint inside the test's own
transaction); so is any savepoint, ``SET CONSTRAINTS`` or lock taken again inside the request.
"""

from __future__ import annotations

import os
import re
import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection, connections
from django.db.models import OuterRef
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import token_create
from catalog.models import Copy, CopyStatus
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CirculationRule, Hold, HoldStatus, PatronCategory
from circulation.policy import terms_annotations, terms_for, terms_from
from circulation.tests.factories import PatronCategoryFactory, PatronFactory

CHECKOUT = "/api/v1/circulation/checkout/"
CHECKIN = "/api/v1/circulation/checkin/"

# Statements per request, BEGIN and COMMIT included. PostgreSQL adds SET CONSTRAINTS ALL
# IMMEDIATE (shelfmark.transactions). Before this bound, on PostgreSQL, counted the same way:
# a checkout sent 27 statements, a check-in 19.
MOST = {"postgresql": 10, "sqlite": 9}


def _token_client(user) -> APIClient:
    token, key = token_create(user=user, name="desk script")
    # Used a moment ago: last_used_at is written at most once a minute, not on this request.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def post_counting(
    client: APIClient, path: str, body: dict, **headers: str
) -> tuple[Any, list[str]]:
    """The response to a POST and the SQL of every statement it sent, in order; printed with
    ``SHELFMARK_PRINT_STATEMENTS=1`` (and ``pytest -s``)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.post(path, body, format="json", headers=headers)
    sqls = [query["sql"] for query in captured.captured_queries]
    if os.environ.get("SHELFMARK_PRINT_STATEMENTS"):
        print(f"\n{path} {body}: {len(sqls)} statements\n{_listing(sqls)}")
    return response, sqls


def _listing(sqls: list[str]) -> str:
    return "\n".join(f"{n:3}. {sql[:400]}" for n, sql in enumerate(sqls, 1))


LOCK = re.compile(r"\bFOR (NO KEY )?UPDATE\b(?P<of> OF [^;]*)?$")


def _check_locks(sqls: list[str]) -> None:
    """Every locking statement names what it locks, and no row of a table is locked twice."""
    locked: list[str] = []
    for sql in sqls:
        found = LOCK.search(sql)
        if found is None:
            continue
        assert found["of"], f"a lock without OF:\n{sql}"
        locked += re.findall(r'"(\w+)"', found["of"])
    assert len(locked) == len(set(locked)), f"a table locked twice: {locked}"


@pytest.fixture
def desk_token(db):
    """A desk script's token. Its account holds the two permissions lending needs itself, not
    through the Librarians group: the narrowest account that lends."""
    desk = get_user_model().objects.create_user("desk-script", is_staff=True)
    desk.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="circulation", codename__in=["add_loan", "change_loan"]
        )
    )
    return _token_client(desk)


@pytest.fixture
def librarian_token(librarian):
    """A token of the desk's account as the roles migration makes it (Librarians group)."""
    return _token_client(librarian)


@pytest.fixture
def shelf():
    PatronFactory(card_number="CARD-1")
    book = BookFactory()
    return CopyFactory(barcode="B-1", book=book)


@pytest.mark.django_db(transaction=True)
def test_a_checkout_and_a_checkin_through_the_api_send_at_most_ten_statements(desk_token, shelf):
    most = MOST[connection.vendor]

    response, checkout = post_counting(desk_token, CHECKOUT, {"patron": "CARD-1", "copy": "B-1"})
    assert response.status_code == 201, response.content
    assert len(checkout) <= most, _listing(checkout)

    response, checkin = post_counting(desk_token, CHECKIN, {"copy": "B-1"})
    assert response.status_code == 200, response.content
    assert response.json()["loan"]["checked_in_at"] is not None
    assert len(checkin) <= most, _listing(checkin)

    for sqls in (checkout, checkin):
        assert not [sql for sql in sqls if "SAVEPOINT" in sql], _listing(sqls)
        # The token, its user and the user's permissions: one statement.
        assert sum("accounts_apitoken" in sql for sql in sqls) == 1, _listing(sqls)
        assert not [sql for sql in sqls if sql.startswith('SELECT "django_content_type"')]
        _check_locks(sqls)


@pytest.mark.django_db(transaction=True)
def test_an_idempotency_key_costs_two_statements_more_and_a_replay_runs_no_work(desk_token, shelf):
    body = {"patron": "CARD-1", "copy": "B-1"}
    key = {"Idempotency-Key": "5f0c6c1e-keyed-checkout"}

    response, keyed = post_counting(desk_token, CHECKOUT, body, **key)
    assert response.status_code == 201, response.content
    # The key's row: claimed with INSERT … ON CONFLICT (no savepoint around it), then its answer.
    assert len(keyed) <= MOST[connection.vendor] + 2 + 2, _listing(keyed)  # + the service's
    assert sum("INSERT INTO" in sql and "idempotencykey" in sql for sql in keyed) == 1
    assert sum(sql.startswith("SAVEPOINT") for sql in keyed) <= 1, _listing(keyed)

    replayed, again = post_counting(desk_token, CHECKOUT, body, **key)
    assert replayed.status_code == 201
    assert replayed.json() == response.json()
    assert not [sql for sql in again if "circulation_loan" in sql and "INSERT" in sql]


@pytest.mark.django_db(transaction=True)
def test_a_checkin_that_sets_the_copy_aside_moves_it_once(desk_token, shelf):
    services.loan_checkout(card_number="CARD-1", barcode="B-1")
    services.hold_place(patron=PatronFactory(), book=shelf.book)

    response, sqls = post_counting(desk_token, CHECKIN, {"copy": "B-1"})

    assert response.status_code == 200, response.content
    assert response.json()["hold"]["status"] == HoldStatus.READY
    copy_updates = [sql for sql in sqls if sql.startswith('UPDATE "catalog_copy"')]
    assert len(copy_updates) == 1, _listing(sqls)
    assert "on_hold_shelf" in copy_updates[0]
    # The hold and its event, the calendar for the pickup day and the hold's row in the answer
    # come on top of a plain check-in.
    assert len(sqls) <= MOST[connection.vendor] + 4, _listing(sqls)
    _check_locks(sqls)


@pytest.mark.django_db
def test_a_permission_taken_away_counts_from_the_next_request(librarian_token, shelf):
    """Permissions are read with the token on every request, never kept across requests."""
    desk_token = librarian_token
    response = desk_token.post(CHECKOUT, {"patron": "CARD-1", "copy": "B-1"}, format="json")
    assert response.status_code == 201, response.content
    librarians = Group.objects.get(name="Librarians")
    librarians.permissions.remove(Permission.objects.get(codename="change_loan"))

    response = desk_token.post(CHECKIN, {"copy": "B-1"}, format="json")

    assert response.status_code == 403, response.content
    assert "circulation.change_loan" in response.json()["error"]["message"]


@pytest.mark.django_db
def test_permissions_granted_to_the_user_and_through_groups_both_count(
    librarian_token, shelf, librarian
):
    response = librarian_token.post(CHECKOUT, {"patron": "CARD-1", "copy": "B-1"}, format="json")
    assert response.status_code == 201, response.content  # through the Librarians group
    librarian.groups.clear()
    librarian.user_permissions.add(Permission.objects.get(codename="change_loan"))

    response = librarian_token.post(CHECKIN, {"copy": "B-1"}, format="json")

    assert response.status_code == 200, response.content  # granted to the account itself


@pytest.mark.django_db
def test_a_revoked_token_is_refused_on_the_next_request(desk_token, shelf):
    assert desk_token.post(CHECKIN, {"copy": "B-1"}, format="json").status_code == 200
    ApiToken.objects.all().delete()

    assert desk_token.post(CHECKIN, {"copy": "B-1"}, format="json").status_code == 401


# --- The lending terms read with the copy ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rules",
    [
        [],
        [{"category": "own", "loan_type": "", "loan_period_days": 30}],
        [{"category": None, "loan_type": "short", "loan_period_days": 2, "max_loans": 1}],
        [
            {"category": None, "loan_type": "short", "loan_period_days": 2},
            {"category": "own", "loan_type": "short", "loan_period_days": 7},
            {"category": "own", "loan_type": "", "max_renewals": 0},
            {"category": "other", "loan_type": "short", "loan_period_days": 1},
        ],
        [
            {"category": None, "loan_type": "", "max_loans": 3},
            {"category": "own", "loan_type": "", "max_loans": 9},
        ],
    ],
)
def test_the_terms_read_with_the_copy_are_terms_for(rules):
    own = PatronCategoryFactory(name="Staff", loan_period_days=14, max_loans=4)
    other = PatronCategoryFactory(name="Child")
    for rule in rules:
        category = {"own": own, "other": other, None: None}[rule.pop("category")]
        CirculationRule.objects.create(category=category, **rule)
    for loan_type in ("normal", "short"):
        copy = CopyFactory(loan_type=loan_type)
        row = (
            Copy.objects.annotate(**terms_annotations(own, OuterRef("loan_type")))
            .filter(pk=copy.pk)
            .get()
        )
        assert terms_from(row) == terms_for(own, loan_type), (rules, loan_type)


# --- trap_hold locks the hold alone ------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_checkin_trapping_a_hold_does_not_wait_for_the_patrons_category_row():
    """Before, trap_hold's select_related("patron__category") without OF locked the patron's
    and the category's rows too: check-ins trapping holds for patrons of one category queued
    behind each other, and behind any edit of the category."""
    category = PatronCategoryFactory(name="Adult")
    copy = CopyFactory(barcode="B-9")
    services.loan_checkout(card_number=PatronFactory(category=category).card_number, barcode="B-9")
    services.hold_place(patron=PatronFactory(category=category), book=copy.book)
    holding = threading.Event()
    done = threading.Event()

    def hold_the_category_row() -> None:
        # Another transaction holds the category's row (as a category edit would).
        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("BEGIN")
                cursor.execute(
                    "SELECT id FROM circulation_patroncategory WHERE id = %s FOR UPDATE",
                    [category.pk],
                )
                holding.set()
                done.wait(10)
                cursor.execute("ROLLBACK")
        finally:
            other.close()

    thread = threading.Thread(target=hold_the_category_row)
    thread.start()
    try:
        assert holding.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # without the fix: waits, then fails
        with CaptureQueriesContext(connection) as captured:
            result = services.loan_checkin(barcode="B-9")
    finally:
        done.set()
        thread.join()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    assert result.hold is not None
    assert Hold.objects.get(pk=result.hold.pk).status == HoldStatus.READY
    hold_select = [
        q["sql"] for q in captured.captured_queries if 'FROM "circulation_hold"' in q["sql"]
    ]
    assert hold_select
    assert hold_select[0].endswith('FOR NO KEY UPDATE OF "circulation_hold"')
    assert PatronCategory.objects.get(pk=category.pk).name == "Adult"
    copy.refresh_from_db()
    assert copy.status == CopyStatus.ON_HOLD_SHELF


# --- One statement, the lock order kept ---------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scan", ["checkout", "checkin"])
def test_waiting_for_the_copy_the_desk_holds_the_book_already(scan):
    """The copy and its book are locked in one statement, in the lock order (the book's row, the
    queue's lock, first): while the copy's row is busy, the book's is held already, as when
    they were locked one after the other."""
    copy = CopyFactory(barcode="B-7")
    borrower = PatronFactory(card_number="CARD-7")
    if scan == "checkin":
        services.loan_checkout(card_number="CARD-7", barcode="B-7")
    other = connections.create_connection("default")
    outcome: list[object] = []

    def desk() -> None:
        try:
            if scan == "checkout":
                outcome.append(
                    services.loan_checkout(card_number=borrower.card_number, barcode="B-7")
                )
            else:
                outcome.append(services.loan_checkin(barcode="B-7"))
        except Exception as error:  # reported below
            outcome.append(error)
        finally:
            connections.close_all()

    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SELECT id FROM catalog_copy WHERE id = %s FOR UPDATE", [copy.pk])
            thread = threading.Thread(target=desk)
            thread.start()
            book_held = False
            for _attempt in range(50):  # until the desk's statement waits for the copy
                cursor.execute("SAVEPOINT probe")
                try:
                    cursor.execute(
                        "SELECT id FROM catalog_book WHERE id = %s FOR NO KEY UPDATE NOWAIT",
                        [copy.book_id],
                    )
                except Exception:  # LockNotAvailable: the desk holds the book
                    cursor.execute("ROLLBACK TO SAVEPOINT probe")
                    book_held = True
                    break
                cursor.execute("ROLLBACK TO SAVEPOINT probe")  # lets the book go again
                threading.Event().wait(0.1)
            cursor.execute("ROLLBACK")
        thread.join(10)
    finally:
        other.close()

    assert book_held
    assert not thread.is_alive()
    assert not [o for o in outcome if isinstance(o, Exception)], outcome
