"""Every page type of the site on a phone (390 by 844 CSS pixels) and in a laptop's window (1280
by 900) in Debian's chromium, with realistic data (long titles, long unbroken words, barcodes,
e-mail addresses, file names): no horizontal scroll, and no accessibility problem of serious or
critical impact by axe-core, at either width.

Each page is loaded once, in the phone's window, checked, then checked again with the window
widened to the laptop's and narrowed back (the same page reflowed, as when a window is resized:
the stylesheet's wide layout and the scripts' state both, without loading it twice). The walk in
German checks the phone only: its point is long words in a narrow column.

Each test signs in as the account the pages are for (a visitor, a patron, a librarian at the desk,
staff who import and add books) and walks its pages; every page's problems are collected, so a
failure lists them all, each with the page's name. Out of scope: the Django admin, Swagger UI and
ReDoc (others' pages). The browsable API is DRF's page with the project's template and styles:
checked like the rest.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.test import override_settings
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from catalog.models import Copy
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import Hold, Loan, Patron
from circulation.services.feeds import calendar_feed_issue
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from interchange.models import ImportKind, ImportProblem, ImportRun, ImportStatus
from interchange.run_locks import run_lock
from shelfmark.testing.browser import (
    DESKTOP,
    PHONE,
    axe_problems,
    horizontal_overflow,
    open_page,
    overflowing_elements,
)
from stocktake.models import Stocktake
from stocktake.services import stocktake_close, stocktake_scan, stocktake_start

# Committed rows, for the live server's thread.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"
# Text as libraries have it: long titles, a compound word with no place to break, long codes.
LONG_TITLE = (
    "The Extraordinary and Unabridged Autobiographical Reminiscences of a Country Librarian, "
    "Volume the Second"
)
LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherung"
LONG_BARCODE = "31234000012345678901234"
LONG_EMAIL = "margaret.featherstonehaugh-cholmondeley@community-library.example.org"
LONG_FILE = "goodreads_library_export_2026-12-27_everything_from_the_old_system.csv"


def expect():  # imported late: the module must import without Playwright's browser too
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


class Visits:
    """A phone-sized browser session that checks each page it is shown, at the phone's width and
    (unless ``desktop`` is false) at the laptop's."""

    def __init__(
        self,
        browser,
        live_server,
        *,
        axe: bool = True,
        desktop: bool = True,
        locale: str | None = None,
    ) -> None:
        self.page = open_page(browser, live_server, viewport=PHONE, locale=locale)
        self.problems: list[str] = []
        self.axe = axe
        self.widths = (PHONE, DESKTOP) if desktop else (PHONE,)

    def sign_in(self, username: str) -> None:
        self.page.goto("/account/sign-in/")
        # By the fields' names: the labels are in the page's language.
        self.page.locator("input[name=username]").fill(username)
        self.page.locator("input[name=password]").fill(PASSWORD)
        self.page.keyboard.press("Enter")
        self.page.wait_for_url(re.compile(r"/(account|desk)/$"))

    def check(self, name: str, *, axe: bool | None = None) -> None:
        """The page shown now, called ``name`` in the failures."""
        self.page.wait_for_load_state()
        for viewport in self.widths:
            if viewport is not PHONE:
                self.page.set_viewport_size(viewport)
            where = f"{name} at {viewport['width']} px ({self.page.url})"
            overflow = horizontal_overflow(self.page)
            if overflow > 0:
                self.problems.append(
                    f"{where}: {overflow} px wider than the window, by "
                    + "; ".join(overflowing_elements(self.page))
                )
            if self.axe if axe is None else axe:
                self.problems.extend(f"{where}: {problem}" for problem in axe_problems(self.page))
        self.page.set_viewport_size(PHONE)

    def visit(self, name: str, path: str, *, axe: bool | None = None) -> None:
        self.page.goto(path)
        self.check(name, axe=axe)

    def assert_none(self) -> None:
        assert not self.problems, "\n".join(["Pages with problems:", *self.problems])


