"""The checkout desk in a real browser, with its script: the patron box's reasons before any copy
is scanned (and "Renew the card"), and "Lend anyway" on a refused line - who is offered it, what
it records, and that it waits its turn in the scan queue."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import override_settings
from django.utils import timezone

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CirculationEvent, EventKind, Loan
from circulation.refusals import OVERRIDE_PERMISSION
from circulation.tests.browser.helpers import DESK_PERMISSIONS, desk_user, expect, login, sign_in
from circulation.tests.browser.test_desk_queue import (
    ROWS,
    Network,
    codes_shown,
    row_of,
    scan,
    settled,
)
from circulation.tests.factories import PatronCategoryFactory, PatronFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCAN_FIELD = "form[data-desk-scan] input[type=text]"


def desk_administrator() -> Any:
    """Staff in the Administrators group, with the desk's rights and the one to lend anyway (an
    earlier transactional test's flush may have removed the group the migrations made)."""
    group, _ = Group.objects.get_or_create(name="Administrators")
    app_label, codename = OVERRIDE_PERMISSION.split(".")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label=app_label, codename__in=[*DESK_PERMISSIONS, codename]
        )
    )
    head = login("head", is_staff=True)
    head.groups.add(group)
    return head


def open_desk(page: Any, username: str) -> None:
    page.goto("/account/sign-in/?next=/desk/")
    sign_in(page, username)
    expect()(page.locator(SCAN_FIELD)).to_be_focused()


def expired_patron(*, max_loans: int = 5, loans: int = 0) -> Any:
    """Ada, whose card expired yesterday, with ``loans`` copies on loan."""
    category = PatronCategoryFactory(name="Junior", max_loans=max_loans)
    ada = PatronFactory(card_number="CARD-1", name="Ada Reader", category=category)
    for n in range(loans):
        CopyFactory(barcode=f"OUT-{n}")
        services.loan_checkout(card_number="CARD-1", barcode=f"OUT-{n}")
    ada.expires_on = timezone.localdate() - datetime.timedelta(days=1)
    ada.save(update_fields=["expires_on"])
    return ada


def held_for_someone_else(barcode: str, title: str) -> Any:
    """A copy on the shelf whose book someone else waits for."""
    copy = CopyFactory(barcode=barcode, book=BookFactory(title=title))
    with override_settings(HOLDS_ALLOWED_WHEN_AVAILABLE=True):
        services.hold_place(patron=PatronFactory(name="Wendy Waiting"), book=copy.book)
    return copy


@pytest.fixture
def lent_in_order(monkeypatch) -> list[str]:
    """The barcodes the server's checkout service was called for, in the order of the calls."""
    calls: list[str] = []
    checkout = services.loan_checkout

    def run(**kwargs):
        calls.append(kwargs["barcode"])
        return checkout(**kwargs)

    monkeypatch.setattr(services, "loan_checkout", run)
    return calls


def test_a_librarian_sees_why_the_patron_cannot_borrow_before_scanning_and_renews_the_card(page):
    desk_user()
    ada = expired_patron(max_loans=1, loans=1)
    open_desk(page, "librarian")

    scan(page, ["CARD-1"])

    box = page.locator(".patron-card")
    expect()(box).to_have_class(re.compile(r"\bwarn\b"))
    reasons = box.locator(".patron-blocks li")
    expect()(reasons).to_have_count(2)
    expect()(reasons.nth(0)).to_contain_text("Ada Reader's card expired on")
    expect()(reasons.nth(1)).to_contain_text("Ada Reader has 1 loan, the most a Junior patron")
    expect()(page.locator(ROWS)).to_have_count(1)  # the card's row: no copy scanned yet

    box.get_by_role("button", name="Renew the card").click()

    expect()(page.get_by_role("status").filter(has_text="card is renewed")).to_be_visible()
    expect()(reasons).to_have_count(1)
    expect()(reasons.nth(0)).to_contain_text("Ada Reader has 1 loan")
    expect()(box.get_by_role("button", name="Renew the card")).to_have_count(0)
    ada.refresh_from_db()
    assert ada.expires_on > timezone.localdate()


