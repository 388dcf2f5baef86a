"""Catalog REST API: books, authors, subjects and copies.

Reads render selector rows; writes validate with an input serializer and call one service.
Anyone may read; only staff may write.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view

from catalog import selectors, services
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
from shelfmark.api.views import RowDetailApi, RowListCreateApi
from shelfmark.errors import InvalidInput


def _writes_documented(input_serializer, output_serializer):
    """Schema for a detail view: input for PUT/PATCH, the output row for responses."""
    return extend_schema_view(
        put=extend_schema(request=input_serializer, responses=output_serializer),
        patch=extend_schema(request=input_serializer, responses=output_serializer),
    )


# --- Books -------------------------------------------------------------------------------------


class BookResource:
    model = Book
    list_url_name = "book-list"
    serializer_class = BookSerializer
    input_serializer_class = BookInputSerializer

    def represent(self, rows):
        return selectors.book_representations(rows)

    def detail_row(self, pk: int):
        return selectors.book_rows().filter(pk=pk).first()


@extend_schema_view(
    post=extend_schema(request=BookInputSerializer, responses={201: BookSerializer})
)
class BookListApi(BookResource, RowListCreateApi):
    """Books in the catalog.

    Search with `q` (every word must appear in title, subtitle, author or ISBN; an ISBN typed
    any way finds its book), filter by author, subject, language, year range and availability.
    Cursor-paginated: follow `next` and `previous`. POST (staff) adds a book; `authors` and
    `subjects` take ids or names, and unknown names are created.
    """

    filterset_class = BookFilter
    ordering_fields = {
        "title": ("title", "id"),
        "year": ("sort_year", "id"),
        "created": ("created_at", "id"),
        "updated": ("updated_at", "id"),
    }
    ordering_default = "title"

    def get_queryset(self):
        return selectors.book_rows()

    def create_object(self, data: dict[str, Any]) -> Book:
        return services.book_create(**data)


@_writes_documented(BookInputSerializer, BookSerializer)
class BookDetailApi(BookResource, RowDetailApi):
    """One book with its authors, subjects and copy counts. PUT/PATCH/DELETE need staff;
    a book that still has copies cannot be deleted (409)."""

    def get_queryset(self):
        return Book.objects.all()

    def update_object(self, obj: Book, data: dict[str, Any]) -> None:
        services.book_update(book=obj, **data)

    def delete_object(self, obj: Book) -> None:
        services.book_delete(book=obj)


# --- Authors -----------------------------------------------------------------------------------


class AuthorResource:
    model = Author
    list_url_name = "author-list"
    serializer_class = AuthorSerializer
    input_serializer_class = AuthorInputSerializer

    def detail_row(self, pk: int):
        return selectors.author_rows().filter(pk=pk).first()


@extend_schema_view(
    post=extend_schema(request=AuthorInputSerializer, responses={201: AuthorSerializer})
)
class AuthorListApi(AuthorResource, RowListCreateApi):
    """Authors, sorted by sort name; `q` matches part of the name."""

    filterset_class = NameFilter
    ordering_fields = {"sort_name": ("sort_name", "id"), "created": ("created_at", "id")}
    ordering_default = "sort_name"

    def get_queryset(self):
        return selectors.author_rows()

    def create_object(self, data: dict[str, Any]) -> Author:
        return services.author_create(**data)


@_writes_documented(AuthorInputSerializer, AuthorSerializer)
class AuthorDetailApi(AuthorResource, RowDetailApi):
    """One author. An author who is still on a book cannot be deleted (409)."""

    def get_queryset(self):
        return Author.objects.all()

    def update_object(self, obj: Author, data: dict[str, Any]) -> None:
        services.author_update(author=obj, **data)

    def delete_object(self, obj: Author) -> None:
        services.author_delete(author=obj)


# --- Subjects ----------------------------------------------------------------------------------


class SubjectResource:
    model = Subject
    list_url_name = "subject-list"
    serializer_class = SubjectSerializer
    input_serializer_class = SubjectInputSerializer

    def detail_row(self, pk: int):
        return selectors.subject_rows().filter(pk=pk).first()


@extend_schema_view(
    post=extend_schema(request=SubjectInputSerializer, responses={201: SubjectSerializer})
)
class SubjectListApi(SubjectResource, RowListCreateApi):
    """Subjects, by name; `q` matches part of the name."""

    filterset_class = NameFilter
    ordering_fields = {"name": ("name", "id"), "created": ("created_at", "id")}
    ordering_default = "name"

    def get_queryset(self):
        return selectors.subject_rows()

    def create_object(self, data: dict[str, Any]) -> Subject:
        return services.subject_create(**data)


@_writes_documented(SubjectInputSerializer, SubjectSerializer)
class SubjectDetailApi(SubjectResource, RowDetailApi):
    """One subject. Deleting it removes it from its books."""

    def get_queryset(self):
        return Subject.objects.all()

    def update_object(self, obj: Subject, data: dict[str, Any]) -> None:
        services.subject_update(subject=obj, name=data.get("name", obj.name))

    def delete_object(self, obj: Subject) -> None:
        services.subject_delete(subject=obj)


# --- Copies ------------------------------------------------------------------------------------


def _book_for(data: dict[str, Any]) -> Book | None:
    if "book" not in data:
        return None
    book = selectors.book_get(data.pop("book"))
    if book is None:
        raise InvalidInput("No book with this id.", field="book")
    return book


class CopyResource:
    model = Copy
    list_url_name = "copy-list"
    serializer_class = CopySerializer
    input_serializer_class = CopyInputSerializer

    def represent(self, rows):
        return [selectors.copy_representation(row) for row in rows]

    def detail_row(self, pk: int):
        return selectors.copy_rows().filter(pk=pk).first()


@extend_schema_view(
    post=extend_schema(request=CopyInputSerializer, responses={201: CopySerializer})
)
class CopyListApi(CopyResource, RowListCreateApi):
    """Physical copies, by barcode; filter by `book`, `status` or exact `barcode`."""

    filterset_class = CopyFilter
    ordering_fields = {"barcode": ("barcode",), "created": ("created_at", "id")}
    ordering_default = "barcode"

    def get_queryset(self):
        return selectors.copy_rows()

    def create_object(self, data: dict[str, Any]) -> Copy:
        book = _book_for(data)
        return services.copy_create(book=book, **data)


@_writes_documented(CopyInputSerializer, CopySerializer)
class CopyDetailApi(CopyResource, RowDetailApi):
    """One copy. PATCH changes its status, shelf or barcode (staff)."""

    def get_queryset(self):
        return Copy.objects.all()

    def update_object(self, obj: Copy, data: dict[str, Any]) -> None:
        services.copy_update(copy=obj, book=_book_for(data), **data)

    def delete_object(self, obj: Copy) -> None:
        services.copy_delete(copy=obj)
