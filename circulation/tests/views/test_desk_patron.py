"""circulation.views.desk_patron: a librarian serves a patron who phones or walks in — what
blocks them, their card, renewals, holds placed, suspended and cancelled for them."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CirculationEvent, EventKind, Hold, HoldStatus, Loan
from circulation.services.patrons import add_months
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from circulation.tests.views.test_desk import SIGNED_IN_QUERIES, text

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


@pytest.fixture
def ada():
    return PatronFactory(card_number="CARD-1", name="Ada Reader")


def page(desk, patron, **params):
    return desk.get(f"/desk/patrons/{patron.pk}/", params)


def lend(patron, title: str, barcode: str) -> Loan:
    copy = CopyFactory(barcode=barcode, book=BookFactory(title=title))
    return services.loan_checkout(card_number=patron.card_number, barcode=copy.barcode)


def book_out(title: str = "Bleak House"):
    copy = CopyFactory(book=BookFactory(title=title))
    services.loan_checkout(card_number=PatronFactory().card_number, barcode=copy.barcode)
    return copy.book


# --- What the page says ----------------------------------------------------------------------


def test_the_status_tells_every_reason_the_patron_cannot_borrow(desk, ada):
    lend(ada, "Late", "L-1")
    Loan.objects.filter(patron=ada).update(due_on=TODAY() - days(4))
    ada.expires_on = TODAY() - days(1)
    ada.save()

    shown = text(page(desk, ada))

    assert "Cannot borrow right now:" in shown
    assert "Ada Reader's card expired on" in shown
    assert "Ada Reader has 1 overdue loan; it must be returned first." in shown
    assert "Active: the patron may borrow" not in shown


def test_a_patron_in_good_standing_is_active(desk, ada):
    assert "Active: the patron may borrow, renew and place holds." in text(page(desk, ada))


def test_the_page_costs_a_fixed_number_of_queries(desk, ada, django_assert_max_num_queries):
    for n in range(4):
        lend(ada, f"Book {n}", f"B-{n}")
        services.hold_place(patron=ada, book=book_out(f"Held {n}"))
    page(desk, ada)
    # patron, loans, the loan limit, holds, history
    with django_assert_max_num_queries(SIGNED_IN_QUERIES + 5):
        response = page(desk, ada)
    assert response.status_code == 200


# --- The card --------------------------------------------------------------------------------


def test_renewing_an_expired_card_from_its_page(desk, librarian, ada):
    ada.expires_on = TODAY() - days(3)
    ada.save()

    response = desk.post(f"/desk/patrons/{ada.pk}/renew-card/", follow=True)

    ada.refresh_from_db()
    assert ada.expires_on == add_months(TODAY(), 12)
    assert response.redirect_chain == [(f"/desk/patrons/{ada.pk}/", 302)]
    assert "Ada Reader's card is renewed: valid until" in text(response)
    assert "Active: the patron may borrow" in text(response)
    event = CirculationEvent.objects.get(kind=EventKind.CARD_RENEWED)
    assert event.actor == librarian


def test_renewing_goes_back_to_the_desk_when_asked_but_never_off_the_site(desk, ada):
    ada.expires_on = TODAY()
    ada.save()

    back = desk.post(f"/desk/patrons/{ada.pk}/renew-card/", {"next": "/desk/"})
    away = desk.post(f"/desk/patrons/{ada.pk}/renew-card/", {"next": "https://evil.example/"})

    assert back["Location"] == "/desk/"
    assert away["Location"] == f"/desk/patrons/{ada.pk}/"


def test_a_card_that_never_expires_says_so(desk, ada):
    response = desk.post(f"/desk/patrons/{ada.pk}/renew-card/", follow=True)

    assert "Ada Reader's card never expires; there is nothing to renew." in text(response)


def test_setting_the_expiry_date_by_hand(desk, ada):
    response = desk.post(
        f"/desk/patrons/{ada.pk}/expiry/", {"expires_on": "2031-06-30"}, follow=True
    )

    ada.refresh_from_db()
    assert ada.expires_on == datetime.date(2031, 6, 30)
    assert "Ada Reader's card valid until Monday 30 June 2031." in text(response)
    assert CirculationEvent.objects.filter(kind=EventKind.CARD_EXPIRY_CHANGED).count() == 1

    desk.post(f"/desk/patrons/{ada.pk}/expiry/", {"expires_on": ""})
    ada.refresh_from_db()
    assert ada.expires_on is None


def test_a_malformed_expiry_date_changes_nothing(desk, ada):
    response = desk.post(
        f"/desk/patrons/{ada.pk}/expiry/", {"expires_on": "next year"}, follow=True
    )

    assert "Enter the day as a date" in text(response)
    ada.refresh_from_db()
    assert ada.expires_on is None


# --- Renewals --------------------------------------------------------------------------------


def test_renewing_one_loan_at_the_desk(desk, ada):
    loan = lend(ada, "Emma", "E-1")

    response = desk.post(f"/desk/loans/{loan.pk}/renew/", follow=True)

    loan.refresh_from_db()
    assert loan.renewals == 1
    assert response.redirect_chain == [(f"/desk/patrons/{ada.pk}/", 302)]
    assert "Renewed 'Emma': now due" in text(response)


def test_renew_all_says_what_became_of_each(desk, ada):
    lend(ada, "Free", "F-1")
    wanted = lend(ada, "Wanted", "W-1")
    services.hold_place(patron=PatronFactory(), book=wanted.copy.book)

    shown = text(desk.post(f"/desk/patrons/{ada.pk}/renew-all/", follow=True))

    assert "'Free': Renewed: now due" in shown
    assert "'Wanted' was not renewed: Another patron is waiting for this book" in shown
    assert list(Loan.objects.order_by("copy__barcode").values_list("renewals", flat=True)) == [1, 0]


# --- Holds -----------------------------------------------------------------------------------


def test_finding_a_book_and_placing_a_hold_for_the_patron(desk, librarian, ada):
    book = book_out("Bleak House")
    BookFactory(title="Little Dorrit")

    found = page(desk, ada, book="bleak")

    assert "Books matching “bleak”" in text(found)
    assert f'name="book" value="{book.pk}"' in found.content.decode()
    assert "Little Dorrit" not in text(found)

    response = desk.post(f"/desk/patrons/{ada.pk}/holds/", {"book": book.pk}, follow=True)

    assert "Hold placed on 'Bleak House' for Ada Reader: number 1 in the queue." in text(response)
    hold = Hold.objects.get(patron=ada)
    assert hold.book == book
    assert CirculationEvent.objects.get(kind=EventKind.HOLD_PLACED).actor == librarian


@pytest.mark.parametrize("book", ["", "x", "999999"])
def test_a_hold_needs_a_book(desk, ada, book):
    response = desk.post(f"/desk/patrons/{ada.pk}/holds/", {"book": book}, follow=True)

    assert "Choose a book to place the hold on." in text(response)
    assert not Hold.objects.exists()


def test_a_refused_hold_says_why(desk, ada):
    book = CopyFactory(book=BookFactory(title="On The Shelf")).book

    response = desk.post(f"/desk/patrons/{ada.pk}/holds/", {"book": book.pk}, follow=True)

    assert "No hold on 'On The Shelf': A copy of 'On The Shelf' is on the shelf now" in text(
        response
    )


def test_suspending_and_resuming_a_patrons_hold(desk, ada):
    hold = services.hold_place(patron=ada, book=book_out())
    until = TODAY() + days(10)

    response = desk.post(
        f"/desk/holds/{hold.pk}/suspend/", {"until": until.isoformat()}, follow=True
    )

    assert response.redirect_chain == [(f"/desk/patrons/{ada.pk}/", 302)]
    assert "Suspended until" in text(response)
    hold.refresh_from_db()
    assert hold.suspended_until == until

    desk.post(f"/desk/holds/{hold.pk}/suspend/", {"action": "resume"})
    hold.refresh_from_db()
    assert hold.suspended_until is None


def test_cancelling_a_ready_hold_asks_first(desk, ada):
    copy = CopyFactory(book=BookFactory(title="Ready Book"))
    services.loan_checkout(card_number=PatronFactory().card_number, barcode=copy.barcode)
    hold = services.hold_place(patron=ada, book=copy.book)
    services.loan_checkin(barcode=copy.barcode)

    asked = desk.post(f"/desk/holds/{hold.pk}/cancel/")

    assert asked.status_code == 200
    assert "Cancel this hold?" in text(asked)
    assert "Ready Book is waiting for Ada Reader on the hold shelf" in text(asked)
    hold.refresh_from_db()
    assert hold.status == HoldStatus.READY

    done = desk.post(f"/desk/holds/{hold.pk}/cancel/", {"confirm": "yes"}, follow=True)

    assert "Ada Reader's hold on 'Ready Book' is cancelled." in text(done)
    hold.refresh_from_db()
    assert hold.status == HoldStatus.CANCELLED


def test_a_waiting_hold_cancels_in_one_step(desk, ada):
    hold = services.hold_place(patron=ada, book=book_out())

    desk.post(f"/desk/holds/{hold.pk}/cancel/")

    hold.refresh_from_db()
    assert hold.status == HoldStatus.CANCELLED


# --- Who may ---------------------------------------------------------------------------------


def test_a_reader_of_patrons_sees_no_buttons_and_may_not_post(ada):
    viewer = get_user_model().objects.create_user(
        "viewer", password="x-long-password", is_staff=True
    )
    viewer.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="circulation", codename__in=["view_patron", "add_loan"]
        )
    )
    client = Client()
    client.force_login(viewer)
    loan = lend(ada, "Emma", "E-1")

    html = client.get(f"/desk/patrons/{ada.pk}/").content.decode()

    for action in ("renew-card/", "expiry/", "renew-all/", "block/", "holds/"):
        assert f"/desk/patrons/{ada.pk}/{action}" not in html
    assert f"/desk/loans/{loan.pk}/renew/" not in html
    assert 'name="book"' not in html
    assert client.post(f"/desk/loans/{loan.pk}/renew/").status_code == 403
    assert client.post(f"/desk/patrons/{ada.pk}/renew-card/").status_code == 403


@pytest.mark.parametrize(
    "url",
    [
        "/desk/patrons/999999/renew-card/",
        "/desk/patrons/999999/expiry/",
        "/desk/patrons/999999/renew-all/",
        "/desk/patrons/999999/holds/",
        "/desk/loans/999999/renew/",
        "/desk/holds/999999/suspend/",
        "/desk/holds/999999/cancel/",
    ],
)
def test_unknown_ids_are_404s(desk, url):
    assert desk.post(url).status_code == 404


def test_the_category_sets_the_renewed_cards_period(desk):
    child = PatronFactory(
        category=PatronCategoryFactory(name="Child", card_valid_months=6),
        expires_on=TODAY() - days(1),
    )

    desk.post(f"/desk/patrons/{child.pk}/renew-card/")

    child.refresh_from_db()
    assert child.expires_on == add_months(TODAY(), 6)
