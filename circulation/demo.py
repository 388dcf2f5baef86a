"""The demo circulation: patron categories, a calendar, a dozen patrons (one with a login), loans
(some overdue, one renewed, some returned) and holds (waiting, and one ready on the hold shelf),
on copies of the demo catalog (catalog.demo), so that a new user sees a working desk at once.

The loans and holds are made by the real services, in the order they would have happened over
the past weeks, with the clock set to each moment: due dates follow the categories and the
calendar, and the circulation record tells the same story. Running it again adds nothing: the
categories, calendar entries and patrons are matched by name, date and card number, and the
story is told only while no demo patron has a loan or hold yet.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from catalog.demo import demo_catalog_load
from catalog.models import Book, Copy, LoanType
from circulation import services
from circulation.models import (
    CirculationRule,
    ClosedDate,
    ClosedWeekday,
    Hold,
    Loan,
    Patron,
    PatronCategory,
)
from shelfmark.errors import DomainError

LOGIN_USERNAME = "ada"

CATEGORIES: list[dict[str, Any]] = [
    {"name": "Adult", "loan_period_days": 21, "max_loans": 6, "max_renewals": 2, "max_holds": 5,
     "hold_pickup_days": 7, "overdue_blocks": True},
    {"name": "Child", "loan_period_days": 14, "max_loans": 4, "max_renewals": 1, "max_holds": 3,
     "hold_pickup_days": 7, "overdue_blocks": True},
    {"name": "Staff", "loan_period_days": 42, "max_loans": 20, "max_renewals": 5, "max_holds": 10,
     "hold_pickup_days": 14, "overdue_blocks": False},
]  # fmt: skip

SUNDAY = 6

# card number, name, category, email ("" = none), phone
PATRONS = [
    ("C-1001", "Ada Moreno", "Adult", "ada.moreno@example.org", "555-0101"),
    ("C-1002", "Ben Okafor", "Adult", "ben.okafor@example.org", ""),
    ("C-1003", "Chloé Martin", "Adult", "chloe.martin@example.org", "555-0103"),
    ("C-1004", "Dmitri Volkov", "Adult", "", "555-0104"),  # no email: notices are reported
    ("C-1005", "Eva Lindqvist", "Adult", "eva.lindqvist@example.org", ""),
    ("C-1006", "Farah Haddad", "Adult", "farah.haddad@example.org", "555-0106"),
    ("C-1007", "Gus Turner", "Child", "turner.family@example.org", "555-0107"),
    ("C-1008", "Hana Sato", "Child", "sato.family@example.org", ""),
    ("C-1009", "Iris Novak", "Child", "novak.family@example.org", "555-0109"),
    ("C-1010", "Jonas Weber", "Staff", "jonas.weber@example.org", "555-0110"),
    ("C-1011", "Kiri Walker", "Staff", "kiri.walker@example.org", ""),
    ("C-1012", "Liam O'Brien", "Adult", "liam.obrien@example.org", "555-0112"),
]
CARD_NUMBERS = [card for card, *_ in PATRONS]


@dataclass
class DemoCirculationReport:
    categories_created: int = 0
    calendar_entries_created: int = 0
    patrons_created: int = 0
    loans_created: int = 0
    holds_created: int = 0
    story_told: bool = False
    skipped: list[str] = field(default_factory=list)
    login_username: str = LOGIN_USERNAME
    login_password: str | None = None  # None: the login's password was changed by someone


@transaction.atomic
def demo_circulation_load(*, today: datetime.date | None = None) -> DemoCirculationReport:
    """Load the demo circulation (and the demo catalog first, when its copies are missing)."""
    today = today or timezone.localdate()
    report = DemoCirculationReport()
    if Copy.objects.filter(barcode__in=STORY_BARCODES).count() < len(STORY_BARCODES):
        demo_catalog_load()
    categories = _categories(report)
    _calendar(today, report)
    patrons = _patrons(categories, today, report)
    if (
        Loan.objects.filter(patron__in=patrons.values()).exists()
        or Hold.objects.filter(patron__in=patrons.values()).exists()
    ):
        return report  # told before: librarians may have changed it since, which stands
    report.story_told = True
    # Stable: a day's steps stay in their order.
    story = sorted(_story(patrons, today), key=lambda item: -item[0])
    for minute, (days_ago, step) in enumerate(story):
        with _clock(_morning(today, days_ago, minute)):
            try:
                step()
            except DomainError as error:  # a copy lent meanwhile by someone trying the desk
                report.skipped.append(error.message)
    report.loans_created = Loan.objects.filter(patron__in=patrons.values()).count()
    report.holds_created = Hold.objects.filter(patron__in=patrons.values()).count()
    return report


def demo_login_password(username: str = LOGIN_USERNAME) -> str | None:
    """The demo patron's password, saved in the data folder like the admin's; None when the
    login has another password now."""
    user = get_user_model().objects.get(username=username)
    saved = Path(settings.DATA_DIR) / f"{username}-password.txt"
    if user.has_usable_password():
        password = saved.read_text().strip() if saved.exists() else ""
        return password if password and user.check_password(password) else None
    password = saved.read_text().strip() if saved.exists() else secrets.token_urlsafe(12)
    user.set_password(password)
    user.save(update_fields=["password"])
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.touch(mode=0o600)
    saved.chmod(0o600)
    saved.write_text(password + "\n")
    return password


# --- Steps ------------------------------------------------------------------------------------


@contextmanager
def _clock(moment: datetime.datetime) -> Iterator[None]:
    # The services read the time from django.utils.timezone; setting it makes each loan and hold
    # happen on its day, with the due dates the rules and the calendar give.
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _morning(today: datetime.date, days_ago: int, minute: int) -> datetime.datetime:
    """10 a.m. ``days_ago`` days before ``today``, plus ``minute`` minutes: the story's steps
    happen one after the other, a minute apart."""
    day = today - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10))) + (
        datetime.timedelta(minutes=minute)
    )


def _categories(report: DemoCirculationReport) -> dict[str, PatronCategory]:
    categories = {}
    for values in CATEGORIES:
        category = PatronCategory.objects.filter(name__iexact=values["name"]).first()
        if category is None:
            category = services.category_create(**values)
            report.categories_created += 1
        categories[values["name"]] = category
    _, created = CirculationRule.objects.get_or_create(
        category=None, loan_type=LoanType.SHORT, defaults={"loan_period_days": 7}
    )
    report.calendar_entries_created += created
    return categories


def _calendar(today: datetime.date, report: DemoCirculationReport) -> None:
    _, created = ClosedWeekday.objects.get_or_create(weekday=SUNDAY)
    report.calendar_entries_created += created
    for year in (today.year, today.year + 1):
        for month, day, reason in ((1, 1, "New Year's Day"), (12, 25, "Christmas Day")):
            _, created = ClosedDate.objects.get_or_create(
                date=datetime.date(year, month, day), defaults={"reason": reason}
            )
            report.calendar_entries_created += created


def _patrons(
    categories: dict[str, PatronCategory], today: datetime.date, report: DemoCirculationReport
) -> dict[str, Patron]:
    existing = {p.card_number: p for p in Patron.objects.filter(card_number__in=CARD_NUMBERS)}
    login_free = not get_user_model().objects.filter(username__iexact=LOGIN_USERNAME).exists()
    patrons = {}
    for card, name, category, email, phone in PATRONS:
        patron = existing.get(card)
        if patron is None:
            with _clock(_morning(today, 90, 0)):  # members for a while
                patron = services.patron_create(
                    card_number=card,
                    name=name,
                    category=categories[category],
                    email=email,
                    phone=phone,
                    username=LOGIN_USERNAME if card == "C-1001" and login_free else None,
                    # Liam's card ran out yesterday: the desk refuses him until it is renewed.
                    expires_on=today - datetime.timedelta(days=1) if card == "C-1012" else None,
                )
            report.patrons_created += 1
        patrons[card] = patron
    if get_user_model().objects.filter(username=LOGIN_USERNAME).exists():
        report.login_password = demo_login_password()
    return patrons


# The copies the story lends (the demo catalog's barcodes: entry number and copy number).
PRIDE, EMMA, NORTHANGER, TWO_CITIES = "DEMO-0001-1", "DEMO-0003-1", "DEMO-0006-1", "DEMO-0009-1"
HARD_TIMES, PICKWICK, SHIRLEY, AGNES = "DEMO-0012-1", "DEMO-0016-1", "DEMO-0020-1", "DEMO-0023-1"
MIDDLEMARCH, FRANKENSTEIN, DRACULA = "DEMO-0024-1", "DEMO-0032-1", "DEMO-0033-1"
DARKNESS = "DEMO-0038-1"
STORY_BARCODES = [
    PRIDE, EMMA, NORTHANGER, TWO_CITIES, HARD_TIMES, PICKWICK, SHIRLEY, AGNES, MIDDLEMARCH,
    FRANKENSTEIN, DRACULA, DARKNESS,
]  # fmt: skip


def _story(p: dict[str, Patron], today: datetime.date) -> list[tuple[int, Callable[[], Any]]]:
    """(days ago, what happened): the last weeks at the desk."""

    def lend(card: str, barcode: str) -> Callable[[], Loan]:
        return lambda: services.loan_checkout(card_number=card, barcode=barcode)

    def give_back(barcode: str) -> Callable[[], Any]:
        return lambda: services.loan_checkin(barcode=barcode)

    def hold(card: str, barcode: str) -> Callable[[], Hold]:
        return lambda: services.hold_place(
            patron=p[card], book=Book.objects.get(copies__barcode=barcode)
        )

    def renew(barcode: str) -> Callable[[], Loan]:
        return lambda: services.loan_renew(
            loan=Loan.objects.get(copy__barcode=barcode, checked_in_at__isnull=True)
        )

    def suspend(card: str, barcode: str, until: datetime.date) -> Callable[[], Hold]:
        return lambda: services.hold_suspend(
            hold=Hold.objects.get(patron=p[card], book__copies__barcode=barcode), until=until
        )

    def block(card: str, reason: str) -> Callable[[], Patron]:
        return lambda: services.patron_update(patron=p[card], blocked=True, block_reason=reason)

    return [
        # Returned: the history on the patrons' pages.
        (60, lend("C-1001", NORTHANGER)),
        (50, give_back(NORTHANGER)),
        (50, lend("C-1003", SHIRLEY)),
        (27, give_back(SHIRLEY)),  # two days late
        # Overdue: reminders go out (Dmitri has no email address: reported instead).
        (35, lend("C-1002", MIDDLEMARCH)),
        (30, lend("C-1004", DARKNESS)),
        (20, lend("C-1007", HARD_TIMES)),
        # Due within days: due-soon notices.
        (20, lend("C-1001", PRIDE)),
        (19, lend("C-1003", EMMA)),
        # Renewed once, due in a fortnight.
        (25, lend("C-1006", AGNES)),
        (5, renew(AGNES)),
        # Out, not due yet.
        (6, lend("C-1010", PICKWICK)),
        (3, lend("C-1001", FRANKENSTEIN)),
        (2, lend("C-1008", DRACULA)),
        # Holds: a queue of two for Middlemarch, one for Emma.
        (10, hold("C-1001", MIDDLEMARCH)),
        (8, hold("C-1009", MIDDLEMARCH)),
        # Iris is away for a fortnight: her place is kept, her turn skipped until she is back.
        (4, suspend("C-1009", MIDDLEMARCH, today + datetime.timedelta(days=10))),
        (5, hold("C-1011", EMMA)),
        # Ready on the hold shelf for Ada: Liam brought it back yesterday.
        (12, lend("C-1012", TWO_CITIES)),
        (7, hold("C-1001", TWO_CITIES)),
        (1, give_back(TWO_CITIES)),
        (15, block("C-1005", "Card reported lost")),
    ]
