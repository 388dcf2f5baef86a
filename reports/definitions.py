"""The reports: what each counts or lists over a date range, as columns and rows, with the
points of its chart. Each is one query (two where it also counts what it lists), whatever the
size of the catalog; lists are cut at MOST_ROWS on a page and in JSON (the total is given),
and CSV downloads have every row.

A report's date range is ``Period``: ``start`` (None: from the beginning) to ``end``
(inclusive), in the library's time zone.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, DateField, Exists, F, OuterRef, Q, QuerySet, TextChoices
from django.db.models.functions import Coalesce, ExtractYear, TruncDate, TruncMonth
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from catalog.models import BookAuthor, Copy, CopyStatus
from circulation.models import Loan, PatronCategory
from shelfmark.errors import InvalidInput

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MOST_ROWS = 1_000
TOP = 20


@dataclass(frozen=True)
class Period:
    start: datetime.date | None
    end: datetime.date

    def bounds(self) -> tuple[datetime.datetime | None, datetime.datetime]:
        """The period as aware datetimes: [start, the day after the end)."""
        zone = timezone.get_current_timezone()
        start = (
            None
            if self.start is None
            else datetime.datetime.combine(self.start, datetime.time.min, tzinfo=zone)
        )
        after = datetime.datetime.combine(
            self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
        )
        return start, after

    def within(self, name: str) -> Q:
        """``name`` (a datetime column) within the period."""
        start, after = self.bounds()
        inside = Q(**{f"{name}__lt": after})
        return inside if start is None else inside & Q(**{f"{name}__gte": start})

    def within_days(self, name: str) -> Q:
        """``name`` (a date column) within the period."""
        inside = Q(**{f"{name}__lte": self.end})
        return inside if self.start is None else inside & Q(**{f"{name}__gte": self.start})


@dataclass(frozen=True)
class Column:
    key: str  # the JSON's key and the API's CSV heading: never translated
    label: StrOrPromise  # the heading people read: the page's table, the page's CSV
    count: bool = False  # a count, written with thousands separators for people (never an id)
    # The values' labels for people (a copy's status: "On loan" for on_loan); the API keeps
    # the values.
    choices: type[TextChoices] | None = None

    def shown(self, value: Any) -> Any:
        """``value`` as the staff page shows it, in the visitor's language."""
        if value is None:
            return None
        if self.count and isinstance(value, int):
            return number_format(value, force_grouping=True)
        if self.choices is not None and value in self.choices.values:
            return self.choices(value).label
        return value


@dataclass(frozen=True)
class Result:
    rows: list[dict[str, Any]]
    chart: list[tuple[str, int]]
    total: int  # rows in all, of which ``rows`` may hold the first MOST_ROWS


@dataclass(frozen=True)
class Report:
    name: str
    title: StrOrPromise
    description: StrOrPromise
    columns: tuple[Column, ...]
    permissions: tuple[str, ...]
    # Where the period starts when none is asked for: days before today, None for "always".
    default_days: int | None
    run: Callable[[Period, int | None], Result]
    chart_label: StrOrPromise = ""
    horizontal: bool = False  # a ranking: bars across, one per row

    def rows(self, period: Period) -> Iterator[dict[str, Any]]:
        """Every row, for a download."""
        yield from self.run(period, None).rows


def _limited(queryset: QuerySet[Any], limit: int | None) -> list[dict[str, Any]]:
    """The first ``limit`` rows (all with None). How many there are in all comes from the
    chart's counts, which cover the same rows: no second pass over them."""
    return list(queryset if limit is None else queryset[:limit])


def _months(period: Period, counted: dict[datetime.date, int]) -> list[tuple[str, int]]:
    """One point a month through the period, 0 where nothing was counted."""
    first = min(counted) if period.start is None and counted else period.start or period.end
    month = first.replace(day=1)
    points = []
    while month <= period.end:
        points.append((f"{month:%Y-%m}", counted.get(month, 0)))
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return points


# --- Loans ---------------------------------------------------------------------------------------


