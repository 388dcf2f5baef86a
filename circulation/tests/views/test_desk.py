"""circulation.views.desk: the staff desk, page by page, with every refusal shown inline."""

from __future__ import annotations

import datetime
import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from catalog.models import CopyStatus, LoanType
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CirculationEvent, EventKind, Hold, HoldStatus, Loan, Patron
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from circulation.tests.views.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
# Every desk page: the session, the user, and their permissions (their own, their groups').
SIGNED_IN_QUERIES = 4


def text_of(html: str) -> str:
    """Text with tags dropped, entities decoded and spaces squashed: what a page says."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def text(response) -> str:
    return text_of(response.content.decode())


@pytest.fixture
def patron():
    return PatronFactory(card_number="CARD-1", name="Ada Reader")


@pytest.fixture
def copies():
    return [
        CopyFactory(barcode="B-1", book=BookFactory(title="Middlemarch")),
        CopyFactory(barcode="B-2", book=BookFactory(title="Persuasion")),
    ]


def scan_card(client: Client, card: str):
    return client.post("/desk/", {"action": "patron", "card": card}, follow=True)


def scan_copy(client: Client, barcode: str):
    return client.post("/desk/", {"action": "copy", "barcode": barcode}, follow=True)


def check_in(client: Client, barcode: str):
    return client.post("/desk/checkin/", {"barcode": barcode}, follow=True)


# --- Who may use the desk ------------------------------------------------------------------------

DESK_PAGES = [
    "/desk/",
    "/desk/checkin/",
    "/desk/patrons/",
    "/desk/patrons/{patron}/",
    "/desk/overdue/",
    "/desk/holds/",
]


@pytest.mark.parametrize("path", DESK_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, patron, path):
    response = client.get(path.format(patron=patron.pk))

    assert response.status_code == 302
    assert response["Location"].startswith("/account/sign-in/?next=/desk/")


@pytest.mark.parametrize("path", DESK_PAGES)
def test_patrons_and_staff_without_circulation_rights_get_a_403_that_says_why(client, patron, path):
    cataloguer = get_user_model().objects.create_user(
        "cataloguer", password=PASSWORD, is_staff=True
    )
    cataloguer.user_permissions.set(Permission.objects.filter(content_type__app_label="catalog"))
    for user in (get_user_model().objects.create_user("someone", password=PASSWORD), cataloguer):
        client.force_login(user)
        response = client.get(path.format(patron=patron.pk))

        assert response.status_code == 403
        assert "Librarians group" in text(response)


@pytest.mark.parametrize("path", DESK_PAGES)
def test_a_librarian_sees_every_desk_page_with_the_desk_navigation(desk, patron, path):
    response = desk.get(path.format(patron=patron.pk))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<nav class="desk-nav" aria-label="Desk">' in html
    assert 'aria-current="page"' in html
    assert html.count(" autofocus") <= 1  # one place for the scanner to type into, at most


def test_the_site_navigation_links_the_desk_for_librarians_only(desk, client, patron_user):
    assert 'href="/desk/">Desk</a>' in desk.get("/").content.decode()
    client.force_login(patron_user)
    assert 'href="/desk/"' not in client.get("/").content.decode()


# --- Checkout ------------------------------------------------------------------------------------


def test_checkout_asks_for_a_card_first_with_the_input_focused(desk):
    html = desk.get("/desk/").content.decode()

    assert '<label for="card">Patron card</label>' in html
    assert re.search(r'<input[^>]+id="card"[^>]+autofocus', html, re.S)
    assert 'id="barcode"' not in html


def test_checkout_lends_copies_one_after_another_each_line_with_title_and_due_date(
    desk, patron, copies
):
    page = scan_card(desk, "CARD-1")
    assert "Ada Reader" in text(page)
    assert re.search(r'<input[^>]+id="barcode"[^>]+autofocus', page.content.decode(), re.S)

    scan_copy(desk, "B-1")
    page = scan_copy(desk, "B-2")

    due = TODAY() + datetime.timedelta(days=21)
    shown = text(page)
    assert f"Persuasion (B-2) is due {due:%a} {due.day} {due:%b %Y}" in shown
    rows = re.findall(r'<tr class="ok">(.*?)</tr>', page.content.decode(), re.S)
    assert [re.search(r"B-\d", row).group() for row in rows] == ["B-2", "B-1"]  # newest first
    assert "Middlemarch" in rows[1]
    assert f"{due:%a} {due.day} {due:%b %Y}" in rows[1]
    assert set(Loan.objects.values_list("copy__barcode", flat=True)) == {"B-1", "B-2"}
    assert set(Loan.objects.values_list("patron_id", flat=True)) == {patron.pk}


def test_each_refusal_is_a_line_with_the_services_message_and_the_next_scan_still_works(
    desk, patron, copies
):
    other = PatronFactory(card_number="CARD-2")
    services.loan_checkout(card_number=other.card_number, barcode="B-1")
    CopyFactory(barcode="REF-1", book=BookFactory(title="Atlas"), loan_type=LoanType.REFERENCE)
    scan_card(desk, "CARD-1")

    on_loan = text(scan_copy(desk, "B-1"))
    assert "Refused: Middlemarch (B-1). Copy B-1 is on loan to another patron." in on_loan
    unknown = text(scan_copy(desk, "NOPE-9"))
    assert "Refused (NOPE-9). No copy has barcode NOPE-9." in unknown
    reference = text(scan_copy(desk, "REF-1"))
    assert "Copy REF-1 is not for loan (reference)." in reference
    page = scan_copy(desk, "B-2")

    assert "Persuasion (B-2) is due" in text(page)
    assert page.content.decode().count('<tr class="refused">') == 3
    assert Loan.objects.get(copy__barcode="B-2").patron == patron


def test_a_blocked_patron_is_shown_as_blocked_and_every_copy_is_refused(desk, patron, copies):
    services.patron_update(patron=patron, blocked=True, block_reason="Lost three books")

    page = scan_card(desk, "CARD-1")
    assert "Cannot borrow right now: Ada Reader's card is blocked: Lost three books" in text(page)
    page = scan_copy(desk, "B-1")

    assert "Ada Reader's card is blocked: Lost three books" in text(page)
    assert not Loan.objects.exists()


def test_an_unknown_card_says_so_and_keeps_asking_for_a_card(desk):
    page = scan_card(desk, "  WHO-1 ")

    assert page.status_code == 200
    assert "No patron has card number WHO-1." in text(page)
    # The field is empty again: the next scan must not run into the last one.
    assert re.search(r'<input[^>]+id="card"(?![^>]*value=)[^>]*>', page.content.decode())
    # Shown once: the next visit is a clean form.
    assert "No patron has card number" not in text(desk.get("/desk/"))


def test_next_patron_starts_over_and_reloading_never_lends_twice(desk, patron, copies):
    scan_card(desk, "CARD-1")
    response = desk.post("/desk/", {"action": "copy", "barcode": "B-1"})
    assert response.status_code == 302  # post/redirect/get: a reload repeats only the GET
    assert response["Location"] == "/desk/"
    desk.get("/desk/")
    desk.get("/desk/")
    assert Loan.objects.count() == 1

    page = desk.post("/desk/", {"action": "done"}, follow=True)

    assert 'id="card"' in page.content.decode()
    assert "Middlemarch" not in text(page)


def test_a_copy_scanned_before_any_card_asks_for_the_card(desk, copies):
    page = scan_copy(desk, "B-1")

    assert 'id="card"' in page.content.decode()
    assert not Loan.objects.exists()


def test_the_checkout_lines_are_kept_to_the_latest_fifty(desk, patron):
    scan_card(desk, "CARD-1")
    for n in range(52):
        scan_copy(desk, f"X-{n}")

    page = desk.get("/desk/").content.decode()
    assert page.count('<tr class="refused">') == 50
    assert "X-51" in page
    assert ">X-1<" not in page


def test_checkout_page_query_count_does_not_grow_with_its_lines(
    desk, patron, django_assert_max_num_queries
):
    scan_card(desk, "CARD-1")
    for n in range(10):
        scan_copy(desk, f"X-{n}")
    # the patron with their counts, the loan limit (for what blocks them); nothing per line
    with django_assert_max_num_queries(SIGNED_IN_QUERIES + 2):
        desk.get("/desk/")


# --- Check-in ------------------------------------------------------------------------------------


def test_checkin_returns_the_copy_and_says_how_late(desk, patron, copies):
    loan = services.loan_checkout(card_number="CARD-1", barcode="B-1")
    Loan.objects.filter(pk=loan.pk).update(due_on=TODAY() - datetime.timedelta(days=3))

    page = check_in(desk, "B-1")

    shown = text(page)
    assert "Checked in. Back to the shelf." in shown
    assert "3 days late" in shown
    loan.refresh_from_db()
    assert loan.checked_in_at is not None
    assert loan.days_late == 3


def test_checkin_announces_a_trapped_hold_with_the_patrons_name_and_a_slip(desk, patron, copies):
    services.loan_checkout(card_number="CARD-1", barcode="B-1")
    waiting = PatronFactory(card_number="CARD-W", name="Wendy Waiting")
    services.hold_place(patron=waiting, book=copies[0].book)

    page = check_in(desk, "B-1")

    html = page.content.decode()
    alert = re.search(r'<div class="hold-trapped" role="alert">(.*?)</div>', html, re.S).group(1)
    hold = Hold.objects.get(patron=waiting)
    assert hold.status == HoldStatus.READY
    assert "Wendy Waiting" in alert
    assert "CARD-W" in alert
    assert f'href="/desk/holds/{hold.pk}/slip/"' in alert
    slip = desk.get(f"/desk/holds/{hold.pk}/slip/")
    assert slip.status_code == 200
    slip_text = text(slip)
    for shown in ("HOLD FOR", "Wendy Waiting", "CARD-W", "Middlemarch", "B-1"):
        assert shown in slip_text
    assert f"{hold.pickup_by:%a} {hold.pickup_by.day} {hold.pickup_by:%b %Y}" in slip_text


def test_checking_in_a_copy_not_on_loan_says_so(desk, copies):
    page = check_in(desk, "B-2")

    assert "Copy B-2 was not on loan. Back to the shelf." in text(page)


def test_checkin_refusals_are_lines_too(desk):
    page = check_in(desk, "GHOST")

    assert "Refused (GHOST). No copy has barcode GHOST." in text(page)


def test_checkin_list_can_be_cleared(desk, copies):
    check_in(desk, "B-2")

    page = desk.post("/desk/checkin/", {"action": "clear"}, follow=True)

    assert "B-2" not in text(page)


def test_the_slip_of_a_hold_that_is_not_ready_is_a_404(desk, patron, copies):
    services.loan_checkout(card_number="CARD-1", barcode="B-1")
    hold = services.hold_place(patron=PatronFactory(), book=copies[0].book)

    assert desk.get(f"/desk/holds/{hold.pk}/slip/").status_code == 404
    assert desk.get("/desk/holds/999999/slip/").status_code == 404


# --- Patrons -------------------------------------------------------------------------------------


def test_patron_search_finds_by_name_email_and_card_prefix(desk):
    PatronFactory(card_number="2001", name="Zadie Smith", email="zadie@example.org")
    PatronFactory(card_number="2002", name="Zora Neale", email="zora@example.net")
    PatronFactory(card_number="3001", name="Yann Martel", email="yann@example.org")

    def found(query):
        return re.findall(r'<a href="/desk/patrons/\d+/">([^<]+)</a>', desk.get(
            "/desk/patrons/", {"q": query}).content.decode())  # fmt: skip

    assert found("zadie") == ["Zadie Smith"]
    assert found("example.net") == ["Zora Neale"]
    assert found("200") == ["Zadie Smith", "Zora Neale"]
    assert found("SMITH zadie") == ["Zadie Smith"]
    assert "No patron matches" in text(desk.get("/desk/patrons/", {"q": "nobody"}))


def test_a_scanned_card_opens_the_patrons_page(desk, patron):
    response = desk.get("/desk/patrons/", {"q": " CARD-1 "})

    assert response.status_code == 302
    assert response["Location"] == f"/desk/patrons/{patron.pk}/"


def test_patron_search_query_count_is_fixed(desk, django_assert_max_num_queries):
    for n in range(30):
        patron = PatronFactory(name=f"Searchable {n}")
        copy = CopyFactory()
        services.loan_checkout(card_number=patron.card_number, barcode=copy.barcode)
    with django_assert_max_num_queries(SIGNED_IN_QUERIES + 2):  # the exact card, the list
        response = desk.get("/desk/patrons/", {"q": "searchable"})
    assert text(response).count("Searchable") == 30


def test_the_patron_page_shows_loans_holds_and_history(desk, patron, copies):
    services.loan_checkout(card_number="CARD-1", barcode="B-1", actor=None)
    services.loan_checkout(card_number=PatronFactory().card_number, barcode="B-2")
    services.hold_place(patron=patron, book=copies[1].book)

    page = desk.get(f"/desk/patrons/{patron.pk}/")

    shown = text(page)
    assert "Ada Reader" in shown
    loans = re.search(r'id="loans-heading">On loan \(1\)', page.content.decode())
    assert loans is not None
    assert "Middlemarch" in shown
    assert "Waiting, number 1 in the queue" in shown
    assert "Checked out" in shown
    assert "Hold placed" in shown


def test_the_patron_page_query_count_does_not_grow(desk, patron, django_assert_max_num_queries):
    for _ in range(4):
        services.loan_checkout(card_number="CARD-1", barcode=CopyFactory().barcode)
    for _ in range(3):
        book = CopyFactory(status=CopyStatus.LOST).book
        services.hold_place(patron=patron, book=book)
    # patron, loans, the loan limit (for what blocks them), holds, history
    with django_assert_max_num_queries(SIGNED_IN_QUERIES + 5):
        desk.get(f"/desk/patrons/{patron.pk}/")


def test_an_unknown_patron_is_a_404(desk):
    assert desk.get("/desk/patrons/999999/").status_code == 404


def test_blocking_needs_a_reason_and_says_so(desk, patron):
    response = desk.post(f"/desk/patrons/{patron.pk}/block/", {"action": "block", "reason": " "})

    assert response.status_code == 400
    assert "Say why the patron is blocked." in text(response)
    patron.refresh_from_db()
    assert not patron.blocked


def test_block_and_unblock_are_recorded_with_who_did_it(desk, librarian, patron):
    page = desk.post(
        f"/desk/patrons/{patron.pk}/block/",
        {"action": "block", "reason": "Unpaid fines"},
        follow=True,
    )
    assert "Card blocked." in text(page)
    assert "Ada Reader's card is blocked: Unpaid fines" in text(page)
    patron.refresh_from_db()
    assert (patron.blocked, patron.block_reason) == (True, "Unpaid fines")

    page = desk.post(f"/desk/patrons/{patron.pk}/block/", {"action": "unblock"}, follow=True)

    assert "Card unblocked." in text(page)
    patron.refresh_from_db()
    assert (patron.blocked, patron.block_reason) == (False, "")
    kinds = list(
        CirculationEvent.objects.filter(patron=patron)
        .order_by("id")
        .values_list("kind", "actor__username")
    )
    assert kinds == [(EventKind.PATRON_BLOCKED, "desk"), (EventKind.PATRON_UNBLOCKED, "desk")]


def test_blocking_an_unknown_patron_is_a_404_and_a_get_a_405(desk, patron):
    assert desk.post("/desk/patrons/999999/block/", {"action": "unblock"}).status_code == 404
    assert desk.get(f"/desk/patrons/{patron.pk}/block/").status_code == 405


def test_a_librarian_who_may_not_change_patrons_sees_no_block_form(desk, librarian, patron):
    librarian.groups.clear()
    librarian.user_permissions.add(Permission.objects.get(codename="view_patron"))

    page = desk.get(f"/desk/patrons/{patron.pk}/").content.decode()

    assert "/block/" not in page
    response = desk.post(f"/desk/patrons/{patron.pk}/block/", {"action": "unblock"})
    assert response.status_code == 403


# --- Overdue and hold shelf lists ----------------------------------------------------------------


def make_overdue(patron: Patron, days: int, title: str) -> Loan:
    copy = CopyFactory(book=BookFactory(title=title))
    loan = services.loan_checkout(card_number=patron.card_number, barcode=copy.barcode)
    Loan.objects.filter(pk=loan.pk).update(due_on=TODAY() - datetime.timedelta(days=days))
    return loan


def test_the_overdue_list_puts_the_longest_overdue_first_with_contacts(desk):
    ada = PatronFactory(name="Ada", email="ada@example.org", phone="555-0101")
    category = PatronCategoryFactory(name="Lenient", overdue_blocks=False)
    ben = PatronFactory(name="Ben", category=category)
    make_overdue(ada, 2, "Two Days")
    make_overdue(ben, 9, "Nine Days")
    services.loan_checkout(card_number=ben.card_number, barcode=CopyFactory().barcode)  # not due

    page = desk.get("/desk/overdue/")

    shown = text(page)
    assert "2 loans past their due date" in shown
    assert shown.index("Nine Days") < shown.index("Two Days")
    assert "9 days" in shown
    assert "ada@example.org" in shown
    assert "555-0101" in shown


def test_the_overdue_list_query_count_is_fixed(desk, django_assert_max_num_queries):
    category = PatronCategoryFactory(name="Lenient", overdue_blocks=False)
    for n in range(12):
        make_overdue(PatronFactory(category=category), n + 1, f"Late {n}")
    with django_assert_max_num_queries(SIGNED_IN_QUERIES + 1):  # the list (counted only when full)
        response = desk.get("/desk/overdue/")
    assert text(response).count("Late ") == 12


def test_nothing_overdue_says_so(desk):
    assert "Nothing is overdue." in text(desk.get("/desk/overdue/"))


def test_the_hold_shelf_lists_what_to_pull_what_waits_and_what_expired(desk, settings):
    settings.HOLDS_ALLOWED_WHEN_AVAILABLE = True
    # Ready, waiting for pickup.
    ready_copy = CopyFactory(barcode="R-1", book=BookFactory(title="Ready Book"))
    lender = PatronFactory()
    services.loan_checkout(card_number=lender.card_number, barcode="R-1")
    ready_for = PatronFactory(name="Rita Ready")
    services.hold_place(patron=ready_for, book=ready_copy.book)
    services.loan_checkin(barcode="R-1")
    # Ready, but past its pickup date (the expiry job has not run).
    late_copy = CopyFactory(barcode="L-1", book=BookFactory(title="Late Book"))
    services.loan_checkout(card_number=lender.card_number, barcode="L-1")
    services.hold_place(patron=PatronFactory(name="Larry Late"), book=late_copy.book)
    services.loan_checkin(barcode="L-1")
    # Expired already: its copy went back to the shelf.
    gone_copy = CopyFactory(barcode="E-1", book=BookFactory(title="Expired Book"))
    services.loan_checkout(card_number=lender.card_number, barcode="E-1")
    services.hold_place(patron=PatronFactory(name="Eve Expired"), book=gone_copy.book)
    services.loan_checkin(barcode="E-1")
    Hold.objects.filter(book=gone_copy.book).update(pickup_by=TODAY() - datetime.timedelta(days=2))
    services.holds_expire(today=TODAY())
    Hold.objects.filter(book=late_copy.book).update(pickup_by=TODAY() - datetime.timedelta(days=1))
    # To pull: a hold waits while a copy sits on the open shelves.
    pull_copy = CopyFactory(barcode="P-1", book=BookFactory(title="Pull Book"), location="Annex")
    services.hold_place(patron=PatronFactory(name="Paula Pull"), book=pull_copy.book)
    services.hold_place(patron=PatronFactory(name="Second In Line"), book=pull_copy.book)

    page = desk.get("/desk/holds/").content.decode()

    def section(heading_id):
        return text_of(re.search(rf'id="{heading_id}".*?</section>', page, re.S).group())

    ready = section("ready-heading")
    assert "Rita Ready" in ready
    assert "Ready Book" in ready
    assert "Larry Late" not in ready
    expired = section("expired-heading")
    assert "Larry Late" in expired
    assert "Expires at the next run" in expired
    assert "Eve Expired" in expired
    assert "Back to the shelves" in expired
    pull = section("pull-heading")
    assert "Paula Pull" in pull
    assert "P-1 (Annex)" in pull
    assert "Second In Line" not in pull  # only the first in the queue
    assert "Ready Book" not in pull


def test_the_hold_shelf_query_count_is_fixed(desk, settings, django_assert_max_num_queries):
    settings.HOLDS_ALLOWED_WHEN_AVAILABLE = True
    lender = PatronFactory()
    for n in range(5):
        copy = CopyFactory(book=BookFactory(title=f"Shelf {n}"))
        services.loan_checkout(card_number=lender.card_number, barcode=copy.barcode)
        services.hold_place(patron=PatronFactory(), book=copy.book)
        services.loan_checkin(barcode=copy.barcode)
        pull = CopyFactory(book=BookFactory(title=f"Pull {n}"))
        services.hold_place(patron=PatronFactory(), book=pull.book)
    # ready, expired, to pull, the copies to pull
    with django_assert_max_num_queries(SIGNED_IN_QUERIES + 4):
        response = desk.get("/desk/holds/")
    assert len(set(re.findall(r"Shelf \d", text(response)))) == 5
    assert len(set(re.findall(r"Pull \d", text(response)))) == 5
