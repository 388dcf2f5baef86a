"""Server-rendered catalog pages: thin, like the API views, over the same selectors."""

from __future__ import annotations

from types import SimpleNamespace

from django.conf.locale import LANG_INFO
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from catalog import selectors
from catalog.filters import BookFilter
from catalog.models import CopyStatus
from shelfmark.api.pagination import CursorPagination

PAGE_SIZE = 25
_LIST_ORDERING = SimpleNamespace(
    ordering_fields={"title": ("title", "id")}, ordering_default="title"
)


def book_list(request: HttpRequest) -> HttpResponse:
    """Home page: the books, searchable, a page at a time (same cursors as the API)."""
    filterset = BookFilter(request.GET, queryset=selectors.book_rows())
    context = {"query": request.GET.get("q", ""), "errors": None, "books": [], "filtered": False}
    if not filterset.is_valid():
        context["errors"] = filterset.errors
        return render(request, "catalog/book_list.html", context, status=400)
    paginator = CursorPagination()
    paginator.page_size = PAGE_SIZE
    try:
        page = paginator.paginate_queryset(filterset.qs, Request(request), view=_LIST_ORDERING)
    except APIException as error:  # a damaged cursor in the URL
        context["errors"] = {"page": [str(error.detail)]}
        return render(request, "catalog/book_list.html", context, status=error.status_code)
    context.update(
        books=selectors.book_representations(page),
        filtered=any(request.GET.get(name) for name in filterset.filters),
        next_url=paginator.get_next_link(),
        previous_url=paginator.get_previous_link(),
    )
    return render(request, "catalog/book_list.html", context)


def book_detail(request: HttpRequest, pk: int) -> HttpResponse:
    book = selectors.book_detail(pk)
    if book is None:
        raise Http404("No such book.")
    copies = selectors.book_copies(pk)
    status_labels = dict(CopyStatus.choices)
    for copy in copies:
        copy["status_label"] = status_labels[copy["status"]]
    return render(
        request,
        "catalog/book_detail.html",
        {
            "book": book,
            "isbn_display": selectors.isbn_display(book["isbn"]),
            "language_name": LANG_INFO.get(book["language"], {}).get("name", book["language"]),
            "copies": copies,
        },
    )