def _loans_per_month(period: Period, limit: int | None) -> Result:
    counted = {
        row["month"].date() if isinstance(row["month"], datetime.datetime) else row["month"]: row[
            "loans"
        ]
        for row in Loan.objects.filter(period.within("checked_out_at"))
        .annotate(month=TruncMonth("checked_out_at"))
        .values("month")
        .annotate(loans=Count("id"))
        .order_by()
    }
    points = _months(period, counted)
    return Result([{"month": m, "loans": n} for m, n in points], points, len(points))


def _busiest_titles(period: Period, limit: int | None) -> Result:
    ranked = (
        Loan.objects.filter(period.within("checked_out_at"))
        .values(book=F("copy__book_id"), title=F("copy__book__title"))
        .annotate(loans=Count("id"))
        .order_by("-loans", "title", "book")[:TOP]
    )
    rows: list[dict[str, Any]] = [dict(row) for row in ranked]
    return Result(rows, [(row["title"], row["loans"]) for row in rows], len(rows))


def _busiest_authors(period: Period, limit: int | None) -> Result:
    # The filter and the count go through the same join: the loans in the period.
    rows = list(
        BookAuthor.objects.filter(period.within("book__copies__loans__checked_out_at"))
        .values("author_id", name=F("author__name"))
        .annotate(loans=Count("book__copies__loans"))
        .order_by("-loans", "name", "author_id")[:TOP]
    )
    return Result(
        [{"author": row["author_id"], "name": row["name"], "loans": row["loans"]} for row in rows],
        [(row["name"], row["loans"]) for row in rows],
        len(rows),
    )


def _patrons_by_category(period: Period, limit: int | None) -> Result:
    in_period = period.within("patrons__loans__checked_out_at")
    counted = (
        PatronCategory.objects.values("name")
        .annotate(
            n_patrons=Count("patrons", distinct=True),
            n_borrowers=Count("patrons", filter=in_period, distinct=True),
            n_loans=Count("patrons__loans", filter=in_period),
        )
        .order_by("name")
    )
    rows = [
        {
            "category": row["name"],
            "patrons": row["n_patrons"],
            "borrowers": row["n_borrowers"],
            "loans": row["n_loans"],
        }
        for row in counted
    ]
    return Result(rows, [(row["category"], row["patrons"]) for row in rows], len(rows))


OVERDUE_BANDS = (
    (gettext_lazy("1-7 days"), 1, 7),
    (gettext_lazy("8-14 days"), 8, 14),
    (gettext_lazy("15-30 days"), 15, 30),
    (gettext_lazy("31+ days"), 31, None),
)


def _overdue(period: Period, limit: int | None) -> Result:
    today = timezone.localdate()
    overdue = (
        Loan.objects.filter(checked_in_at__isnull=True, due_on__lt=today)
        .filter(period.within_days("due_on"))
        .order_by("due_on", "patron__name", "id")
        .values(
            "due_on",
            patron_name=F("patron__name"),
            card_number=F("patron__card_number"),
            email=F("patron__email"),
            phone=F("patron__phone"),
            title=F("copy__book__title"),
            barcode=F("copy__barcode"),
        )
    )
    rows = _limited(overdue, limit)
    for row in rows:
        row["days_overdue"] = (today - row["due_on"]).days
    bands = (
        Loan.objects.filter(checked_in_at__isnull=True, due_on__lt=today)
        .filter(period.within_days("due_on"))
        .aggregate(
            **{
                f"band{n}": Count(
                    "id",
                    filter=Q(due_on__lte=today - datetime.timedelta(days=low))
                    & (
                        Q()
                        if high is None
                        else Q(due_on__gte=today - datetime.timedelta(days=high))
                    ),
                )
                for n, (_label, low, high) in enumerate(OVERDUE_BANDS)
            }
        )
    )
    chart = [
        (str(label), bands[f"band{n}"]) for n, (label, _low, _high) in enumerate(OVERDUE_BANDS)
    ]
    return Result(rows, chart, sum(count for _label, count in chart))


