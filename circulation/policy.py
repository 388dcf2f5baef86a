"""The lending policy: what a patron category may borrow of a loan type, and for how long.

Each limit is looked up on its own, most specific first (as Koha's circulation rules):
a rule for the category and the loan type, a rule for the category (every loan type), a rule
for the loan type (every category), then the category's own value. So a library can say
"short loans are 2 days for everyone, but staff keep them 7" with two rules.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    DateField,
    Expression,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from circulation.models import CirculationRule, ClosedDate, ClosedWeekday, PatronCategory
from shelfmark.errors import Conflict
from shelfmark.expressions import JsonArray

# No library is closed for a whole year; a calendar that says so is a mistake to report.
MAX_CLOSED_RUN_DAYS = 366


@dataclass(frozen=True)
class Terms:
    """The limits that apply to one patron category and one loan type."""

    loan_period_days: int
    max_loans: int
    max_renewals: int


def terms_for(category: PatronCategory, loan_type: str) -> Terms:
    rules = CirculationRule.objects.filter(
        (Q(category=category) | Q(category__isnull=True))
        & (Q(loan_type=loan_type) | Q(loan_type=""))
    )

    def specificity(rule: CirculationRule) -> tuple[bool, bool]:
        return (rule.category_id is not None, rule.loan_type != "")

    ordered = sorted(rules, key=specificity, reverse=True)

    def value(name: str) -> int:
        for rule in ordered:
            if getattr(rule, name) is not None:
                return int(getattr(rule, name))
        return int(getattr(category, name))

    return Terms(
        loan_period_days=value("loan_period_days"),
        max_loans=value("max_loans"),
        max_renewals=value("max_renewals"),
    )


TERMS_FIELDS = ("loan_period_days", "max_loans", "max_renewals")


def terms_annotations(
    category: PatronCategory, loan_type: Expression | OuterRef
) -> dict[str, Expression]:
    """``terms_for(category, <loan_type>)`` as annotations (``terms_loan_period_days`` …) of a
    query whose rows have the loan type ``loan_type`` (``OuterRef("loan_type")`` on copies):
    the same most-specific-rule-first lookup, read in the statement that reads the copy, where
    ``terms_for`` costs a query of its own. ``terms_from`` reads them back."""
    rules = CirculationRule.objects.filter(
        (Q(category=category) | Q(category__isnull=True))
        & (Q(loan_type=loan_type) | Q(loan_type=""))
    ).order_by(
        # The most specific rule first: for the category, then for the loan type.
        Case(When(category__isnull=True, then=Value(1)), default=Value(0)),
        Case(When(loan_type="", then=Value(1)), default=Value(0)),
    )
    return {
        f"terms_{name}": Coalesce(
            Subquery(rules.filter(**{f"{name}__isnull": False}).values(name)[:1]),
            Value(getattr(category, name)),
            output_field=IntegerField(),
        )
        for name in TERMS_FIELDS
    }


def terms_from(row: object) -> Terms:
    """The Terms a row annotated with ``terms_annotations`` carries."""
    return Terms(**{name: int(getattr(row, f"terms_{name}")) for name in TERMS_FIELDS})


def general_max_loans(category_limits: Mapping[int, int]) -> dict[int, int]:
    """For each category (id: its own ``max_loans``), the loan limit for every loan type, as
    ``terms_for(category, "")`` gives it, for all of them in one query."""
    rules = CirculationRule.objects.filter(
        Q(category_id__in=list(category_limits)) | Q(category__isnull=True),
        loan_type="",
        max_loans__isnull=False,
    ).values_list("category_id", "max_loans")
    for_all: int | None = None
    own: dict[int, int] = {}
    for category_id, max_loans in rules:
        if max_loans is None:
            continue  # filtered out above; the stubs do not know
        if category_id is None:
            for_all = max_loans
        else:
            own[category_id] = max_loans
    return {
        category_id: own.get(category_id, for_all if for_all is not None else limit)
        for category_id, limit in category_limits.items()
    }


@dataclass(frozen=True)
class Calendar:
    """The days the library is closed (the closed dates of some span of days)."""

    closed_weekdays: frozenset[int]
    closed_dates: frozenset[datetime.date]

    def open_days(self, after: datetime.date, through: datetime.date) -> int:
        """The days from the day after ``after`` to ``through`` the library is open (this
        calendar's closed dates must cover them)."""
        return sum(
            1
            for offset in range(1, (through - after).days + 1)
            if self.is_open(after + datetime.timedelta(days=offset))
        )

    def is_open(self, day: datetime.date) -> bool:
        return day.weekday() not in self.closed_weekdays and day not in self.closed_dates

    def next_open_day(self, day: datetime.date) -> datetime.date:
        """``day`` itself when the library is open then, else the next day it is."""
        for offset in range(MAX_CLOSED_RUN_DAYS + 1):
            candidate = day + datetime.timedelta(days=offset)
            if self.is_open(candidate):
                return candidate
        raise Conflict(
            _(
                "The library calendar has no open day in the coming year, so no due date can "
                "be set; check the closed weekdays and dates."
            ),
            code="calendar_closed",
        )


def calendar_annotations(since: datetime.date) -> dict[str, JsonArray]:
    """The calendar from ``since`` on as annotations (``closed_weekdays``, ``closed_dates``) of
    a statement a service runs anyway, so that a due date or a pickup day costs no statement of
    its own; ``calendar_from`` reads them."""
    return {
        "closed_weekdays": JsonArray(ClosedWeekday.objects.values("weekday"), "weekday"),
        "closed_dates": JsonArray(
            ClosedDate.objects.filter(date__gte=since).values("date"), "date"
        ),
    }


def calendar_from(row: object) -> Calendar:
    """The Calendar a row annotated with ``calendar_annotations`` carries."""
    return Calendar(
        closed_weekdays=frozenset(json.loads(row.closed_weekdays)),  # type: ignore[attr-defined]
        closed_dates=frozenset(
            datetime.date.fromisoformat(day)
            for day in json.loads(row.closed_dates)  # type: ignore[attr-defined]
        ),
    )


def next_open_day(day: datetime.date, calendar: Calendar | None = None) -> datetime.date:
    """``day`` itself when the library is open then, else the next day it is; ``calendar``
    read already (``calendar_annotations``), else read now."""
    if calendar is None:
        calendar = _calendar(day)
    return calendar.next_open_day(day)


def _calendar(day: datetime.date) -> Calendar:
    """The calendar of the coming year from ``day``."""
    return closed_days(day, day + datetime.timedelta(days=MAX_CLOSED_RUN_DAYS))


def closed_days(first: datetime.date, last: datetime.date) -> Calendar:
    """The closed weekdays, and the closed dates from ``first`` to ``last``: one statement."""
    weekdays = (
        ClosedWeekday.objects.annotate(date=Value(None, output_field=DateField()))
        .values_list("weekday", "date")
        .order_by()
    )
    dates = (
        ClosedDate.objects.filter(date__gte=first, date__lte=last)
        .annotate(weekday=Value(None, output_field=IntegerField()))
        .values_list("weekday", "date")
        .order_by()
    )
    closed_weekdays: set[int] = set()
    closed_dates: set[datetime.date] = set()
    for weekday, date in weekdays.union(dates, all=True):
        if weekday is not None:
            closed_weekdays.add(weekday)
        elif date is not None:
            closed_dates.add(date)
    return Calendar(frozenset(closed_weekdays), frozenset(closed_dates))


def due_date(
    start: datetime.date, loan_period_days: int, calendar: Calendar | None = None
) -> datetime.date:
    """The due date of a loan starting on ``start``: moved to an open day."""
    return next_open_day(start + datetime.timedelta(days=loan_period_days), calendar)


# --- Fines -----------------------------------------------------------------------------------


def fines_enabled() -> bool:
    """Whether this library charges fines (settings.FINES_ENABLED, off by default): with it
    off there are no charges, no fines pages or answers, and no refusal for fines owed."""
    return bool(settings.FINES_ENABLED)


@dataclass(frozen=True)
class FineTerms:
    """What an overdue loan of one category and loan type costs (settings.FINES_ENABLED)."""

    per_day: Decimal
    grace_days: int
    max_per_loan: Decimal | None

    def fine(self, open_days_late: int) -> Decimal:
        """The fine for a loan late by ``open_days_late`` days the library was open: nothing
        within the grace days; past them, every one of those days, up to the maximum."""
        if open_days_late <= self.grace_days or not self.per_day:
            return Decimal("0.00")
        amount = self.per_day * open_days_late
        if self.max_per_loan is not None:
            amount = min(amount, self.max_per_loan)
        return amount.quantize(Decimal("0.01"))


def fine_terms_for(
    category: PatronCategory, loan_type: str, rules: Sequence[CirculationRule]
) -> FineTerms:
    """The fine terms of ``category`` for ``loan_type``: each value from the most specific
    rule that sets it, else the category's own (as ``terms_for``), from ``rules`` read
    already (every rule: a library has a handful)."""
    ordered = sorted(
        (
            rule
            for rule in rules
            if rule.category_id in (None, category.pk) and rule.loan_type in ("", loan_type)
        ),
        key=lambda rule: (rule.category_id is not None, rule.loan_type != ""),
        reverse=True,
    )

    def value(name: str) -> Any:
        for rule in ordered:
            if getattr(rule, name) is not None:
                return getattr(rule, name)
        return getattr(category, name)

    return FineTerms(
        per_day=value("fine_per_day"),
        grace_days=value("fine_grace_days"),
        max_per_loan=value("fine_max_per_loan"),
    )
