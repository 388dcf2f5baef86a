"""circulation.views.account: signing in, passwords by email, My account, renewals, holds from
a book's page, and the calendar link. A patron only ever reaches their own rows."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from catalog.models import CopyStatus
from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CalendarFeed, Hold, HoldStatus, Loan
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from circulation.tests.views.conftest import PASSWORD
from circulation.tests.views.test_desk import SIGNED_IN_QUERIES, text, text_of

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def lend(patron, title: str, barcode: str) -> Loan:
    copy = CopyFactory(barcode=barcode, book=BookFactory(title=title))
    return services.loan_checkout(card_number=patron.card_number, barcode=copy.barcode)


def book_out_on_loan(title: str = "Bleak House"):
    """A book whose only copy is out, so holds may be placed on it."""
    copy = CopyFactory(book=BookFactory(title=title))
    services.loan_checkout(card_number=PatronFactory().card_number, barcode=copy.barcode)
    return copy.book


# --- Signing in and out --------------------------------------------------------------------------


def test_the_sign_in_page_is_the_sites_login_url(client):
    response = client.get("/account/")

    assert response.status_code == 302
    assert response["Location"] == "/account/sign-in/?next=/account/"
    page = client.get(response["Location"]).content.decode()
    assert re.search(r'<label for="id_username">Username</label>', page)
    assert re.search(r'<input[^>]+name="username"[^>]+autofocus', page, re.S)
    assert 'autocomplete="current-password"' in page
    assert 'href="/account/password/reset/"' in page


def test_a_patron_signs_in_and_lands_on_their_account(client, reader):
    response = client.post("/account/sign-in/", {"username": "ada", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert "Ada Reader" in text(client.get("/account/"))


def test_a_librarian_signs_in_and_lands_on_the_desk(client, librarian):
    response = client.post("/account/sign-in/", {"username": "desk", "password": PASSWORD})

    assert response["Location"] == "/desk/"


def test_sign_in_honours_next_but_only_on_this_site(client, reader):
    book = BookFactory()
    to_book = client.post(
        "/account/sign-in/",
        {"username": "ada", "password": PASSWORD, "next": f"/books/{book.pk}/"},
    )
    assert to_book["Location"] == f"/books/{book.pk}/"
    client.logout()

    away = client.post(
        "/account/sign-in/",
        {"username": "ada", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert away["Location"] == "/account/"


def test_a_wrong_password_says_so_and_keeps_the_username(client, reader):
    response = client.post("/account/sign-in/", {"username": "ada", "password": "nope"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in text(response)
    assert 'value="ada"' in response.content.decode()


def test_signing_out_is_a_post_from_every_page(reader_client):
    page = reader_client.get("/").content.decode()
    assert re.search(r'<form class="inline-form" method="post" action="/account/sign-out/">', page)

    assert reader_client.get("/account/sign-out/").status_code == 405
    response = reader_client.post("/account/sign-out/")

    assert response["Location"] == "/"
    assert reader_client.get("/account/").status_code == 302


def test_the_navigation_offers_sign_in_to_visitors_and_my_account_to_patrons(client, reader):
    visitor = client.get("/").content.decode()
    assert 'href="/account/sign-in/">Sign in</a>' in visitor
    assert "My account" not in visitor
    client.force_login(reader.user)
    page = client.get("/").content.decode()
    assert 'href="/account/">My account</a>' in page
    assert "Desk" not in page


# --- Passwords by email ---------------------------------------------------------------------------


def test_a_patron_who_never_chose_a_password_gets_a_link_by_email(client, settings):
    settings.SITE_URL = "https://library.example.org"
    settings.LIBRARY_NAME = "Riverside Library"
    patron = services.patron_create(
        card_number="5001",
        name="Rosalind",
        category=PatronCategoryFactory(),
        email="ros@example.org",
        username="rosalind",
    )
    assert not patron.user.has_usable_password()

    response = client.post("/account/password/reset/", {"email": "ROS@example.org"})

    assert response["Location"] == "/account/password/reset/sent/"
    assert "Check your email" in text(client.get(response["Location"]))
    (message,) = mail.outbox
    assert message.to == ["ros@example.org"]
    assert message.subject == "Choose your password for Riverside Library"
    assert "your account at Riverside Library. Your username is: rosalind" in message.body
    assert message.body.endswith("\nRiverside Library\nhttps://library.example.org/\n")
    # The request came to the test client's host; the link uses the configured address.
    assert "testserver" not in message.body
    link = re.search(r"https://library\.example\.org(/account/password/set/\S+)", str(message.body))
    form = client.get(link.group(1), follow=True)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a long new password 42", "new_password2": "a long new password 42"},
        follow=True,
    )
    assert "Password saved" in text(done)
    signed_in = client.post(
        "/account/sign-in/", {"username": "rosalind", "password": "a long new password 42"}
    )
    assert signed_in["Location"] == "/account/"


def test_an_unknown_address_sends_nothing_and_says_the_same(client, reader):
    response = client.post("/account/password/reset/", {"email": "nobody@example.org"})

    assert response["Location"] == "/account/password/reset/sent/"
    assert mail.outbox == []


# --- My account ----------------------------------------------------------------------------------


def test_my_account_lists_loans_soonest_due_first_with_renew_buttons(reader_client, reader):
    later = lend(reader, "Later Book", "L-1")
    sooner = lend(reader, "Sooner Book", "S-1")
    Loan.objects.filter(pk=sooner.pk).update(due_on=TODAY() - datetime.timedelta(days=1))
    lend(PatronFactory(), "Someone Else's Book", "X-1")

    page = reader_client.get("/account/")

    shown = text(page)
    assert shown.index("Sooner Book") < shown.index("Later Book")
    assert "Overdue" in shown
    assert "Someone Else's Book" not in shown
    html = page.content.decode()
    assert f'action="/account/loans/{later.pk}/renew/"' in html
    assert f'action="/account/loans/{sooner.pk}/renew/"' in html
    assert f"{later.due_on:%a} {later.due_on.day} {later.due_on:%b %Y}" in shown
    assert "0 of 2" in shown


def test_my_account_lists_holds_with_their_place_in_the_queue(reader_client, reader):
    book = book_out_on_loan()
    services.hold_place(patron=PatronFactory(), book=book)
    services.hold_place(patron=reader, book=book)

    shown = text(reader_client.get("/account/"))

    assert "Bleak House" in shown
    assert "you are number 2 in the queue" in shown


def test_a_login_without_a_library_card_is_told_so(client, patron_user):
    client.force_login(patron_user)

    response = client.get("/account/")

    assert response.status_code == 200
    assert "no library card is linked" in text(response)


def test_a_blocked_patron_sees_why(reader_client, reader):
    services.patron_update(patron=reader, blocked=True, block_reason="Please return Dracula")

    assert "Your card is blocked: Please return Dracula" in text(reader_client.get("/account/"))


def test_my_account_query_count_does_not_grow_with_loans_and_holds(
    reader_client, reader, django_assert_max_num_queries
):
    for n in range(4):
        lend(reader, f"Loan {n}", f"L-{n}")
    for n in range(4):
        services.hold_place(patron=reader, book=book_out_on_loan(f"Held {n}"))
    # the patron, loans, the rules of their one loan type, holds, the calendar link
    with django_assert_max_num_queries(SIGNED_IN_QUERIES - 2 + 5):
        response = reader_client.get("/account/")
    assert len(set(re.findall(r"Held \d", text(response)))) == 4


# --- Renewing and cancelling ---------------------------------------------------------------------


def test_renewing_moves_the_due_date_and_says_to_when(reader_client, reader):
    loan = lend(reader, "Emma", "E-1")
    Loan.objects.filter(pk=loan.pk).update(due_on=TODAY() + datetime.timedelta(days=2))

    page = reader_client.post(f"/account/loans/{loan.pk}/renew/", follow=True)

    loan.refresh_from_db()
    assert loan.due_on == TODAY() + datetime.timedelta(days=21)
    assert loan.renewals == 1
    assert f"Renewed 'Emma': now due {loan.due_on:%A} {loan.due_on.day}" in text(page)
    assert "1 of 2" in text(page)


def test_a_refused_renewal_says_why(reader_client, reader):
    loan = lend(reader, "Emma", "E-1")
    services.hold_place(patron=PatronFactory(), book=loan.copy.book)

    page = reader_client.post(f"/account/loans/{loan.pk}/renew/", follow=True)

    assert (
        "'Emma' was not renewed: Another patron is waiting for this book; it cannot be renewed."
        in text(page)
    )
    loan.refresh_from_db()
    assert loan.renewals == 0


def test_another_patrons_loan_or_hold_is_a_404_and_stays_as_it_was(reader_client, other_reader):
    loan = lend(other_reader, "Not Yours", "N-1")
    hold = services.hold_place(patron=other_reader, book=book_out_on_loan())

    assert reader_client.post(f"/account/loans/{loan.pk}/renew/").status_code == 404
    assert reader_client.post(f"/account/holds/{hold.pk}/cancel/").status_code == 404
    loan.refresh_from_db()
    hold.refresh_from_db()
    assert loan.renewals == 0
    assert hold.status == HoldStatus.WAITING


def test_renew_and_cancel_are_posts_for_signed_in_patrons_only(client, reader_client, reader):
    loan = lend(reader, "Emma", "E-1")

    assert reader_client.get(f"/account/loans/{loan.pk}/renew/").status_code == 405
    anonymous = client.post(f"/account/loans/{loan.pk}/renew/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/account/sign-in/")


def test_cancelling_a_hold_takes_the_patron_out_of_the_queue(reader_client, reader):
    book = book_out_on_loan()
    hold = services.hold_place(patron=reader, book=book)

    page = reader_client.post(f"/account/holds/{hold.pk}/cancel/", follow=True)

    assert "Your hold on 'Bleak House' is cancelled." in text(page)
    hold.refresh_from_db()
    assert hold.status == HoldStatus.CANCELLED
    again = reader_client.post(f"/account/holds/{hold.pk}/cancel/", follow=True)
    assert "This hold is already cancelled." in text(again)


def ready_hold(patron, title: str = "Bleak House") -> Hold:
    """A hold of ``patron``'s whose copy is on the hold shelf, waiting for them."""
    book = book_out_on_loan(title)
    hold = services.hold_place(patron=patron, book=book)
    services.loan_checkin(barcode=book.copies.get().barcode)
    hold.refresh_from_db()
    assert hold.status == HoldStatus.READY
    return hold


