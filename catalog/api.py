"""Catalog REST API: books, authors, subjects and copies.

Built from the API kit (shelfmark.api.views): reads render the selectors' row shapes, writes
validate with an input serializer and call one service. The catalog is public: anyone may
read, and only staff may write.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponseBase
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.utils import translate_validation
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import selectors, services
from catalog.facets import FACET_NAMES, FACETS, book_facets, facet_names
from catalog.filters import BookFilter, CopyFilter, NameFilter
from catalog.models import Author, Book, Copy, Subject
from catalog.serializers import (
    AuthorInputSerializer,
    AuthorSerializer,
    BookInputSerializer,
    BookSerializer,
    CopyInputSerializer,
    CopySerializer,
    SubjectInputSerializer,
    SubjectSerializer,
)
from shelfmark.api.pagination import KeysetPagination
from shelfmark.api.permissions import AnyoneReadsStaffWrites
from shelfmark.api.views import (
    CreateMixin,
    DestroyMixin,
    ListMixin,
    ResourceApi,
    RetrieveMixin,
    UpdateMixin,
)
from shelfmark.conditional import not_modified, with_etag
from shelfmark.errors import InvalidInput
from shelfmark.rows import Row


class CatalogAccess(AnyoneReadsStaffWrites):
    message = gettext_lazy("Only staff accounts may change the catalog.")


class CatalogApi(ResourceApi):
    """The whole catalog is visible to everyone: the scope is the whole table."""

    model: ClassVar[type[Book | Author | Subject | Copy]]
    permission_classes = [CatalogAccess]

    def get_scope(self) -> QuerySet[Any]:
        return self.model.objects.all()


# --- Books -------------------------------------------------------------------------------------


class BookApi(CatalogApi):
    model = Book
    row_shape = selectors.BOOK_ROWS
    list_url_name = "book-list"
    serializer_class = BookSerializer
    input_serializer_class = BookInputSerializer

    def present(self, rows: list[Row]) -> list[Row]:
        # Rows carry the cover's site-relative URL (the website uses it as it is); API clients
        # get it absolute, like every other URL in an answer. No query: the name is a column.
        rows = super().present(rows)
        site = self.request.build_absolute_uri("/").removesuffix("/")
        for row in rows:
            if row["cover"]:
                row["cover"] = site + row["cover"]
        return rows


FACETS_PARAMETER = "facets"

_FACET_VALUE_SCHEMA = {
    "type": "object",
    "required": ["value", "count"],
    "properties": {
        "value": {
            "type": "string",
            "description": "What the list's filter of the same name takes.",
        },
        "count": {"type": "integer", "minimum": 1, "description": "Matching books with it."},
        "id": {"type": "integer", "description": "author and subject: the row's id."},
    },
}


class BookPagination(KeysetPagination):
    """The book list's page: what the search did to the query beside it, and the facets when
    `?facets=` asks for them (the schema only: BookListApi adds them to the answer)."""

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["facets"] = {
            "type": "object",
            "description": (
                "Only with `?facets=`: for each facet asked for, its most frequent values among "
                "all the matching books (not only this page), at most 10, the most frequent "
                "first. Each value is what the list's filter of the same name takes."
            ),
            "properties": {
                name: {"type": "array", "items": _FACET_VALUE_SCHEMA, "description": f.description}
                for name, f in FACETS.items()
            },
        }
        paginated["properties"]["facets_estimated"] = {
            "type": "boolean",
            "description": (
                "Only with `?facets=`. true when more books match than "
                f"{settings.CATALOG_FACETS_EXACT_LIMIT:,}: every facet is then counted over the "
                "first that many matches by id (the books catalogued first), so its counts are "
                "lower bounds."
            ),
        }
        paginated["properties"]["corrected_query"] = {
            "type": "string",
            "nullable": True,
            "example": None,
            "description": (
                "The search as corrected, when a misspelt word of `q` was also matched as the "
                "word it most likely means (e.g. `history` for `histroy`); null otherwise. "
                "`literal=1` searches without corrections."
            ),
        }
        return paginated


class BookListApi(ListMixin, CreateMixin, BookApi):
    """Books in the catalog.

    Search with `q`: whole words (the last one also as the start of a word) in title, subtitle,
    authors, subjects, description or ISBN, ranked by relevance (ties by title); a misspelt word
    is matched as the word it most likely means as well, and `corrected_query` beside the page
    says so (`literal=1` turns corrections off); an ISBN typed any way finds its book. Filter by
    author, subject, language, decade, year range and availability. With `facets`, the answer
    also counts the matching books by author, subject, language, decade and availability
    (`facets`, `facets_estimated`). Cursor-paginated: follow `next` and `previous`. POST (staff)
    adds a book; `authors` and `subjects` take ids or names, and unknown names are created.
    """

    filterset_class = BookFilter
    pagination_class = BookPagination
    ordering_fields = selectors.BOOK_ORDERINGS
    corrected_query: str | None = None
    search_window: int | None = None

    @property
    def ordering_default(self) -> str:
        # A search's answer comes by relevance; the catalog without one, by title.
        params = getattr(getattr(self, "request", None), "query_params", {})
        return "relevance" if params.get("q", "").strip() else "title"

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # DjangoFilterBackend's work, keeping the filter set: its search knows the corrected
        # query the answer reports.
        filterset = BookFilter(self.request.query_params, queryset=queryset, request=self.request)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)  # type: ignore[misc]  # untyped
        books = filterset.qs
        self.corrected_query = filterset.corrected_query
        self.search_window = filterset.search_window
        return books

    def get_paginated_response(self, data: list[Row]) -> Response:
        response = super().get_paginated_response(data)
        response.data["corrected_query"] = self.corrected_query
        return response

    @extend_schema(
        parameters=[
            OpenApiParameter(
                FACETS_PARAMETER,
                {"type": "array", "items": {"type": "string", "enum": list(FACET_NAMES)}},
                OpenApiParameter.QUERY,
                required=False,
                style="form",
                explode=False,
                description=(
                    "Comma-separated facets to count over all the matching books, e.g. "
                    "`author,subject,language,decade,available`; an unknown name is a 400."
                ),
            )
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Checked first: a bad ?facets= costs no query.
        wanted = facet_names(request.query_params.get(FACETS_PARAMETER, ""))
        matches = self.filter_queryset(self.get_scope())
        page = self.paginate_queryset(self.row_shape.rows(matches))
        assert page is not None  # every list is paged (KeysetPagination)
        # Facets count every match, which the page's versions do not follow: no ETag then.
        etag = None if wanted else self.page_etag(page, extra=self.corrected_query or "")
        if answer := not_modified(request, etag):
            return answer
        response = self.get_paginated_response(self.present(page))
        if wanted:
            facets = book_facets(matches, wanted, window=self.search_window)
            response.data["facets"] = facets.values
            response.data["facets_estimated"] = facets.estimated
        return with_etag(response, etag)

    def create_object(self, data: dict[str, Any]) -> Book:
        return services.book_create(**data)


class BookDetailApi(RetrieveMixin, UpdateMixin, DestroyMixin, BookApi):
    """One book with its authors, subjects and copy counts. PUT/PATCH/DELETE need staff;
    a book that still has copies cannot be deleted (409)."""

    def update_object(self, obj: Book, data: dict[str, Any]) -> None:
        services.book_update(book=obj, **data)

    def delete_object(self, obj: Book) -> None:
        services.book_delete(book=obj)


# --- Authors -----------------------------------------------------------------------------------


class AuthorApi(CatalogApi):
    model = Author
    row_shape = selectors.AUTHOR_ROWS
    list_url_name = "author-list"
    serializer_class = AuthorSerializer
    input_serializer_class = AuthorInputSerializer


class AuthorListApi(ListMixin, CreateMixin, AuthorApi):
    """Authors, sorted by sort name; `q` matches part of the name."""

    filterset_class = NameFilter
    ordering_fields = {"sort_name": ("sort_name", "id"), "created": ("created_at", "id")}
    ordering_default = "sort_name"

    def create_object(self, data: dict[str, Any]) -> Author:
        return services.author_create(**data)


class AuthorDetailApi(RetrieveMixin, UpdateMixin, DestroyMixin, AuthorApi):
    """One author. An author who is still on a book cannot be deleted (409)."""

    def update_object(self, obj: Author, data: dict[str, Any]) -> None:
        services.author_update(author=obj, **data)

    def delete_object(self, obj: Author) -> None:
        services.author_delete(author=obj)


# --- Subjects ----------------------------------------------------------------------------------


class SubjectApi(CatalogApi):
    model = Subject
    row_shape = selectors.SUBJECT_ROWS
    list_url_name = "subject-list"
    serializer_class = SubjectSerializer
    input_serializer_class = SubjectInputSerializer


class SubjectListApi(ListMixin, CreateMixin, SubjectApi):
    """Subjects, by name; `q` matches part of the name."""

    filterset_class = NameFilter
    ordering_fields = {"name": ("name", "id"), "created": ("created_at", "id")}
    ordering_default = "name"

    def create_object(self, data: dict[str, Any]) -> Subject:
        return services.subject_create(**data)


class SubjectDetailApi(RetrieveMixin, UpdateMixin, DestroyMixin, SubjectApi):
    """One subject. Deleting it removes it from its books."""

    def update_object(self, obj: Subject, data: dict[str, Any]) -> None:
        services.subject_update(subject=obj, **data)

    def delete_object(self, obj: Subject) -> None:
        services.subject_delete(subject=obj)


# --- Copies ------------------------------------------------------------------------------------


class CopyApi(CatalogApi):
    model = Copy
    row_shape = selectors.COPY_ROWS
    list_url_name = "copy-list"
    serializer_class = CopySerializer
    input_serializer_class = CopyInputSerializer

    def with_book(self, data: dict[str, Any]) -> dict[str, Any]:
        """The input with its book id replaced by the book (a 400 when there is none)."""
        if "book" in data:
            data["book"] = selectors.book_get(data["book"])
            if data["book"] is None:
                raise InvalidInput(_("No book with this id."), field="book")
        return data


class CopyListApi(ListMixin, CreateMixin, CopyApi):
    """Physical copies, by barcode; filter by `book`, `status` or exact `barcode`."""

    filterset_class = CopyFilter
    ordering_fields = {"barcode": ("barcode",), "created": ("created_at", "id")}
    ordering_default = "barcode"

    def create_object(self, data: dict[str, Any]) -> Copy:
        return services.copy_create(**self.with_book(data))


class CopyDetailApi(RetrieveMixin, UpdateMixin, DestroyMixin, CopyApi):
    """One copy. PATCH changes its status, shelf or barcode (staff); the circulation statuses
    `on_loan` and `on_hold_shelf` cannot be set or left here (409)."""

    def update_object(self, obj: Copy, data: dict[str, Any]) -> None:
        services.copy_update(copy=obj, **self.with_book(data))

    def delete_object(self, obj: Copy) -> None:
        services.copy_delete(copy=obj)
