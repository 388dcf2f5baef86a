"""circulation.views.feed: the patron's due dates as iCalendar, at a URL whose secret is the only
credential."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from icalendar import Calendar

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import CalendarFeed, Loan
from circulation.services.feeds import calendar_feed_issue, feed_secret_hash
from circulation.tests.factories import PatronFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def lend(patron, title: str) -> Loan:
    copy = CopyFactory(book=BookFactory(title=title))
    return services.loan_checkout(card_number=patron.card_number, barcode=copy.barcode)


def test_the_feed_is_valid_icalendar_with_one_all_day_event_per_due_date(client):
    patron = PatronFactory()
    emma = lend(patron, "Emma")
    dracula = lend(patron, "Dracula")
    Loan.objects.filter(pk=dracula.pk).update(due_on=TODAY() + datetime.timedelta(days=3))
    lend(PatronFactory(), "Someone Else's")
    secret = calendar_feed_issue(patron=patron)

    response = client.get(f"/calendar/{secret}.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-cache"
    assert b"\r\n" in response.content  # RFC 5545 line endings
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0"
    assert "Shelfmark" in str(calendar["PRODID"])
    events = {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {"Library book due: Emma", "Library book due: Dracula"}
    due = events["Library book due: Dracula"]
    assert due.decoded("DTSTART") == TODAY() + datetime.timedelta(days=3)
    assert due.decoded("DTEND") == TODAY() + datetime.timedelta(days=4)
    assert type(due.decoded("DTSTART")) is datetime.date  # all day
    assert str(due["UID"]) == f"loan-{dracula.pk}@testserver"
    assert events["Library book due: Emma"].decoded("DTSTART") == emma.due_on
    assert "DTSTAMP" in due


def test_a_renewal_moves_the_event_and_raises_its_sequence(client):
    patron = PatronFactory()
    loan = lend(patron, "Emma")
    Loan.objects.filter(pk=loan.pk).update(due_on=TODAY() + datetime.timedelta(days=1))
    secret = calendar_feed_issue(patron=patron)
    services.loan_renew(loan=loan)

    (event,) = Calendar.from_ical(client.get(f"/calendar/{secret}.ics").content).walk("VEVENT")

    loan.refresh_from_db()
    assert event.decoded("DTSTART") == loan.due_on
    assert event.decoded("SEQUENCE") == 1


def test_a_ready_hold_adds_its_pickup_deadline(client):
    patron = PatronFactory()
    copy = CopyFactory(book=BookFactory(title="Bleak House"))
    services.loan_checkout(card_number=PatronFactory().card_number, barcode=copy.barcode)
    hold = services.hold_place(patron=patron, book=copy.book)
    services.loan_checkin(barcode=copy.barcode)
    hold.refresh_from_db()
    secret = calendar_feed_issue(patron=patron)

    (event,) = Calendar.from_ical(client.get(f"/calendar/{secret}.ics").content).walk("VEVENT")

    assert str(event["SUMMARY"]) == "Pick up your hold: Bleak House"
    assert event.decoded("DTSTART") == hold.pickup_by


def test_an_empty_feed_is_still_a_calendar(client):
    secret = calendar_feed_issue(patron=PatronFactory())

    calendar = Calendar.from_ical(client.get(f"/calendar/{secret}.ics").content)

    assert calendar.walk("VEVENT") == []


@pytest.mark.parametrize("secret", ["not-a-real-secret-but-long-enough", "x", "a" * 200, "%00"])
def test_an_unknown_or_malformed_secret_is_a_404(client, secret):
    calendar_feed_issue(patron=PatronFactory())

    assert client.get(f"/calendar/{secret}.ics").status_code == 404


def test_only_the_hash_is_stored_and_a_new_secret_replaces_the_old(client):
    patron = PatronFactory()
    first = calendar_feed_issue(patron=patron)
    second = calendar_feed_issue(patron=patron)

    (feed,) = CalendarFeed.objects.all()
    assert feed.secret_hash == feed_secret_hash(second)
    assert second not in feed.secret_hash
    assert client.get(f"/calendar/{first}.ics").status_code == 404
    assert client.get(f"/calendar/{second}.ics").status_code == 200


def test_the_feed_answers_only_get(client):
    secret = calendar_feed_issue(patron=PatronFactory())

    assert client.post(f"/calendar/{secret}.ics").status_code == 405