def test_cancelling_a_ready_hold_asks_first_and_changes_nothing(reader_client, reader):
    hold = ready_hold(reader)

    page = reader_client.post(f"/account/holds/{hold.pk}/cancel/")

    assert page.status_code == 200
    shown = text(page)
    assert "Cancel this hold?" in shown
    assert "Bleak House is waiting for you on the hold shelf, until" in shown
    assert f"{hold.pickup_by:%A} {hold.pickup_by.day} {hold.pickup_by:%B %Y}" in shown
    html = page.content.decode()
    # Confirm posts again, with the confirmation; Keep it goes back to the account.
    assert f'action="/account/holds/{hold.pk}/cancel/"' in html
    assert 'name="confirm" value="yes"' in html
    assert re.search(r'<a class="button" href="/account/"[^>]*>Keep it</a>', html)
    hold.refresh_from_db()
    assert hold.status == HoldStatus.READY


def test_confirming_cancels_a_ready_hold(reader_client, reader):
    hold = ready_hold(reader)

    page = reader_client.post(f"/account/holds/{hold.pk}/cancel/", {"confirm": "yes"}, follow=True)

    assert page.redirect_chain == [("/account/", 302)]
    assert "Your hold on 'Bleak House' is cancelled." in text(page)
    hold.refresh_from_db()
    assert hold.status == HoldStatus.CANCELLED
    assert hold.copy.status != CopyStatus.ON_HOLD_SHELF  # off the hold shelf: nobody else waits