# --- Copies ------------------------------------------------------------------------------------

_ADDED = Coalesce("acquired_on", TruncDate("created_at"), output_field=DateField())


def _added_within(period: Period) -> Q:
    """``_ADDED`` within the period, written so that the indexes on ``acquired_on`` and
    ``created_at`` find the copies: a condition on the expression reads every copy (85 ms at
    100,000 books for an empty year)."""
    return period.within_days("acquired_on") | (
        Q(acquired_on__isnull=True) & period.within("created_at")
    )


def _never_borrowed(period: Period, limit: int | None) -> Result:
    never = (
        Copy.objects.annotate(added=_ADDED)
        .filter(~Exists(Loan.objects.filter(copy_id=OuterRef("pk"))))
        .filter(_added_within(period))
    )
    # In the order they were catalogued (by id, an index): a LIMIT stops early, where sorting
    # by the date added would read every copy never borrowed first.
    listed = never.order_by("id").values(
        "barcode", "added", "call_number", "location", "status", title=F("book__title")
    )
    rows = _limited(listed, limit)
    by_year = {
        row["year"]: row["copies"]
        for row in never.annotate(year=ExtractYear("added"))
        .values("year")
        .annotate(copies=Count("id"))
        .order_by()
    }
    chart = [(str(year), by_year[year]) for year in sorted(by_year)]
    return Result(rows, chart, sum(by_year.values()))


def _new_acquisitions(period: Period, limit: int | None) -> Result:
    added = Copy.objects.annotate(added=_ADDED).filter(_added_within(period))
    listed = added.order_by("-added", "barcode").values(
        "added", "barcode", "call_number", "location", title=F("book__title")
    )
    rows = _limited(listed, limit)
    counted = {
        row["month"]: row["copies"]
        for row in added.annotate(month=TruncMonth("added", output_field=DateField()))
        .values("month")
        .annotate(copies=Count("id"))
        .order_by()
    }
    return Result(rows, _months(period, counted), sum(counted.values()))


# The columns that count something: the pages write them with thousands separators.
COUNTS = frozenset({"loans", "patrons", "borrowers", "days_overdue"})


def _columns(*pairs: tuple[str, StrOrPromise]) -> tuple[Column, ...]:
    return tuple(
        Column(key, label, count=key in COUNTS, choices=CopyStatus if key == "status" else None)
        for key, label in pairs
    )


# The rankings' descriptions, with the count in the sentence: translated when shown.
_TOP_TITLES = lazy(
    lambda: (
        ngettext(
            "The %(count)d book lent most often in the period.",
            "The %(count)d books lent most often in the period.",
            TOP,
        )
        % {"count": TOP}
    ),
    str,
)()
_TOP_AUTHORS = lazy(
    lambda: (
        ngettext(
            "The %(count)d author whose books were lent most often in the period.",
            "The %(count)d authors whose books were lent most often in the period.",
            TOP,
        )
        % {"count": TOP}
    ),
    str,
)()

LOANS = ("circulation.view_loan",)
PATRONS = ("circulation.view_loan", "circulation.view_patron")
COPIES = ("catalog.view_copy",)

