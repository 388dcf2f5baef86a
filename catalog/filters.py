"""Query-string filters for the catalog lists (django-filter), shared by API and website."""

from __future__ import annotations

import re

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils.translation import gettext as _

from catalog.facets import decade_of, decade_years
from catalog.models import YEAR_MAX, YEAR_MIN, Book, Copy, CopyStatus
from catalog.rules import squash_spaces
from catalog.search import BookSearch
from catalog.selectors import book_filter_available, book_search_explained
from shelfmark.api.fields import ID_PATTERN, MAX_ID

BOOLEAN_CHOICES = [("true", "true"), ("false", "false")]


class IntegerFilter(filters.NumberFilter):
    # django-filter's way to change a filter's form field; the stubs pin NumberFilter's to
    # DecimalField.
    field_class = forms.IntegerField  # type: ignore[assignment]


def _is_a_decade(value: int) -> None:
    if decade_of(value) != value:
        raise ValidationError(
            _("A decade is named by its first year, a multiple of 10: 1990 for 1990 to 1999."),
            code="not_a_decade",
        )


def _by_id_or_name(books: QuerySet, value: str, *, id_path: str, name_path: str) -> QuerySet:
    if re.fullmatch(ID_PATTERN, value):
        return books.filter(**{id_path: int(value)})
    # LOWER() on both sides, as the names' unique constraints compare (and index) them; the
    # name in the rules' form (NFC, single spaces), as names are stored.
    return books.filter(Exact(Lower(name_path), Lower(Value(squash_spaces(value)))))


class BookFilter(filters.FilterSet):
    q = filters.CharFilter(
        method="filter_q",
        max_length=200,
        help_text=(
            "Search: whole words (the last one also as the start of a word) in title, subtitle, "
            "authors, subjects, description or ISBN, stop words optional, ranked by relevance; "
            "a misspelt word is matched as the word it most likely means too "
            "(`corrected_query` says so); or an ISBN typed any way."
        ),
    )
    literal = filters.ChoiceFilter(
        method="filter_literal",
        choices=[("1", "1"), ("0", "0"), *BOOLEAN_CHOICES],
        help_text="1 or true: search for `q` exactly as typed, without spelling corrections.",
    )
    author = filters.CharFilter(
        method="filter_author", max_length=255, help_text="Author id, or exact author name."
    )
    subject = filters.CharFilter(
        method="filter_subject", max_length=255, help_text="Subject id, or exact subject name."
    )
    language = filters.CharFilter(
        method="filter_language", max_length=3, help_text="ISO 639 code, e.g. en."
    )
    year_min = IntegerFilter(
        field_name="year",
        lookup_expr="gte",
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        help_text="Published in or after this year.",
    )
    year_max = IntegerFilter(
        field_name="year",
        lookup_expr="lte",
        min_value=YEAR_MIN,
        max_value=YEAR_MAX,
        help_text="Published in or before this year.",
    )
    decade = IntegerFilter(
        method="filter_decade",
        min_value=decade_of(YEAR_MIN),
        max_value=decade_of(YEAR_MAX),
        validators=[_is_a_decade],
        help_text="Published in this decade, named by its first year: 1990 for 1990 to 1999.",
    )
    available = filters.ChoiceFilter(
        method="filter_available",
        choices=BOOLEAN_CHOICES,
        help_text="true: books with a copy on the shelf now; false: books with none.",
    )

    class Meta:
        model = Book
        fields: list[str] = []

    # What the search said about the query (its corrected form), for the page to show; None
    # when there was no search.
    search: BookSearch | None = None

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # The search goes last: on PostgreSQL it ranks a window of its matches
        # (catalog.search.postgresql.RANK_WINDOW), which must be taken from the books the other
        # filters kept, not from the whole catalog.
        values = self.form.cleaned_data
        for name in sorted(values, key=lambda name: name == "q"):
            queryset = self.filters[name].filter(queryset, values[name])
        return queryset

    def filter_q(self, books: QuerySet, name: str, value: str) -> QuerySet:
        literal = self.form.cleaned_data.get("literal") in ("1", "true")
        self.search = book_search_explained(books, value, literal=literal)
        return self.search.books

    def filter_literal(self, books: QuerySet, name: str, value: str) -> QuerySet:
        return books  # read by filter_q

    @property
    def corrected_query(self) -> str | None:
        return None if self.search is None else self.search.corrected_query

    @property
    def search_window(self) -> int | None:
        """How many matches the search ranked at most (None: all, or no search)."""
        return None if self.search is None else self.search.window

    def filter_author(self, books: QuerySet, name: str, value: str) -> QuerySet:
        return _by_id_or_name(
            books, value, id_path="book_authors__author_id", name_path="book_authors__author__name"
        )

    def filter_subject(self, books: QuerySet, name: str, value: str) -> QuerySet:
        return _by_id_or_name(books, value, id_path="subjects__id", name_path="subjects__name")

    def filter_language(self, books: QuerySet, name: str, value: str) -> QuerySet:
        return books.filter(language=value.strip().lower())

    def filter_decade(self, books: QuerySet, name: str, value: int) -> QuerySet:
        return books.filter(year__range=decade_years(value))

    def filter_available(self, books: QuerySet, name: str, value: str) -> QuerySet:
        return book_filter_available(books, available=value == "true")


class NameFilter(filters.FilterSet):
    """For authors and subjects: ``?q=`` matches part of the name."""

    q = filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=200)


class CopyFilter(filters.FilterSet):
    book = IntegerFilter(field_name="book_id", min_value=1, max_value=MAX_ID, help_text="Book id.")
    status = filters.ChoiceFilter(choices=CopyStatus.choices)
    barcode = filters.CharFilter(max_length=64, help_text="Exact barcode.")

    class Meta:
        model = Copy
        fields: list[str] = []
