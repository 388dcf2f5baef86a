"""A stocktake in a real browser: codes typed at a USB scanner's speed, with no pause between
them, all counted once, in order; the network dropping mid-burst loses none; a reload keeps
what waits to be sent."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from catalog.tests.factories import BookFactory, CopyFactory
from circulation.tests.browser.helpers import expect, login, sign_in
from circulation.tests.browser.test_desk_queue import SCANNER_KEY_DELAY_MS
from stocktake.models import Stocktake, StocktakeScan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CODES = [f"SHELF-{n:03d}" for n in range(30)]


def _library():
    # Permissions of its own: a transactional test's flush takes the migrations' groups away.
    login("librarian", is_staff=True).user_permissions.set(
        Permission.objects.filter(content_type__app_label="stocktake")
    )
    book = BookFactory(title="The Moonstone")
    for code in CODES:
        CopyFactory(book=book, barcode=code, location="Main", call_number="823 COL")
    return Stocktake.objects.create(name="Main shelves", location="Main")


def _open(page, stocktake):
    page.goto(f"/account/sign-in/?next=/staff/stocktake/{stocktake.pk}/")
    sign_in(page, "librarian")
    expect()(page.get_by_role("heading", name="Main shelves")).to_be_visible()
    page.get_by_label("Scan a copy").focus()


def test_a_scanner_burst_is_counted_whole(page):
    stocktake = _library()
    _open(page, stocktake)
    page.keyboard.type(
        "".join(f"{code}\n" for code in [*CODES, "NOT-OURS"]), delay=SCANNER_KEY_DELAY_MS
    )
    rows = page.locator("#scans tbody tr")
    expect()(rows).to_have_count(len(CODES) + 1)
    expect()(page.locator("#count-seen")).to_have_text(str(len(CODES)))
    expect()(page.locator("#count-surprises")).to_have_text("1")
    expect()(rows.first).to_contain_text("NOT-OURS")
    scans = list(StocktakeScan.objects.filter(stocktake=stocktake).order_by("id"))
    assert [scan.barcode for scan in scans] == [*CODES, "NOT-OURS"]
    assert [scan.outcome for scan in scans] == ["seen"] * len(CODES) + ["unknown"]


def test_the_network_dropping_mid_burst_loses_no_scan(page):
    stocktake = _library()
    _open(page, stocktake)
    url = f"**/staff/stocktake/{stocktake.pk}/scan/"
    refused = {"count": 0}

    def refuse_some(route):
        if refused["count"] < 8:
            refused["count"] += 1
            route.abort()
        else:
            route.continue_()

    page.route(url, refuse_some)
    page.keyboard.type("".join(f"{code}\n" for code in CODES[:12]), delay=SCANNER_KEY_DELAY_MS)
    expect()(page.locator("#scans tbody tr")).to_have_count(12)
    # A reload with scans waiting: they are sent from the page that comes back.
    page.unroute(url)
    page.route(url, lambda route: route.abort())
    page.keyboard.type("".join(f"{code}\n" for code in CODES[12:15]), delay=SCANNER_KEY_DELAY_MS)
    expect()(page.locator("#queue-status")).to_contain_text("waiting")
    page.unroute(url)
    page.reload()
    expect()(page.locator("#count-seen")).to_have_text("15")
    scans = StocktakeScan.objects.filter(stocktake=stocktake)
    assert sorted(scans.values_list("barcode", flat=True)) == CODES[:15]