def test_a_waiting_hold_cancels_in_one_step(reader_client, reader):
    hold = services.hold_place(patron=reader, book=book_out_on_loan())

    page = reader_client.post(f"/account/holds/{hold.pk}/cancel/")

    assert page.status_code == 302
    hold.refresh_from_db()
    assert hold.status == HoldStatus.CANCELLED


def test_another_patrons_ready_hold_is_a_404_even_with_confirmation(reader_client, other_reader):
    hold = ready_hold(other_reader)

    for data in ({}, {"confirm": "yes"}):
        assert reader_client.post(f"/account/holds/{hold.pk}/cancel/", data).status_code == 404
    hold.refresh_from_db()
    assert hold.status == HoldStatus.READY


def test_a_patron_suspends_a_waiting_hold_and_resumes_it(reader_client, reader):
    hold = services.hold_place(patron=reader, book=book_out_on_loan())
    until = TODAY() + datetime.timedelta(days=14)

    page = reader_client.post(
        f"/account/holds/{hold.pk}/suspend/", {"until": until.isoformat()}, follow=True
    )

    shown = text(page)
    assert f"The hold on 'Bleak House' is suspended until {until:%A} {until.day}" in shown
    assert "Suspended until" in shown
    assert "you keep your place" in shown
    hold.refresh_from_db()
    assert hold.suspended_until == until

    page = reader_client.post(
        f"/account/holds/{hold.pk}/suspend/", {"action": "resume"}, follow=True
    )

    assert "The hold on 'Bleak House' is active again." in text(page)
    hold.refresh_from_db()
    assert hold.suspended_until is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose the day the hold should be active again."),
        ({"until": "soon"}, "Enter the day as a date"),
        ({"until": "2001-01-01"}, "must be after today"),
    ],
)
def test_a_suspension_needs_a_day_after_today(reader_client, reader, data, message):
    hold = services.hold_place(patron=reader, book=book_out_on_loan())

    page = reader_client.post(f"/account/holds/{hold.pk}/suspend/", data, follow=True)

    assert message in text(page)
    hold.refresh_from_db()
    assert hold.suspended_until is None