def test_renew_the_card_waits_for_the_scans_before_it(page, lent_in_order):
    """Pressed while scans wait for the server, the renewal (a page load) is held back and made
    once they are sent: in the order they were made, and none of them lost."""
    desk_user()
    ada = expired_patron()
    for n in (1, 2):
        CopyFactory(barcode=f"W-{n}", book=BookFactory(title=f"Waiting {n}"))
    network = Network(page)
    open_desk(page, "librarian")
    scan(page, ["CARD-1"])
    expect()(page.locator(".patron-name")).to_have_text("Ada Reader")

    network.mode = "refused"
    scan(page, ["W-1", "W-2"])
    waiting = page.locator(".desk-waiting")
    expect()(waiting).to_contain_text("2 scans waiting for the server")
    page.locator(".patron-card").get_by_role("button", name="Renew the card").click()

    expect()(waiting).to_contain_text("Renewing the card once the 2 waiting scans are sent.")
    expect()(page.locator(f"{ROWS}.pending")).to_have_count(2)  # still this page, still waiting
    assert not CirculationEvent.objects.filter(kind=EventKind.CARD_RENEWED).exists()
    network.mode = "up"

    # Sent first, the scans were refused for the expired card; then the card was renewed.
    expect()(page.get_by_role("status").filter(has_text="card is renewed")).to_be_visible()
    assert lent_in_order == ["W-1", "W-2"]
    assert not Loan.objects.filter(copy__barcode__startswith="W-").exists()
    assert CirculationEvent.objects.get(kind=EventKind.CARD_RENEWED).patron == ada
    expect()(page.locator(".patron-blocks")).to_have_count(0)
    assert codes_shown(page) == ["W-2", "W-1", "CARD-1"]
    expect()(row_of(page, "W-1")).to_contain_text("card expired")
    assert page.evaluate("() => window.localStorage.length") == 0


def test_an_administrator_lends_anyway_past_the_limit_and_the_expired_card(page):
    head = desk_administrator()
    expired_patron(max_loans=1, loans=1)
    CopyFactory(barcode="B-1", book=BookFactory(title="Middlemarch"))
    open_desk(page, "head")

    scan(page, ["CARD-1", "B-1"])

    row = row_of(page, "B-1")
    expect()(row).to_have_class("refused")
    expect()(row).to_contain_text("Ada Reader's card expired on")
    expect()(row).to_contain_text("Ada Reader has 1 loan, the most a Junior patron")
    lend = row.get_by_role("button", name=re.compile("^Lend anyway"))
    expect()(lend).to_have_accessible_name(
        "Lend anyway: Middlemarch (B-1), despite: card expired, loan limit reached"
    )
    row.get_by_label("Why").fill("Exam tomorrow")
    lend.click()

    expect()(page.locator(SCAN_FIELD)).to_be_focused()  # the next scan goes to the field
    settled(page)
    expect()(row_of(page, "B-1")).to_have_count(1)  # the refused row became the loan
    expect()(row_of(page, "B-1")).to_have_class("ok")
    expect()(row_of(page, "B-1")).to_contain_text("lent anyway (card expired, loan limit reached)")
    expect()(page.locator(".latest")).to_contain_text("Middlemarch (B-1) is due")
    expect()(page.locator("form[data-desk-override]")).to_have_count(0)
    assert Loan.objects.get(copy__barcode="B-1").patron.card_number == "CARD-1"
    events = CirculationEvent.objects.filter(kind=EventKind.OVERRIDE).order_by("id")
    assert [(e.from_state, e.actor_id, e.loan.copy.barcode) for e in events] == [
        ("card_expired", head.pk, "B-1"),
        ("max_loans", head.pk, "B-1"),
    ]
    assert all(e.note.endswith("Why: Exam tomorrow") for e in events)

    page.reload()  # the session's lines are the page's rows
    expect()(row_of(page, "B-1")).to_have_class("ok")
    assert codes_shown(page) == ["B-1", "CARD-1"]


