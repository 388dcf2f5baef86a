"""The site in the visitor's language, in a real browser: the browser's Accept-Language, the
switcher at the foot of every page (a cookie that outranks the browser), and the desk's script
speaking the page's language (Django's JavaScript catalog) with dates in the language's format."""

from __future__ import annotations

import pytest
from django.utils import formats, timezone, translation

from catalog.tests.factories import BookFactory, CopyFactory
from circulation.tests.browser.helpers import PASSWORD, desk_user, expect
from circulation.tests.factories import PatronFactory
from shelfmark.testing.browser import open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_german_browser_gets_german_and_the_switcher_changes_it(browser, live_server):
    BookFactory(title="Effi Briest")
    page = open_page(browser, live_server, locale="de-DE")

    page.goto("/")
    expect()(page.locator("html")).to_have_attribute("lang", "de")
    with translation.override("de"):
        sign_in, language_label = translation.gettext("Sign in"), translation.gettext("Language")
    assert sign_in != "Sign in"
    expect()(page.get_by_role("link", name=sign_in)).to_be_visible()
    expect()(page.get_by_label(language_label)).to_have_value("de")

    page.get_by_label(language_label).select_option("en")
    page.locator(".language-switcher button").click()

    expect()(page.locator("html")).to_have_attribute("lang", "en")
    expect()(page.get_by_role("link", name="Sign in")).to_be_visible()
    # The choice outlasts the page: the cookie outranks the browser's German.
    page.goto("/account/sign-in/")
    expect()(page.locator("html")).to_have_attribute("lang", "en")
    expect()(page.get_by_label("Username")).to_be_visible()


def test_the_desk_speaks_german_in_its_script_and_its_dates(browser, live_server):
    desk_user()
    patron = PatronFactory(card_number="C-4711", name="Greta Leser")
    copy = CopyFactory(book=BookFactory(title="Effi Briest"), barcode="B-0815")
    page = open_page(browser, live_server, locale="de-DE")
    page.goto("/account/sign-in/?next=/desk/")
    page.locator("input[name=username]").fill("librarian")
    page.locator("input[name=password]").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/desk/")

    with translation.override("de"):
        card, barcode = translation.gettext("Patron card"), translation.gettext("Copy barcode")
    assert (card, barcode) != ("Patron card", "Copy barcode")
    page.get_by_label(card).fill(patron.card_number)
    page.keyboard.press("Enter")
    expect()(page.locator(".patron-name")).to_contain_text("Greta Leser")
    # desk.js relabels the field for the copies: in German, from the JavaScript catalog.
    page.get_by_label(barcode).fill(copy.barcode)
    page.keyboard.press("Enter")

    expect()(page.locator(".latest")).to_contain_text(copy.barcode)
    loan = copy.loans.get()
    with translation.override("de"):
        due = formats.date_format(loan.due_on, "SHORT_DATE_FORMAT")
    assert "." in due  # So, 27.12.2026
    expect()(page.locator(".latest")).to_contain_text(due)
    assert loan.due_on > timezone.localdate()