def test_another_patrons_hold_cannot_be_suspended(reader_client, other_reader):
    hold = services.hold_place(patron=other_reader, book=book_out_on_loan())

    until = (TODAY() + datetime.timedelta(days=3)).isoformat()
    response = reader_client.post(f"/account/holds/{hold.pk}/suspend/", {"until": until})

    assert response.status_code == 404


# --- Place hold, on a book's page ----------------------------------------------------------------


def test_a_books_page_offers_a_signed_in_patron_a_hold_and_then_shows_their_place(
    reader_client, reader
):
    book = book_out_on_loan()
    services.hold_place(patron=PatronFactory(), book=book)
    page = reader_client.get(f"/books/{book.pk}/")
    assert "1 person is waiting for this book." in text(page)
    assert f'action="/books/{book.pk}/hold/"' in page.content.decode()

    page = reader_client.post(f"/books/{book.pk}/hold/", follow=True)

    assert page.redirect_chain[-1][0] == f"/books/{book.pk}/"
    shown = text(page)
    assert "Hold placed on 'Bleak House': you are number 2 in the queue." in shown
    assert "You hold this book: you are number 2 in the queue." in shown
    assert "Place hold" not in shown
    assert Hold.objects.get(patron=reader, book=book).status == HoldStatus.WAITING


def test_a_visitor_is_asked_to_sign_in_to_place_a_hold(client):
    book = book_out_on_loan()

    page = client.get(f"/books/{book.pk}/").content.decode()

    assert f'href="/account/sign-in/?next=/books/{book.pk}/">Sign in</a> to place a hold' in page
    assert "/hold/" not in page


@pytest.mark.parametrize(
    ("setup", "says"),
    [
        ("on_shelf", "A copy is on the shelf now: borrow it at the desk"),
        ("on_loan", "You have this book on loan already."),
        ("blocked", "Your card is blocked, so you cannot place holds."),
        ("max_holds", "You have as many holds as your card allows"),
    ],
)
def test_a_books_page_says_why_a_patron_cannot_place_a_hold(reader_client, reader, setup, says):
    book = book_out_on_loan()
    if setup == "on_shelf":
        CopyFactory(book=book)
    elif setup == "on_loan":
        copy = CopyFactory(book=book)
        services.loan_checkout(card_number=reader.card_number, barcode=copy.barcode)
    elif setup == "blocked":
        services.patron_update(patron=reader, blocked=True, block_reason="Fines")
    else:
        reader.category.max_holds = 0
        reader.category.save()

    page = reader_client.get(f"/books/{book.pk}/")

    assert says in text(page)
    assert f'action="/books/{book.pk}/hold/"' not in page.content.decode()


