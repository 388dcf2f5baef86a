"""Query-string filters for the circulation lists (django-filter)."""

from __future__ import annotations

import django_filters as filters
from django.db.models import QuerySet

from catalog.filters import BOOLEAN_CHOICES, IntegerFilter
from circulation.models import FineKind, Hold, HoldStatus, Loan, Patron
from circulation.selectors.rows import overdue_condition, patron_search
from shelfmark.api.fields import MAX_ID


def _id_filter(field_name: str, help_text: str) -> IntegerFilter:
    return IntegerFilter(field_name=field_name, min_value=1, max_value=MAX_ID, help_text=help_text)


class PatronFilter(filters.FilterSet):
    q = filters.CharFilter(
        method="filter_q",
        max_length=200,
        help_text="Words that must all appear in the name, card number or email.",
    )
    category = _id_filter("category_id", "Patron category id.")
    blocked = filters.ChoiceFilter(
        method="filter_blocked", choices=BOOLEAN_CHOICES, help_text="true: blocked cards only."
    )

    class Meta:
        model = Patron
        fields: list[str] = []

    def filter_q(self, patrons: QuerySet, name: str, value: str) -> QuerySet:
        return patron_search(patrons, value)

    def filter_blocked(self, patrons: QuerySet, name: str, value: str) -> QuerySet:
        return patrons.filter(blocked=value == "true")


class LoanFilter(filters.FilterSet):
    patron = _id_filter("patron_id", "Patron id.")
    copy = filters.CharFilter(
        field_name="copy__barcode", max_length=64, help_text="The copy's exact barcode."
    )
    book = _id_filter("copy__book_id", "Book id.")
    open = filters.ChoiceFilter(
        method="filter_open",
        choices=BOOLEAN_CHOICES,
        help_text="true: on loan now; false: checked in.",
    )
    overdue = filters.ChoiceFilter(
        method="filter_overdue",
        choices=BOOLEAN_CHOICES,
        help_text="true: on loan and past the due date; false: every other loan.",
    )

    class Meta:
        model = Loan
        fields: list[str] = []

    def filter_open(self, loans: QuerySet, name: str, value: str) -> QuerySet:
        return loans.filter(checked_in_at__isnull=value == "true")

    def filter_overdue(self, loans: QuerySet, name: str, value: str) -> QuerySet:
        overdue = overdue_condition()
        return loans.filter(overdue) if value == "true" else loans.exclude(overdue)


class HoldFilter(filters.FilterSet):
    patron = _id_filter("patron_id", "Patron id.")
    book = _id_filter("book_id", "Book id.")
    status = filters.ChoiceFilter(choices=HoldStatus.choices)

    class Meta:
        model = Hold
        fields: list[str] = []


class FineFilter(filters.FilterSet):
    patron = _id_filter("patron_id", "Patron id.")
    kind = filters.ChoiceFilter(
        field_name="kind", choices=FineKind.choices, help_text="charge, payment or waiver."
    )
