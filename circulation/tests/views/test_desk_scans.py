"""The desk's script (circulation/static/circulation/desk.js) and its JSON answers: each scan
posted to the page's own URL with ``action=scan`` and an Idempotency-Key, answered with its line
and the rows the page shows, the session kept as the forms keep it."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CirculationEvent, EventKind, Hold, HoldStatus, Loan
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from circulation.tests.views.conftest import PASSWORD
from circulation.tests.views.test_desk import SIGNED_IN_QUERIES, text, text_of
from shelfmark.errors import Conflict
from shelfmark.idempotency import idempotency_key_model
from shelfmark.tests.helpers import assert_error

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def ada():
    return PatronFactory(card_number="CARD-1", name="Ada Reader")


@pytest.fixture
def bea():
    return PatronFactory(card_number="CARD-2", name="Bea Borrower")


@pytest.fixture
def copies():
    return [
        CopyFactory(barcode="B-1", book=BookFactory(title="Middlemarch")),
        CopyFactory(barcode="B-2", book=BookFactory(title="Persuasion")),
    ]


def send(client: Client, form: dict, *, path: str = "/desk/", key: str | None = None):
    """What the script sends: the form, asking for JSON, with an Idempotency-Key."""
    headers = {"Accept": "application/json", "Idempotency-Key": key or str(uuid.uuid4())}
    return client.post(path, form, headers=headers)


def scan(client: Client, code: str, patron=None, *, key: str | None = None):
    form = {"action": "scan", "code": code, "patron": "" if patron is None else patron.pk}
    return send(client, form, key=key)


def check_in(client: Client, code: str, *, key: str | None = None):
    return send(client, {"action": "scan", "code": code}, path="/desk/checkin/", key=key)


def answer(response) -> dict:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def rows(html: str) -> list[str]:
    return re.findall(r"<tr class=.*?</tr>", html, re.S)


# --- Checkout ------------------------------------------------------------------------------------


def test_a_card_then_a_copy_each_answer_their_line_row_and_the_patron(desk, ada, copies):
    card = answer(scan(desk, "CARD-1", key="k-card"))

    assert card["line"] == {
        "kind": "patron",
        "ok": True,
        "barcode": "CARD-1",
        "title": "",
        "patron_name": "Ada Reader",
        "key": "k-card",
    }
    assert card["patron"] == {"id": ada.pk, "name": "Ada Reader", "card_number": "CARD-1"}
    assert "0 on loan" in text_of(card["patron_html"])
    assert card["row_html"].startswith('<tr class="patron" data-key="k-card">')
    assert "Ada Reader (card CARD-1): scan their copies." in text_of(card["latest_html"])

    lent = answer(scan(desk, "B-1", ada, key="k-1"))

    due = TODAY() + datetime.timedelta(days=21)
    assert lent["line"] == {
        "kind": "copy",
        "ok": True,
        "barcode": "B-1",
        "title": "Middlemarch",
        "due_on": due.isoformat(),
        "key": "k-1",
    }
    assert lent["row_html"].startswith('<tr class="ok" data-key="k-1">')
    assert f"Due {due:%a} {due.day} {due:%b %Y}" in text_of(lent["row_html"])
    assert "1 on loan" in text_of(lent["patron_html"])
    assert Loan.objects.get().patron == ada


def test_the_rows_of_the_answers_are_the_rows_of_the_page_after_a_reload(desk, ada, copies):
    sent = [scan(desk, "CARD-1"), scan(desk, "B-1", ada), scan(desk, "NOPE", ada)]

    page = desk.get("/desk/").content.decode()

    # The session kept each line, its key included, and the page shows the same rows.
    assert rows(page) == [answer(response)["row_html"].strip() for response in reversed(sent)]
    assert "Ada Reader" in text_of(page)


def test_a_refusal_is_a_line_answered_200_with_its_reasons(desk, ada, copies):
    services.loan_checkout(card_number=PatronFactory().card_number, barcode="B-1")

    refused = answer(scan(desk, "B-1", ada))

    assert refused["line"]["ok"] is False
    assert refused["line"]["title"] == "Middlemarch"
    assert refused["line"]["refusals"] == [
        {
            "code": "copy_on_loan",
            "message": "Copy B-1 is on loan to another patron.",
            "override": None,
            "overridable": False,
        }
    ]
    assert refused["line"]["patron"] == ada.pk
    assert "lend_anyway" not in refused["line"]  # a final refusal: no "Lend anyway"
    assert "Lend anyway" not in refused["row_html"]
    assert "Refused: Copy B-1 is on loan to another patron." in text_of(refused["row_html"])
    assert refused["row_html"].startswith('<tr class="refused"')
    assert refused["patron"]["id"] == ada.pk  # still serving Ada
    unknown = answer(scan(desk, "NOPE-9", ada))
    assert unknown["line"]["refusals"][0]["code"] == "unknown_barcode"
    assert Loan.objects.filter(patron=ada).count() == 0


def test_a_card_scanned_while_serving_a_patron_switches_to_that_patron(desk, ada, bea, copies):
    answer(scan(desk, "CARD-1"))
    answer(scan(desk, "B-1", ada))

    switched = answer(scan(desk, "CARD-2", ada))
    assert switched["patron"]["name"] == "Bea Borrower"
    assert switched["line"]["kind"] == "patron"
    answer(scan(desk, "B-2", bea))

    assert dict(Loan.objects.values_list("copy__barcode", "patron__card_number")) == {
        "B-1": "CARD-1",
        "B-2": "CARD-2",
    }
    page = desk.get("/desk/")
    assert "Bea Borrower" in text(page)
    assert [re.search(r"(B-\d|CARD-\d)", row).group() for row in rows(page.content.decode())] == [
        "B-2",
        "CARD-2",
    ]  # the new patron's lines only, as after the form's card


def test_cards_are_told_from_copies_by_the_patron_lookup_not_by_their_form(desk, copies):
    # A card number that looks like a barcode is a card; a barcode is never taken as one.
    odd = PatronFactory(card_number="B-9", name="Odd Card")

    assert answer(scan(desk, "B-9"))["patron"]["id"] == odd.pk
    assert answer(scan(desk, "B-1", odd))["line"]["ok"] is True


def test_a_scan_before_any_card_is_looked_up_as_a_card(desk, ada, copies):
    card = answer(scan(desk, " CARD-1 "))
    assert card["patron"]["id"] == ada.pk

    copy = answer(scan(desk, "B-1"))  # no patron on the page
    assert copy["patron"] is None
    assert copy["line"]["refusals"] == [
        {
            "code": "no_patron",
            "message": "B-1 is a copy: scan the patron's card first.",
            "override": None,
            "overridable": False,
        }
    ]
    assert copy["line"]["title"] == "Middlemarch"
    nobody = answer(scan(desk, "WHO-1"))
    assert nobody["line"]["refusals"][0]["code"] == "unknown_card"
    assert "No patron has card number WHO-1." in nobody["line"]["refusals"][0]["message"]
    assert not Loan.objects.exists()


def test_scans_go_to_the_patron_the_page_serves_even_in_a_new_session(librarian, ada, copies):
    # Scans kept by the page while the session expired are sent after signing in again.
    client = Client()
    client.force_login(librarian)

    lent = answer(scan(client, "B-1", ada))

    assert lent["line"]["ok"] is True
    assert lent["patron"]["id"] == ada.pk
    assert Loan.objects.get().patron == ada
    assert "Ada Reader" in text(client.get("/desk/"))


def test_next_patron_is_an_answer_too_and_starts_over(desk, ada, copies):
    answer(scan(desk, "CARD-1"))
    answer(scan(desk, "B-1", ada))

    done = answer(send(desk, {"action": "done"}, key="k-done"))

    assert done["patron"] is None
    assert done["patron_html"] is None
    assert done["line"] == {
        "kind": "next_patron",
        "ok": True,
        "barcode": "",
        "title": "",
        "key": "k-done",
    }
    assert "Next patron" in text_of(done["row_html"])
    page = desk.get("/desk/").content.decode()
    assert 'id="card"' in page
    assert "Middlemarch" not in text_of(page)


def test_a_patron_deleted_meanwhile_is_a_refusal_and_no_patron(desk, ada, copies):
    gone = PatronFactory(card_number="GONE")
    gone_id = gone.pk
    gone.delete()

    refused = answer(send(desk, {"action": "scan", "code": "B-1", "patron": gone_id}))

    assert refused["patron"] is None
    assert "no longer exists" in refused["line"]["refusals"][0]["message"]
    assert not Loan.objects.exists()


# --- Idempotency-Key -----------------------------------------------------------------------------


def test_a_scan_sent_again_gets_the_kept_answer_and_lends_nothing_twice(desk, ada, copies):
    first = scan(desk, "B-1", ada, key="scan-1")
    again = scan(desk, "B-1", ada, key="scan-1")

    assert (again.status_code, again.content) == (200, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert Loan.objects.count() == 1
    assert CirculationEvent.objects.filter(kind=EventKind.CHECKOUT).count() == 1
    assert len(rows(desk.get("/desk/").content.decode())) == 1  # one line in the session


def test_a_card_sent_again_and_a_refusal_sent_again_are_replayed_alike(desk, ada, copies):
    for form in (
        {"action": "scan", "code": "CARD-1", "patron": ""},
        {"action": "scan", "code": "NOPE", "patron": ada.pk},
        {"action": "done"},
    ):
        first = send(desk, form, key=f"k-{form.get('code')}")
        again = send(desk, form, key=f"k-{form.get('code')}")
        assert (again.content, again["Idempotent-Replayed"]) == (first.content, "true")


def test_the_same_key_for_another_code_is_a_422(desk, ada, copies):
    scan(desk, "B-1", ada, key="scan-1")

    assert_error(scan(desk, "B-2", ada, key="scan-1"), 422, "idempotency_key_reused")
    assert list(Loan.objects.values_list("copy__barcode", flat=True)) == ["B-1"]


@pytest.mark.parametrize("key", ["", "has space", "x" * 256])
def test_a_malformed_key_is_a_400(desk, ada, copies, key):
    form = {"action": "scan", "code": "B-1", "patron": ada.pk}
    headers = {"Accept": "application/json", "Idempotency-Key": key}

    assert_error(desk.post("/desk/", form, headers=headers), 400, "invalid_idempotency_key")
    assert not Loan.objects.exists()


def test_a_collision_is_sent_again_by_the_key_and_never_kept(desk, ada, copies, monkeypatch):
    calls = []

    def collide(**kwargs):
        calls.append(kwargs)
        raise Conflict("Collided; send it again.", code="concurrent_change")

    monkeypatch.setattr(services, "loan_checkout", collide)

    assert_error(scan(desk, "B-1", ada, key="scan-1"), 409, "concurrent_change")
    assert len(calls) == 3  # the key's transaction ran it again before giving up
    assert not idempotency_key_model()._default_manager.filter(key="scan-1").exists()
    assert rows(desk.get("/desk/").content.decode()) == []  # no line for it


@pytest.mark.parametrize(
    "form",
    [
        {"action": "scan", "code": " ", "patron": ""},
        {"action": "scan", "patron": ""},
        {"action": "scan", "code": "B-1", "patron": "Ada"},
        {"action": "copy", "barcode": "B-1"},
    ],
)
def test_a_malformed_scan_is_a_400_in_the_error_shape(desk, ada, copies, form):
    assert_error(send(desk, form), 400, "invalid")
    assert not Loan.objects.exists()


# --- Who may send scans --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/desk/", "/desk/checkin/"])
def test_anonymous_scripts_get_a_401_and_forms_the_sign_in_page(client, path, copies):
    assert_error(send(client, {"action": "scan", "code": "B-1"}, path=path), 401,
                 "not_authenticated")  # fmt: skip
    form = client.post(path, {"action": "scan", "code": "B-1"})
    assert form.status_code == 302
    assert form["Location"].startswith("/account/sign-in/?next=/desk/")
    assert not Loan.objects.exists()
    assert not idempotency_key_model()._default_manager.exists()


@pytest.mark.parametrize("path", ["/desk/", "/desk/checkin/"])
def test_accounts_without_the_desks_rights_get_a_403_naming_them(client, path, ada, copies):
    cataloguer = get_user_model().objects.create_user("cat", password=PASSWORD, is_staff=True)
    cataloguer.user_permissions.set(Permission.objects.filter(content_type__app_label="catalog"))
    for user in (get_user_model().objects.create_user("someone", password=PASSWORD), cataloguer):
        client.force_login(user)

        error = assert_error(scan(client, "B-1", ada), 403, "permission_denied")

        assert "circulation." in error["message"]
    assert not Loan.objects.exists()


def test_lending_and_returning_need_their_own_rights(client, ada, copies):
    lender = get_user_model().objects.create_user("lender", password=PASSWORD, is_staff=True)
    lender.user_permissions.add(Permission.objects.get(codename="add_loan"))
    client.force_login(lender)

    assert answer(scan(client, "B-1", ada))["line"]["ok"] is True
    assert_error(check_in(client, "B-1"), 403, "permission_denied")
    assert Loan.objects.get().checked_in_at is None


def test_a_scan_costs_a_fixed_number_of_queries_whatever_the_lines(desk):
    category = PatronCategoryFactory(name="Many", max_loans=20)
    ada = PatronFactory(card_number="CARD-1", category=category)
    for n in range(11):
        CopyFactory(barcode=f"Q-{n}")
    answer(scan(desk, "CARD-1"))

    def queries(code: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            answer(scan(desk, code, ada))
        return len(captured)

    first = queries("Q-0")
    for n in range(1, 9):
        assert answer(scan(desk, f"Q-{n}", ada))["line"]["ok"] is True
    assert queries("Q-9") == first  # nothing per line
    with CaptureQueriesContext(connection) as checkout:
        services.loan_checkout(card_number="CARD-1", barcode="Q-10")
    # Beside the checkout's own: the signed-in page; the key's transaction (2), its insert (3)
    # and its answer (1); the card lookup, the patron's card, the book's title, the patron's
    # box and their loan limit (1 each); the session's save (3). Savepoints count: the test
    # runs in a transaction.
    assert first - len(checkout) <= SIGNED_IN_QUERIES + 14
    assert Loan.objects.filter(patron=ada).count() == 11


# --- Check-in ------------------------------------------------------------------------------------


def test_checkin_answers_each_return_with_its_row(desk, ada, copies):
    loan = services.loan_checkout(card_number="CARD-1", barcode="B-1")
    Loan.objects.filter(pk=loan.pk).update(due_on=TODAY() - datetime.timedelta(days=2))

    returned = answer(check_in(desk, "B-1", key="in-1"))

    assert returned["line"]["ok"] is True
    assert returned["line"]["key"] == "in-1"
    assert returned["line"]["days_late"] == 2
    assert returned["line"]["returned_by"] == "Ada Reader"
    assert returned["hold_html"] is None
    assert "Checked in. Back to the shelf. 2 days late" in text_of(returned["row_html"])
    assert rows(desk.get("/desk/checkin/").content.decode()) == [returned["row_html"].strip()]


def test_checkin_of_a_copy_someone_waits_for_answers_the_hold_box(desk, ada, copies):
    services.loan_checkout(card_number="CARD-1", barcode="B-1")
    wendy = PatronFactory(card_number="CARD-W", name="Wendy Waiting")
    services.hold_place(patron=wendy, book=copies[0].book)

    trapped = answer(check_in(desk, "B-1"))

    hold = Hold.objects.get(patron=wendy)
    assert hold.status == HoldStatus.READY
    assert trapped["line"]["hold_id"] == hold.pk
    assert 'role="alert"' in trapped["hold_html"]
    assert "Wendy Waiting" in text_of(trapped["hold_html"])
    assert f'href="/desk/holds/{hold.pk}/slip/"' in trapped["hold_html"]
    assert f'href="/desk/holds/{hold.pk}/slip/"' in trapped["row_html"]


def test_checkin_refusals_and_replays(desk, ada, copies):
    services.loan_checkout(card_number="CARD-1", barcode="B-1")

    refused = answer(check_in(desk, "GHOST"))
    assert refused["line"]["refusals"][0]["code"] == "unknown_barcode"
    first = check_in(desk, "B-1", key="in-1")
    again = check_in(desk, "B-1", key="in-1")

    # Not "was not on loan", which a second check-in would say.
    assert "Checked in. Back to the shelf." in again.json()["line"]["message"]
    assert (again.content, again["Idempotent-Replayed"]) == (first.content, "true")
    assert CirculationEvent.objects.filter(kind=EventKind.CHECKIN).count() == 1


def test_a_refusal_for_several_reasons_lists_each_of_them(desk, ada, copies):
    services.loan_checkout(card_number=PatronFactory().card_number, barcode="B-1")
    services.patron_update(patron=ada, blocked=True, block_reason="Lost three books")

    refused = answer(scan(desk, "B-1", ada))

    codes = [refusal["code"] for refusal in refused["line"]["refusals"]]
    assert codes == ["patron_blocked", "copy_on_loan"]
    shown = text_of(refused["row_html"])
    for refusal in refused["line"]["refusals"]:
        assert refusal["message"] in shown
