"""Loans and holds made on a chosen day (time-machine moves the services' clock), for the
notice tests."""

from __future__ import annotations

import datetime

import time_machine

from catalog.tests.factories import BookFactory, CopyFactory
from circulation import services
from circulation.models import Hold, Loan

# A Tuesday; no closed days in these tests unless a test adds them.
TODAY = datetime.date(2026, 3, 10)


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def at(day: datetime.date, hour: int = 10) -> time_machine.travel:
    return time_machine.travel(
        datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC), tick=False
    )


def lend(patron, *, on: datetime.date, title: str = "Middlemarch", copy=None) -> Loan:
    """Lend a copy of a new book (or ``copy``) to ``patron`` on the day ``on``; due 21 days
    later with the default category."""
    copy = copy or CopyFactory(book=BookFactory(title=title, authors=["George Eliot"]))
    with at(on):
        return services.loan_checkout(card_number=patron.card_number, barcode=copy.barcode)


def ready_hold(patron, *, on: datetime.date, title: str = "Persuasion") -> Hold:
    """A hold of ``patron`` that became ready on ``on`` (pickup by 7 days later)."""
    from circulation.tests.factories import PatronFactory

    copy = CopyFactory(book=BookFactory(title=title, authors=["Jane Austen"]))
    lend(PatronFactory(), on=on - days(5), copy=copy)
    with at(on - days(4)):
        hold = services.hold_place(patron=patron, book=copy.book)
    with at(on):
        services.loan_checkin(barcode=copy.barcode)
    hold.refresh_from_db()
    return hold
