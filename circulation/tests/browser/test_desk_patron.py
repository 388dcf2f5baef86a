"""A patron phones the desk: the librarian finds them, sees why they cannot borrow, renews
their card and their loans, and places a hold for them, with the keyboard only."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import Hold, HoldStatus, Loan
from circulation.tests.browser.helpers import desk_user, expect, sign_in
from circulation.tests.factories import PatronFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_librarian_serves_a_patron_on_the_phone(page):
    librarian = desk_user()
    librarian.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="circulation", codename="add_hold")
    )
    today = timezone.localdate()
    ada = PatronFactory(card_number="CARD-ADA", name="Ada Reader")
    services.loan_checkout(
        card_number=ada.card_number, barcode=CopyFactory(book=BookFactory(title="Emma")).barcode
    )
    ada.expires_on = today - datetime.timedelta(days=1)
    ada.save()
    wanted = CopyFactory(book=BookFactory(title="Bleak House"))
    services.loan_checkout(card_number=PatronFactory().card_number, barcode=wanted.barcode)

    page.goto("/account/sign-in/?next=/desk/patrons/")
    sign_in(page, "librarian")
    page.get_by_label("Name, email or card").fill("CARD-ADA")
    page.keyboard.press("Enter")  # a card opens the patron's page at once

    status = page.get_by_role("region", name="Card status")
    expect()(status).to_contain_text("Cannot borrow right now:")
    expect()(status).to_contain_text("Ada Reader's card expired on")

    page.get_by_role("button", name="Renew the card of Ada Reader").press("Enter")
    expect()(page.get_by_role("status")).to_contain_text("Ada Reader's card is renewed")
    expect()(page.get_by_role("region", name="Card status")).to_contain_text("Active")

    page.get_by_role("button", name="Renew all 1 loan").press("Enter")
    expect()(page.get_by_role("status")).to_contain_text("'Emma': Renewed: now due")
    assert Loan.objects.get(patron=ada).renewals == 1

    page.get_by_label("Place a hold: find a book").fill("bleak")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Place hold on Bleak House for Ada Reader").press("Enter")
    expect()(page.get_by_role("status")).to_contain_text(
        "Hold placed on 'Bleak House' for Ada Reader: number 1 in the queue."
    )
    hold = Hold.objects.get(patron=ada)
    assert (hold.book_id, hold.status) == (wanted.book_id, HoldStatus.WAITING)