def login(username: str, **fields: Any):
    return get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)


def a_library() -> dict[str, Any]:
    """Books with long titles and codes, a patron with a login, loans (one overdue), holds
    waiting and ready, a hold to pull and the rest of a busy desk."""
    adult = PatronCategoryFactory(name="Adult", overdue_blocks=False)
    ada = PatronFactory(
        card_number="C-1001",
        name="Ada Featherstonehaugh-Cholmondeley",
        email=LONG_EMAIL,
        phone="+44 20 7946 0958",
        category=adult,
        user=login("ada", email=LONG_EMAIL),
        expires_on=timezone.localdate() + datetime.timedelta(days=300),
    )
    others = [PatronFactory(name=f"Reader {n}", category=adult) for n in range(3)]
    books = [
        BookFactory(
            title=LONG_TITLE,
            subtitle=f"With an Essay on the {LONG_WORD}",
            authors=["Margaret Featherstonehaugh-Cholmondeley", "Ada Lovelace"],
            subjects=["Libraries", LONG_WORD],
            description=f"A long description that names the {LONG_WORD} twice: {LONG_WORD}.",
            pages=1234,
        ),
        BookFactory(title="Middlemarch", authors=["George Eliot"]),
        BookFactory(title="Persuasion", authors=["Jane Austen"]),
        BookFactory(title="Bleak House", authors=["Charles Dickens"]),
        BookFactory(title="Emma", authors=["Jane Austen"]),
    ]
    copies = {
        book.title: [
            CopyFactory(
                book=book,
                barcode=f"{LONG_BARCODE}-{index}{n}",
                call_number="823.8 FEA-CHO v.2",
                location="Main library, first floor, local history room",
            )
            for n in range(2)
        ]
        for index, book in enumerate(books)
    }
    long_book, _, persuasion, bleak, emma = books

    # Ada has two loans, one overdue, and holds: one ready on the hold shelf, one waiting.
    overdue = services.loan_checkout(
        card_number=ada.card_number, barcode=copies[LONG_TITLE][0].barcode
    )
    Loan.objects.filter(pk=overdue.pk).update(
        due_on=timezone.localdate() - datetime.timedelta(days=3)
    )
    services.loan_checkout(card_number=ada.card_number, barcode=copies["Emma"][0].barcode)
    for copy in copies["Bleak House"] + copies["Persuasion"]:
        services.loan_checkout(card_number=others[0].card_number, barcode=copy.barcode)
    ready = services.hold_place(patron=ada, book=bleak)
    services.hold_place(patron=others[1], book=bleak)
    services.loan_checkin(barcode=copies["Bleak House"][0].barcode)  # trapped for Ada
    services.hold_place(patron=others[2], book=persuasion)
    services.hold_place(patron=ada, book=persuasion)
    # A hold to pull: someone waits for a book with a copy on the shelf.
    with override_settings(HOLDS_ALLOWED_WHEN_AVAILABLE=True):
        services.hold_place(patron=others[1], book=emma)
    calendar_feed_issue(patron=ada)
    return {
        "ada": ada,
        "books": books,
        "copies": copies,
        "ready": Hold.objects.get(pk=ready.pk),
        "long_book": long_book,
    }