REPORTS: dict[str, Report] = {
    report.name: report
    for report in (
        Report(
            "loans-per-month",
            gettext_lazy("Loans per month"),
            gettext_lazy("How many loans were made each month."),
            _columns(("month", gettext_lazy("Month")), ("loans", gettext_lazy("Loans"))),
            LOANS,
            365,
            _loans_per_month,
            chart_label=gettext_lazy("Loans"),
        ),
        Report(
            "busiest-titles",
            gettext_lazy("Busiest titles"),
            _TOP_TITLES,
            _columns(
                ("title", gettext_lazy("Title")),
                ("loans", gettext_lazy("Loans")),
                ("book", gettext_lazy("Book id")),
            ),
            LOANS,
            365,
            _busiest_titles,
            chart_label=gettext_lazy("Loans"),
            horizontal=True,
        ),
        Report(
            "busiest-authors",
            gettext_lazy("Busiest authors"),
            _TOP_AUTHORS,
            _columns(
                ("name", gettext_lazy("Author")),
                ("loans", gettext_lazy("Loans")),
                ("author", gettext_lazy("Author id")),
            ),
            LOANS,
            365,
            _busiest_authors,
            chart_label=gettext_lazy("Loans"),
            horizontal=True,
        ),
        Report(
            "patrons-by-category",
            gettext_lazy("Patrons by category"),
            gettext_lazy(
                "Patrons in each category, how many borrowed in the period, and their loans."
            ),
            _columns(
                ("category", gettext_lazy("Category")),
                ("patrons", gettext_lazy("Patrons")),
                ("borrowers", gettext_lazy("Borrowed in the period")),
                ("loans", gettext_lazy("Loans in the period")),
            ),
            PATRONS,
            365,
            _patrons_by_category,
            chart_label=gettext_lazy("Patrons"),
            horizontal=True,
        ),
        Report(
            "overdue",
            gettext_lazy("Overdue loans"),
            gettext_lazy(
                "Loans past their due date and not returned, with the patrons' contacts; the "
                "period is of the due dates."
            ),
            _columns(
                ("patron_name", gettext_lazy("Patron")),
                ("card_number", gettext_lazy("Card")),
                ("email", gettext_lazy("Email")),
                ("phone", gettext_lazy("Phone")),
                ("title", gettext_lazy("Title")),
                ("barcode", gettext_lazy("Barcode")),
                ("due_on", pgettext_lazy("a loan's due date", "Due")),
                ("days_overdue", gettext_lazy("Days overdue")),
            ),
            PATRONS,
            None,
            _overdue,
            chart_label=gettext_lazy("Loans"),
        ),
        Report(
            "never-borrowed",
            gettext_lazy("Copies never borrowed"),
            gettext_lazy(
                "Copies no loan has ever taken out, in the order they were catalogued; the period "
                "is of when they were added (acquired, or catalogued)."
            ),
            _columns(
                ("barcode", gettext_lazy("Barcode")),
                ("title", gettext_lazy("Title")),
                ("call_number", gettext_lazy("Call number")),
                ("location", gettext_lazy("Location")),
                ("added", gettext_lazy("Added")),
                ("status", gettext_lazy("Status")),
            ),
            (*COPIES, "circulation.view_loan"),
            None,
            _never_borrowed,
            chart_label=gettext_lazy("Copies"),
        ),
        Report(
            "new-acquisitions",
            gettext_lazy("New acquisitions"),
            gettext_lazy(
                "Copies added in the period (acquired, or catalogued when no acquisition date is "
                "known), the newest first."
            ),
            _columns(
                ("added", gettext_lazy("Added")),
                ("barcode", gettext_lazy("Barcode")),
                ("title", gettext_lazy("Title")),
                ("call_number", gettext_lazy("Call number")),
                ("location", gettext_lazy("Location")),
            ),
            COPIES,
            365,
            _new_acquisitions,
            chart_label=gettext_lazy("Copies"),
        ),
    )
}


def period_of(report: Report, start: str | None, end: str | None) -> Period:
    """The period asked for (``from`` and ``to``, YYYY-MM-DD): ``to`` defaults to today,
    ``from`` to the report's own default when absent and to the beginning when blank."""
    today = timezone.localdate()
    problems: dict[str, list[str]] = {}
    last = _day(end, "to", problems) if end else today
    if start is None:
        first = (
            None
            if report.default_days is None
            else today - datetime.timedelta(days=report.default_days)
        )
    else:
        first = _day(start, "from", problems) if start else None
    if first and last and first > last:
        problems.setdefault("from", []).append(
            _("The period must start on or before its end (to).")
        )
    if problems:
        raise InvalidInput.collect(problems)
    assert last is not None
    return Period(first, last)


def _day(text: str, name: str, problems: dict[str, list[str]]) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        problems.setdefault(name, []).append(
            _("'%(text)s' is not a date: write it as YYYY-MM-DD.") % {"text": text[:40]}
        )
        return None
