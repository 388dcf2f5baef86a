"""The desk and self-service flows in a real browser, with the keyboard as a barcode scanner
uses it: type the code, press Enter."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import Hold, HoldStatus, Loan
from circulation.tests.browser.conftest import open_page
from circulation.tests.browser.helpers import desk_user, expect, login, sign_in
from circulation.tests.factories import PatronCategoryFactory, PatronFactory

# Committed rows, for the live server's thread.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_check_out_two_copies_by_typing_barcodes_and_check_one_in_to_a_hold(
    browser, live_server
):
    # With JavaScript off: the desk needs none.
    page = open_page(browser, live_server, javascript=False)
    desk_user()
    PatronFactory(card_number="CARD-1", name="Ada Reader")
    CopyFactory(barcode="B-1", book=BookFactory(title="Middlemarch"))
    CopyFactory(barcode="B-2", book=BookFactory(title="Persuasion"))
    wendy = PatronFactory(card_number="CARD-W", name="Wendy Waiting")

    page.goto("/desk/")
    expect()(page).to_have_url(re.compile(r"/account/sign-in/\?next=/desk/$"))
    sign_in(page, "librarian")
    expect()(page.get_by_role("heading", name="Check out")).to_be_visible()

    # The card input has the focus: the scanner types into it at once.
    expect()(page.get_by_label("Patron card")).to_be_focused()
    page.keyboard.type("CARD-1")
    page.keyboard.press("Enter")
    expect()(page.locator(".patron-name")).to_have_text("Ada Reader")
    for barcode in ("B-1", "B-2"):
        expect()(page.get_by_label("Copy barcode")).to_be_focused()
        page.keyboard.type(barcode)
        page.keyboard.press("Enter")
        expect()(page.locator(".latest")).to_contain_text(f"({barcode}) is due")

    due = timezone.localdate() + datetime.timedelta(days=21)
    lines = page.locator("table.lines tbody tr")
    expect()(lines).to_have_count(2)
    expect()(lines.nth(0)).to_contain_text("Persuasion")
    expect()(lines.nth(1)).to_contain_text("Middlemarch")
    expect()(lines.nth(1)).to_contain_text(f"Due {due:%a} {due.day} {due:%b %Y}")
    assert set(Loan.objects.values_list("copy__barcode", "patron__card_number")) == {
        ("B-1", "CARD-1"),
        ("B-2", "CARD-1"),
    }

    # Someone joins the queue for Middlemarch; its return traps the hold for them.
    services.hold_place(patron=wendy, book=Loan.objects.get(copy__barcode="B-1").copy.book)
    page.get_by_role("link", name="Check in").click()
    expect()(page.get_by_label("Copy barcode")).to_be_focused()
    page.keyboard.type("B-1")
    page.keyboard.press("Enter")

    alert = page.get_by_role("alert")
    expect()(alert).to_contain_text("Hold: put this copy on the hold shelf")
    expect()(alert).to_contain_text("Wendy Waiting")
    expect()(alert).to_contain_text("CARD-W")
    alert.get_by_role("link", name="Print the shelf slip").click()
    slip = page.get_by_role("article", name="Hold shelf slip")
    expect()(slip).to_contain_text("Wendy Waiting")
    expect()(slip).to_contain_text("Middlemarch")
    hold = Hold.objects.get(patron=wendy)
    assert (hold.status, hold.copy.barcode) == (HoldStatus.READY, "B-1")


def test_a_patron_signs_in_places_a_hold_sees_their_place_and_renews_a_loan(page):
    category = PatronCategoryFactory()
    user = login("ada", email="ada@example.org")
    ada = PatronFactory(card_number="CARD-ADA", name="Ada Reader", user=user, category=category)
    emma = CopyFactory(barcode="E-1", book=BookFactory(title="Emma"))
    loan = services.loan_checkout(card_number=ada.card_number, barcode=emma.barcode)
    Loan.objects.filter(pk=loan.pk).update(due_on=timezone.localdate() + datetime.timedelta(days=2))
    # Bleak House's one copy is out, and someone waits for it already.
    bleak = CopyFactory(barcode="BH-1", book=BookFactory(title="Bleak House"))
    services.loan_checkout(card_number=PatronFactory().card_number, barcode=bleak.barcode)
    services.hold_place(patron=PatronFactory(), book=bleak.book)

    page.goto("/")
    page.get_by_role("link", name="Sign in").click()
    sign_in(page, "ada")
    expect()(page.get_by_role("heading", name="My account")).to_be_visible()

    page.goto(f"/books/{bleak.book.pk}/")
    expect()(page.locator(".holds-waiting")).to_contain_text("1 person is waiting")
    page.get_by_role("button", name="Place hold").click()
    expect()(page.get_by_role("status")).to_contain_text(
        "Hold placed on 'Bleak House': you are number 2 in the queue."
    )

    page.get_by_role("navigation", name="Site").get_by_role("link", name="My account").click()
    holds = page.locator("section", has=page.get_by_role("heading", name="Holds"))
    expect()(holds.get_by_role("row", name=re.compile("Bleak House"))).to_contain_text(
        "you are number 2 in the queue"
    )

    page.get_by_role("button", name="Renew Emma").click()
    loan.refresh_from_db()
    assert loan.renewals == 1
    expect()(page.get_by_role("status")).to_contain_text(
        f"Renewed 'Emma': now due {loan.due_on:%A} {loan.due_on.day} {loan.due_on:%B %Y}."
    )
    loans = page.locator("section", has=page.get_by_role("heading", name="Loans"))
    expect()(loans.get_by_role("row", name=re.compile("Emma"))).to_contain_text("1 of 2")


def test_scans_typed_faster_than_the_pages_load_are_each_kept(page):
    """A scanner does not wait for the page: with JavaScript on, the page stays open and each
    Enter queues its code at once (circulation/static/circulation/desk.js), so no key is lost
    or run into the next code; the card's row comes first, then a row per copy."""
    desk_user()
    PatronFactory(card_number="CARD-1", name="Ada Reader")
    for n in range(1, 4):
        CopyFactory(barcode=f"F-{n}", book=BookFactory(title=f"Fast {n}"))
    page.goto("/account/sign-in/?next=/desk/")
    sign_in(page, "librarian")
    expect()(page.get_by_label("Patron card")).to_be_focused()

    page.keyboard.type("CARD-1\nF-1\nF-2\nF-3\n")  # no waiting between scans

    lines = page.locator("table.lines tbody tr")
    expect()(lines).to_have_count(4)
    expect()(page.locator("table.lines tbody tr.pending")).to_have_count(0, timeout=30_000)
    expect()(lines.nth(3)).to_contain_text("Ada Reader")
    for n in range(1, 4):
        expect()(lines.nth(3 - n)).to_contain_text(f"Fast {n}")
    expect()(page.locator("table.lines")).not_to_contain_text("Refused")
    expect()(page.locator(".patron-name")).to_have_text("Ada Reader")
    assert sorted(Loan.objects.values_list("copy__barcode", flat=True)) == ["F-1", "F-2", "F-3"]