def import_runs(by) -> dict[str, ImportRun]:
    now = timezone.now()
    mapping = {
        "Book Id": "(ignored)",
        "Title": "title",
        "Author l-f": "(ignored)",
        "Additional Authors": "authors",
        "ISBN13": "isbn",
        "Original Publication Year": "year",
        "My Review And Private Notes About This Edition": "(ignored)",
        "Bookshelves-with-positions": "(ignored)",
    }
    common = {
        "created_by": by,
        "source_name": LONG_FILE,
        "format": "goodreads",
        "encoding": "utf-8",
        "mapping": mapping,
        "size": 48_213,
    }
    preview = ImportRun.objects.create(
        **common,
        status=ImportStatus.DONE,
        options={"dry_run": True, "on_duplicate": "skip"},
        records=1_250,
        created=1_230,
        skipped=12,
        failed=8,
        bytes_read=48_213,
        started_at=now,
        finished_at=now,
        last_progress_at=now,
    )
    for number in range(2, 10):
        ImportProblem.objects.create(
            run=preview,
            number=number,
            field="isbn",
            reason="'978-0-14-143951-9' has a wrong check digit: check it was typed correctly.",
            value=f"https://www.goodreads.com/book/show/{LONG_WORD}?from_search=true&qid={number}",
        )
    running = ImportRun.objects.create(
        **common,
        status=ImportStatus.RUNNING,
        options={"dry_run": False, "on_duplicate": "update"},
        records=400,
        created=380,
        failed=2,
        bytes_read=16_000,
        started_at=now,
        last_progress_at=now,
    )
    done = ImportRun.objects.create(
        **{**common, "kind": ImportKind.PATRONS, "source_name": "class_list_year_7.csv"},
        status=ImportStatus.DONE,
        options={"dry_run": False, "on_duplicate": "skip"},
        records=31,
        created=31,
        bytes_read=48_213,
        started_at=now,
        finished_at=now,
        last_progress_at=now,
    )
    return {"preview": preview, "running": running, "done": done}


def staff_login(username: str = "librarian"):
    """Staff with every right the site's staff pages ask for (the widest menu, too)."""
    return login(username, is_staff=True, is_superuser=True)


def stocktakes(library: dict[str, Any]) -> tuple[Stocktake, Stocktake]:
    """An open stocktake with a scan of each kind, and a closed one that missed copies."""
    librarian = get_user_model().objects.get(username="librarian")
    open_one = stocktake_start(name="Main shelves, fiction A to K", by=librarian)
    barcodes = list(Copy.objects.values_list("barcode", flat=True)[:3])
    for code in [*barcodes, barcodes[0], "NOT-A-COPY-OF-OURS-1234567890"]:
        stocktake_scan(stocktake=open_one, barcode=code, by=librarian)
    closed_one = stocktake_start(location="Main shelves", by=librarian)
    stocktake_scan(stocktake=closed_one, barcode=barcodes[0], by=librarian)
    return open_one, stocktake_close(stocktake=closed_one, by=librarian)


def test_a_visitors_pages_fit_a_phone_and_pass_axe(browser, live_server, settings):
    library = a_library()
    token_user = library["ada"].user
    visits = Visits(browser, live_server)

    visits.visit("Catalog home", "/")
    visits.visit("Catalog search results", "/?q=the")
    # The facets, with a long subject among them, and two filters in use.
    visits.visit("Catalog search narrowed by facets", "/?q=a&decade=1900&subject=Libraries")
    visits.visit("Book page with copies and holds", f"/books/{library['long_book'].pk}/")
    visits.visit("Sign in", "/account/sign-in/")
    visits.visit("Password reset", "/account/password/reset/")
    visits.visit("Password reset sent", "/account/password/reset/sent/")
    uid = urlsafe_base64_encode(force_bytes(token_user.pk))
    token = default_token_generator.make_token(token_user)
    visits.visit("Password set", f"/account/password/set/{uid}/{token}/")
    visits.visit("Password set, used link", "/account/password/set/MQ/not-a-token/")
    # The production error pages (DEBUG on shows Django's technical page instead).
    settings.DEBUG = False
    visits.visit("404 page", "/no-such-page/with/a/long/path/that/goes/on/and/on/")
    settings.DEBUG = True
    visits.visit("API root (browsable API)", "/api/")

    visits.assert_none()


