"""How the circulation pages write dates and counts: the site's short format in lists and
tables, its long format in sentences (shelfmark/formats), and plurals through Django's i18n
(one loan, 2 loans), on the desk's lists, the patron's account and a book's holds."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import Hold, Loan
from circulation.tests.factories import PatronCategoryFactory, PatronFactory
from circulation.tests.views.test_desk import text

pytestmark = pytest.mark.django_db

# A Sunday, so that the weekday in each format shows.
TODAY = datetime.date(2026, 12, 27)


@pytest.fixture(autouse=True)
def _today():
    noon = datetime.datetime(2026, 12, 27, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(noon, tick=False):
        yield


def overdue_by(patron, days: int, title: str) -> Loan:
    copy = CopyFactory(book=BookFactory(title=title))
    loan = services.loan_checkout(card_number=patron.card_number, barcode=copy.barcode)
    Loan.objects.filter(pk=loan.pk).update(due_on=TODAY - datetime.timedelta(days=days))
    loan.refresh_from_db()
    return loan


def lenient_patron(**fields):
    return PatronFactory(category=PatronCategoryFactory(overdue_blocks=False), **fields)


def test_one_overdue_loan_is_counted_in_the_singular(desk):
    overdue_by(lenient_patron(), 1, "One Day Late")

    shown = text(desk.get("/desk/overdue/"))

    assert "1 loan past its due date." in shown
    assert "Sat 26 Dec 2026 1 day" in shown  # the short date, then the badge


def test_several_overdue_loans_are_counted_in_the_plural(desk):
    patron = lenient_patron()
    overdue_by(patron, 3, "Three Days Late")
    overdue_by(patron, 1, "One Day Late")

    shown = text(desk.get("/desk/overdue/"))

    assert "2 loans past their due date, longest overdue first." in shown
    assert "Thu 24 Dec 2026 3 days" in shown


def test_the_patron_page_writes_short_dates_and_days_overdue(desk):
    patron = lenient_patron(name="Ada Reader", expires_on=datetime.date(2027, 1, 31))
    overdue_by(patron, 1, "Late Book")

    shown = text(desk.get(f"/desk/patrons/{patron.pk}/"))

    assert "Card valid until Sun 31 Jan 2027" in shown
    assert "Sat 26 Dec 2026 1 day overdue" in shown
    assert "Sun 27 Dec 2026 12:00" in shown  # the history's checkout, date and time


def ready_hold_for(patron, title: str = "Ready Book") -> Hold:
    copy = CopyFactory(book=BookFactory(title=title))
    services.loan_checkout(card_number=PatronFactory().card_number, barcode=copy.barcode)
    hold = services.hold_place(patron=patron, book=copy.book)
    services.loan_checkin(barcode=copy.barcode)
    hold.refresh_from_db()
    return hold


def test_the_hold_shelf_and_the_slip_write_the_short_date(desk):
    hold = ready_hold_for(PatronFactory(name="Rita Ready"))
    short = f"{hold.pickup_by:%a} {hold.pickup_by.day} {hold.pickup_by:%b %Y}"

    assert short in text(desk.get("/desk/holds/"))
    assert f"Pick up by {short}" in text(desk.get(f"/desk/holds/{hold.pk}/slip/"))


def test_the_hold_shelf_counts_the_days_it_looks_back(desk, settings):
    hold = ready_hold_for(PatronFactory())
    Hold.objects.filter(pk=hold.pk).update(pickup_by=TODAY - datetime.timedelta(days=2))
    services.holds_expire(today=TODAY)

    assert "Holds that expired in the last 7 days are listed." in text(desk.get("/desk/holds/"))


def test_my_account_has_short_dates_in_its_tables_and_long_ones_in_sentences(reader_client, reader):
    hold = ready_hold_for(reader)
    reader.expires_on = TODAY - datetime.timedelta(days=1)
    reader.save()

    shown = text(reader_client.get("/account/"))

    assert "Card valid until Sat 26 Dec 2026" in shown
    assert "Your card expired on Saturday 26 December 2026." in shown
    assert f"pick it up by {hold.pickup_by:%a} {hold.pickup_by.day} {hold.pickup_by:%b %Y}" in (
        shown
    )


@pytest.mark.parametrize(
    ("waiting", "says"),
    [(1, "1 person is waiting for this book."), (2, "2 people are waiting for this book.")],
)
def test_a_books_page_counts_the_people_waiting(client, waiting, says):
    copy = CopyFactory(book=BookFactory(title="Popular"))
    services.loan_checkout(card_number=PatronFactory().card_number, barcode=copy.barcode)
    for _ in range(waiting):
        services.hold_place(patron=PatronFactory(), book=copy.book)

    assert says in text(client.get(f"/books/{copy.book.pk}/"))


def test_a_ready_hold_on_a_books_page_gives_the_long_date(reader_client, reader):
    hold = ready_hold_for(reader, "Persuasion")

    shown = text(reader_client.get(f"/books/{hold.book.pk}/"))

    when = f"{hold.pickup_by:%A} {hold.pickup_by.day} {hold.pickup_by:%B %Y}"
    assert f"pick it up by {when}." in shown