def test_a_librarian_confirms_a_book_others_wait_for_but_is_never_offered_more(page):
    desk_user()
    PatronFactory(card_number="CARD-1", name="Ada Reader")
    held_for_someone_else("H-1", "Bleak House")
    expired_patron_card = PatronFactory(
        card_number="CARD-2",
        name="Bea Borrower",
        expires_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    CopyFactory(barcode="B-2")
    open_desk(page, "librarian")

    scan(page, ["CARD-2", "B-2"])
    refused = row_of(page, "B-2")
    expect()(refused).to_contain_text("Bea Borrower's card expired on")
    expect()(refused.get_by_role("button")).to_have_count(0)  # the reasons only
    expect()(page.get_by_role("button", name=re.compile("Lend anyway"))).to_have_count(0)

    scan(page, ["CARD-1", "H-1"])
    row = row_of(page, "H-1")
    expect()(row).to_contain_text("1 other patron is waiting for this book.")
    row.get_by_role("button", name=re.compile("^Lend anyway")).press("Enter")

    expect()(row_of(page, "H-1")).to_have_class("ok")
    expect()(row_of(page, "H-1")).to_contain_text("lent anyway (others wait for the book)")
    expect()(page.locator(SCAN_FIELD)).to_be_focused()
    assert Loan.objects.get(copy__barcode="H-1").patron.card_number == "CARD-1"
    (event,) = CirculationEvent.objects.filter(kind=EventKind.OVERRIDE)
    assert (event.from_state, event.actor.username) == ("book_held", "librarian")
    assert not Loan.objects.filter(patron=expired_patron_card).exists()


def test_lend_anyway_pressed_while_scans_wait_is_sent_after_them(page, lent_in_order):
    desk_user()
    PatronFactory(
        card_number="CARD-1",
        name="Ada Reader",
        category=PatronCategoryFactory(name="Reader", max_loans=10),
    )
    held_for_someone_else("H-1", "Bleak House")
    for n in (1, 2):
        CopyFactory(barcode=f"A-{n}", book=BookFactory(title=f"After {n}"))
    network = Network(page)
    open_desk(page, "librarian")
    scan(page, ["CARD-1", "H-1"])
    expect()(row_of(page, "H-1")).to_have_class("refused")

    network.mode = "refused"
    scan(page, ["A-1", "A-2"])
    row_of(page, "H-1").get_by_role("button", name=re.compile("^Lend anyway")).click()
    expect()(page.locator(SCAN_FIELD)).to_be_focused()
    expect()(page.locator(f"{ROWS}.pending")).to_have_count(3)
    # The refused row left the list; the "Lend anyway" waits on top, behind.
    assert codes_shown(page) == ["H-1", "A-2", "A-1", "CARD-1"]
    expect()(page.locator(ROWS).first).to_contain_text("Lend anyway: waiting to be sent.")
    network.mode = "up"

    settled(page)
    assert lent_in_order == ["H-1", "A-1", "A-2", "H-1"]  # the refusal, the scans, the override
    expect()(page.locator(f"{ROWS}.ok")).to_have_count(3)
    assert codes_shown(page) == ["H-1", "A-2", "A-1", "CARD-1"]
    page.reload()
    assert codes_shown(page) == ["H-1", "A-2", "A-1", "CARD-1"]
    assert set(Loan.objects.values_list("copy__barcode", flat=True)) == {"H-1", "A-1", "A-2"}


# --- A scan that starts outside the scan field ---------------------------------------------------


def refused_line_with_lend_anyway(page: Any) -> Any:
    desk_user()
    PatronFactory(card_number="CARD-1", name="Ada Reader")
    held_for_someone_else("H-1", "Bleak House")
    CopyFactory(barcode="S-0000001", book=BookFactory(title="Scanned Next"))
    open_desk(page, "librarian")
    scan(page, ["CARD-1", "H-1"])
    row = row_of(page, "H-1")
    expect()(row).to_have_class("refused")
    return row


def test_a_scan_while_the_focus_is_on_lend_anyway_is_a_scan_not_a_press(page):
    """The librarian tabbed to "Lend anyway" (or clicked somewhere) and scans the next copy: its
    Enter must not press the button; the code goes to the scan field and is lent."""
    row = refused_line_with_lend_anyway(page)
    row.get_by_role("button", name=re.compile("^Lend anyway")).focus()

    scan(page, ["S-0000001"])

    settled(page)
    expect()(row_of(page, "S-0000001")).to_have_class("ok")
    expect()(row_of(page, "H-1")).to_have_class("refused")  # not lent anyway
    assert not CirculationEvent.objects.filter(kind=EventKind.OVERRIDE).exists()
    assert set(Loan.objects.values_list("copy__barcode", flat=True)) == {"S-0000001"}
    expect()(page.locator(SCAN_FIELD)).to_be_focused()


def test_a_scan_into_the_why_field_is_taken_out_of_it_and_scanned(page):
    row = refused_line_with_lend_anyway(page)
    why = row.get_by_label("Why")
    why.click()

    scan(page, ["S-0000001"])

    settled(page)
    expect()(row_of(page, "S-0000001")).to_have_class("ok")
    expect()(why).to_have_value("")
    assert not CirculationEvent.objects.filter(kind=EventKind.OVERRIDE).exists()
    assert set(Loan.objects.values_list("copy__barcode", flat=True)) == {"S-0000001"}


def test_a_reason_typed_by_hand_stays_in_the_why_field(page):
    row = refused_line_with_lend_anyway(page)
    why = row.get_by_label("Why")
    why.click()

    page.keyboard.type("Wendy phoned to say so", delay=90)  # a person's pace

    expect()(why).to_have_value("Wendy phoned to say so")
    expect()(page.locator(SCAN_FIELD)).to_have_value("")