def test_a_hold_the_service_refuses_is_explained_on_the_books_page(reader_client, reader):
    book = CopyFactory(book=BookFactory(title="On The Shelf")).book  # available: no hold

    page = reader_client.post(f"/books/{book.pk}/hold/", follow=True)

    assert "A copy of 'On The Shelf' is on the shelf now: borrow it instead" in text(page)
    assert not Hold.objects.exists()


def test_place_hold_on_an_unknown_book_is_a_404_and_without_a_card_is_refused(
    reader_client, client, patron_user
):
    assert reader_client.post("/books/999999/hold/").status_code == 404
    book = book_out_on_loan()
    client.force_login(patron_user)

    page = client.post(f"/books/{book.pk}/hold/", follow=True)

    assert "This login has no library card, so it cannot place holds." in text(page)
    assert not Hold.objects.exists()


def test_a_ready_hold_shows_its_pickup_date_on_the_books_page(reader_client, reader):
    book = book_out_on_loan()
    hold = services.hold_place(patron=reader, book=book)
    copy = book.copies.get()
    services.loan_checkin(barcode=copy.barcode)
    hold.refresh_from_db()

    shown = text(reader_client.get(f"/books/{book.pk}/"))

    assert "Your copy is ready on the hold shelf: pick it up by" in shown
    assert copy.__class__.objects.get(pk=copy.pk).status == CopyStatus.ON_HOLD_SHELF


def test_the_books_page_costs_one_query_more_for_visitors_and_a_few_for_patrons(
    client, reader, django_assert_num_queries
):
    book = book_out_on_loan()
    with django_assert_num_queries(5 + 1):  # the catalog's five, the holds waiting
        client.get(f"/books/{book.pk}/")
    client.force_login(reader.user)
    # the session and the user; the catalog's four; the book extension: the patron, the facts;
    # the panel, for a patron who may place a hold: who they are
    with django_assert_num_queries(2 + 5 + 2 + 1):
        client.get(f"/books/{book.pk}/")


# --- The calendar link ---------------------------------------------------------------------------


def test_making_a_calendar_link_shows_it_once_and_stores_only_its_hash(reader_client, reader):
    page = reader_client.post("/account/calendar/", {"action": "issue"}, follow=True)

    url = re.search(r'id="feed-url"[^>]*value="([^"]+)"', page.content.decode()).group(1)
    secret = re.fullmatch(r"http://testserver/calendar/([A-Za-z0-9_-]+)\.ics", url).group(1)
    feed = CalendarFeed.objects.get(patron=reader)
    assert secret not in feed.secret_hash
    assert len(feed.secret_hash) == 64
    again = reader_client.get("/account/").content.decode()
    assert secret not in again
    assert "You have a calendar link, made on" in text_of(again)
    assert Client().get(f"/calendar/{secret}.ics").status_code == 200


def test_a_new_link_replaces_the_old_and_turning_it_off_stops_it(reader_client, reader):
    def issue():
        page = reader_client.post("/account/calendar/", {"action": "issue"}, follow=True)
        return re.search(r'/calendar/([A-Za-z0-9_-]+)\.ics"', page.content.decode()).group(1)

    first = issue()
    second = issue()
    visitor = Client()
    assert first != second
    assert visitor.get(f"/calendar/{first}.ics").status_code == 404
    assert visitor.get(f"/calendar/{second}.ics").status_code == 200

    page = reader_client.post("/account/calendar/", {"action": "revoke"}, follow=True)

    assert "Your calendar link is turned off" in text(page)
    assert visitor.get(f"/calendar/{second}.ics").status_code == 404
    assert not CalendarFeed.objects.exists()


def test_only_a_patron_has_a_calendar_link(client, patron_user):
    client.force_login(patron_user)

    assert client.post("/account/calendar/", {"action": "issue"}).status_code == 404
    assert not CalendarFeed.objects.exists()
    assert get_user_model().objects.count() == 1


def test_the_sign_in_page_is_throttled_like_the_admins(client, reader, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post("/account/sign-in/", {"username": "ada", "password": "wrong"})

    locked = client.post("/account/sign-in/", {"username": "ada", "password": PASSWORD})

    assert locked.status_code == 429
    assert "Too many sign-in attempts" in text(locked)
    assert client.get("/account/").status_code == 302  # not signed in