def test_a_patrons_pages_fit_a_phone_and_pass_axe(browser, live_server):
    library = a_library()
    visits = Visits(browser, live_server)
    visits.sign_in("ada")

    visits.check("My account, with loans, holds and the calendar link")
    page = visits.page
    page.get_by_role("button", name="Make a new link").click()
    visits.check("My account, showing a new calendar link")
    page.get_by_role("button", name=re.compile("Cancel hold on Bleak House")).click()
    expect()(page.get_by_role("heading", name="Cancel this hold?")).to_be_visible()
    visits.check("Cancel a ready hold: the confirmation")
    visits.visit("Book page, as a patron with a hold", f"/books/{library['books'][2].pk}/")
    visits.visit("Book page, a ready hold", f"/books/{library['books'][3].pk}/")
    visits.visit("Desk, refused to a patron (403)", "/desk/")
    visits.visit("Add by ISBN, refused to a patron (403)", "/catalog/add/")
    visits.visit("Imports, refused to a patron (403)", "/staff/imports/")

    visits.assert_none()


def test_the_desks_pages_fit_a_phone_and_pass_axe(browser, live_server):
    library = a_library()
    staff_login()
    ada: Patron = library["ada"]
    visits = Visits(browser, live_server)
    visits.sign_in("librarian")
    page = visits.page

    visits.check("Desk: check out, no patron yet")
    page.get_by_label("Patron card").fill(ada.card_number)
    page.keyboard.press("Enter")
    expect()(page.locator(".patron-name")).to_contain_text("Ada")
    for copy in library["copies"]["Middlemarch"]:
        page.get_by_label("Copy barcode").fill(copy.barcode)
        page.keyboard.press("Enter")
        expect()(page.locator(".latest")).to_contain_text(copy.barcode)
    visits.check("Desk: check out, a patron and lines")
    # Someone waits for Emma: lending Ada its other copy is refused, with "Lend anyway".
    page.get_by_label("Copy barcode").fill(library["copies"]["Emma"][1].barcode)
    page.keyboard.press("Enter")
    expect()(
        page.locator(".latest").get_by_role("button", name=re.compile("Lend anyway"))
    ).to_be_visible()
    visits.check("Desk: check out, a refused line offering Lend anyway")
    # A patron whose card has expired: the box's reasons and "Renew the card".
    PatronFactory(
        card_number="C-2002",
        name="Bartholomew Featherstonehaugh-Cholmondeley",
        expires_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    page.get_by_role("button", name="Next patron").click()
    page.get_by_label("Patron card").fill("C-2002")
    page.keyboard.press("Enter")
    expect()(
        page.locator(".patron-card").get_by_role("button", name="Renew the card")
    ).to_be_visible()
    visits.check("Desk: check out, a patron who cannot borrow (the reasons, Renew the card)")
    visits.visit("Desk: check in, empty", "/desk/checkin/")
    for copy in library["copies"]["Persuasion"][:1] + library["copies"]["Middlemarch"][:1]:
        page.get_by_label("Copy barcode").fill(copy.barcode)
        page.keyboard.press("Enter")
        # The newest line's box, with or without the desk's script (which keeps a trapped
        # hold's box up after the next scan).
        expect()(page.locator(".latest")).to_contain_text(copy.barcode)
    visits.check("Desk: check in, with lines and a trapped hold")
    visits.visit("Desk: patron search", "/desk/patrons/?q=a")
    visits.visit("Desk: patron page", f"/desk/patrons/{ada.pk}/")
    visits.visit("Desk: patron page, finding a book to hold", f"/desk/patrons/{ada.pk}/?book=the")
    page.get_by_role("button", name=re.compile("Cancel hold on Bleak House")).click()
    expect()(page.get_by_role("heading", name="Cancel this hold?")).to_be_visible()
    visits.check("Desk: cancel a ready hold, the confirmation")
    visits.visit("Desk: overdue", "/desk/overdue/")
    visits.visit("Desk: hold shelf", "/desk/holds/")
    visits.visit("Desk: hold slip", f"/desk/holds/{library['ready'].pk}/slip/")

    visits.assert_none()


def test_the_staff_import_and_add_pages_fit_a_phone_and_pass_axe(
    browser, live_server, monkeypatch, settings
):
    library = a_library()
    runs = import_runs(staff_login())
    visits = Visits(browser, live_server)
    visits.sign_in("librarian")

    visits.visit("Imports: list", "/staff/imports/")
    visits.visit("Imports: new", "/staff/imports/new/")
    visits.visit("Imports: preview", f"/staff/imports/{runs['preview'].pk}/")
    # Its progress as it goes on: this test holds the run's lock, as the worker running it would
    # (without, it is a run whose worker ended: stalled).
    with run_lock(runs["running"].pk) as taken:
        assert taken
        visits.visit("Imports: progress", f"/staff/imports/{runs['running'].pk}/")
    visits.visit("Imports: result", f"/staff/imports/{runs['done'].pk}/")
    visits.visit("Labels", "/staff/labels/")
    visits.visit("Reports", "/staff/reports/")
    visits.visit("Report: loans per month (a chart of months)", "/staff/reports/loans-per-month/")
    visits.visit("Report: busiest titles (a ranking)", "/staff/reports/busiest-titles/")
    visits.visit("Report: overdue loans, with contacts", "/staff/reports/overdue/")
    visits.visit("Report: a bad period", "/staff/reports/overdue/?from=soon")
    visits.visit("Stocktakes", "/staff/stocktake/")
    open_one, closed_one = stocktakes(library)
    visits.visit("Stocktake, open, with surprises", f"/staff/stocktake/{open_one.pk}/")
    visits.visit(
        "Stocktake, closed, with what it did not see", f"/staff/stocktake/{closed_one.pk}/"
    )
    visits.visit("Add by ISBN", "/catalog/add/")
    isbn = library["long_book"].isbn
    visits.visit("Add by ISBN: a book in the catalog", f"/catalog/add/?isbn={isbn}")
    # Open Library out of reach (as the suite's conftest makes it): the form to fill in.
    visits.visit("Add by ISBN: the manual form", "/catalog/add/?isbn=9780306406157")
    visits.visit("Copy cataloguing", "/staff/copy-cataloguing/")
    # A catalog out of reach (nothing listens on port 9 here): its message, in the results.
    settings.COPYCAT_TARGETS = [
        {"key": "away", "name": "A catalog out of reach", "url": "http://127.0.0.1:9/sru"}
    ]
    visits.visit(
        "Copy cataloguing: a catalog out of reach",
        "/staff/copy-cataloguing/?search_by=isbn&term=9780306406157",
    )
    visits.visit("My account, a login without a library card", "/account/")
    visits.visit("API root (browsable API), as staff", "/api/")

    visits.assert_none()


def test_the_pages_in_german_fit_a_phone_and_pass_axe(browser, live_server):
    """German's long words (Ausleihtheke, Vormerkungen, Inventur…) on a phone: every page type
    that the English walks above visit, in a browser set to German."""
    library = a_library()
    runs = import_runs(staff_login())
    visits = Visits(browser, live_server, desktop=False, locale="de-DE")

    visits.visit("Katalog", "/")
    expect()(visits.page.locator("html")).to_have_attribute("lang", "de")
    visits.visit("Suche mit Facetten", "/?q=a&decade=1900&subject=Libraries")
    visits.visit("Buchseite", f"/books/{library['long_book'].pk}/")
    visits.visit("Anmelden", "/account/sign-in/")
    visits.visit("Passwort vergessen", "/account/password/reset/")
    visits.sign_in("ada")
    visits.check("Mein Konto")
    visits.page.context.clear_cookies()
    visits.sign_in("librarian")
    ada: Patron = library["ada"]
    visits.visit("Theke: Ausleihe", "/desk/")
    visits.visit("Theke: Rückgabe", "/desk/checkin/")
    visits.visit("Theke: Lesersuche", "/desk/patrons/?q=a")
    visits.visit("Theke: Leser", f"/desk/patrons/{ada.pk}/")
    visits.visit("Theke: überfällig", "/desk/overdue/")
    visits.visit("Theke: Abholregal", "/desk/holds/")
    visits.visit("Theke: Abholzettel", f"/desk/holds/{library['ready'].pk}/slip/")
    visits.visit("Importe", "/staff/imports/")
    visits.visit("Neuer Import", "/staff/imports/new/")
    visits.visit("Import: Vorschau", f"/staff/imports/{runs['preview'].pk}/")
    visits.visit("Import: Ergebnis", f"/staff/imports/{runs['done'].pk}/")
    visits.visit("Etiketten", "/staff/labels/")
    visits.visit("Berichte", "/staff/reports/")
    visits.visit("Bericht: Ausleihen pro Monat", "/staff/reports/loans-per-month/")
    visits.visit("Bericht: überfällig", "/staff/reports/overdue/")
    open_one, closed_one = stocktakes(library)
    visits.visit("Inventur", "/staff/stocktake/")
    visits.visit("Inventur, offen", f"/staff/stocktake/{open_one.pk}/")
    visits.visit("Inventur, abgeschlossen", f"/staff/stocktake/{closed_one.pk}/")
    visits.visit("Per ISBN hinzufügen", "/catalog/add/")
    visits.visit("Fremddaten übernehmen", "/staff/copy-cataloguing/")
    visits.visit("API (browsable)", "/api/")

    visits.assert_none()


def test_the_checks_catch_what_they_look_for(browser, live_server):
    """The two checks on a page made to fail them: a wide table, an image without a text and
    light grey on white."""
    page = open_page(browser, live_server, viewport=PHONE)
    page.set_content(
        "<!doctype html><html lang='en'><head><title>Broken</title></head><body><main>"
        "<h1>Broken</h1><table><tr><td>" + "W" * 120 + "</td></tr></table>"
        "<img src='/static/shelfmark/favicon.svg'>"
        "<p style='color: #bbb; background: #fff'>Hard to read</p></main></body></html>"
    )

    assert horizontal_overflow(page) > 0
    problems = axe_problems(page)
    assert any(problem.startswith("image-alt (critical)") for problem in problems), problems
    assert any(problem.startswith("color-contrast (serious)") for problem in problems), problems


def test_the_fines_pages_fit_a_phone_and_pass_axe(browser, live_server, settings):
    """With fines on (the live server runs in this process: the setting reaches it): the desk's
    patron page with a ledger, its pay and waive forms, and the patron's own account."""
    settings.FINES_ENABLED = True
    settings.FINES_CURRENCY = "EUR"
    library = a_library()
    staff_login()
    ada = library["ada"]
    ada.category.fine_per_day = "0.30"
    ada.category.save()
    Loan.objects.filter(patron=ada, checked_in_at__isnull=True).update(
        due_on=timezone.localdate() - datetime.timedelta(days=9)
    )
    from circulation.services.fines import fine_payment, fines_accrue

    fines_accrue()
    fine_payment(patron=ada, amount="0.50", note="coins at the desk")
    visits = Visits(browser, live_server)
    visits.sign_in("librarian")
    visits.visit("Desk: a patron's fines, with pay and waive", f"/desk/patrons/{ada.pk}/")
    expect()(visits.page.get_by_role("button", name="Take payment")).to_be_visible()
    expect()(visits.page.get_by_role("button", name=re.compile("^Waive"))).not_to_have_count(0)
    # Taking a payment at the desk, as a librarian does: the form, then the message.
    page = visits.page
    page.get_by_label("Payment").fill("0.40")
    page.get_by_label("Note").fill("cash")
    page.get_by_role("button", name="Take payment").click()
    expect()(page.get_by_role("status")).to_contain_text("Payment of 0.40 taken from")
    visits.check("Desk: a patron's fines after a payment")
    visits.assert_none()
    patron = Visits(browser, live_server)
    patron.sign_in("ada")
    patron.check("My account, with fines")
    expect()(patron.page.get_by_role("heading", name="Fines")).to_be_visible()
    patron.assert_none()
