"""Server-rendered catalog pages: thin, like the API views, over the same selectors."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from catalog import rules, selectors
from catalog.extensions import book_page_includes
from catalog.filters import BookFilter
from catalog.models import Book, CopyStatus
from shelfmark import keyset

PAGE_SIZE = 25
# Like the API, the page honours ?ordering=, ?page_size= and ?cursor=, with the same checks; a
# search comes by relevance (?literal=1 searches without spelling corrections).
LIST_ORDERINGS = {key: selectors.BOOK_ORDERINGS[key] for key in ("relevance", "title")}
_PARAMETER_OF_ERROR: dict[type[keyset.KeysetError], str] = {
    keyset.InvalidPageSize: "page_size",
    keyset.InvalidOrdering: "ordering",
    keyset.InvalidCursor: "cursor",
}


def book_list(request: HttpRequest) -> HttpResponse:
    """Home page: the books, searchable, a page at a time (same cursors as the API)."""
    filterset = BookFilter(request.GET, queryset=Book.objects.all())
    context: dict[str, Any] = {
        "query": request.GET.get("q", ""),
        "errors": None,
        "books": [],
        "filtered": False,
    }
    if not filterset.is_valid():
        context["errors"] = filterset.errors
        return render(request, "catalog/book_list.html", context, status=400)
    try:
        size = keyset.parse_page_size(
            request.GET.get("page_size"), default=PAGE_SIZE, maximum=settings.API_MAX_PAGE_SIZE
        )
        searching = bool(request.GET.get("q", "").strip())
        ordering = keyset.resolve_ordering(
            request.GET.get("ordering"),
            LIST_ORDERINGS,
            default="relevance" if searching else "title",
        )
        position = keyset.decode_cursor(request.GET.get("cursor"))
        page = keyset.page(
            selectors.book_rows(filterset.qs), ordering=ordering, size=size, position=position
        )
    except keyset.KeysetError as error:  # e.g. a damaged cursor in the URL
        context["errors"] = {_PARAMETER_OF_ERROR[type(error)]: [str(error)]}
        return render(request, "catalog/book_list.html", context, status=400)
    context.update(
        books=selectors.book_representations(page.rows, viewer=request.user),
        filtered=any(request.GET.get(name) for name in filterset.filters),
        corrected_query=filterset.corrected_query,
        literal_url=_literal_url(request) if filterset.corrected_query else None,
        next_url=_page_url(request, page.next),
        previous_url=_page_url(request, page.previous),
    )
    return render(request, "catalog/book_list.html", context)


def _literal_url(request: HttpRequest) -> str:
    """This search without spelling corrections (and from its first page)."""
    query = request.GET.copy()
    query.pop("cursor", None)
    query["literal"] = "1"
    return f"{request.path}?{query.urlencode()}"


def _page_url(request: HttpRequest, position: keyset.Position | None) -> str | None:
    """This page's URL (search and filters kept) with the cursor for ``position``."""
    if position is None:
        return None
    query = request.GET.copy()
    query["cursor"] = keyset.encode_cursor(position)
    return f"{request.path}?{query.urlencode()}"


def book_detail(request: HttpRequest, pk: int) -> HttpResponse:
    book = selectors.book_detail(pk, viewer=request.user)
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
            # Other apps' parts of the page (catalog/extensions.py explains the hook).
            "book_page_includes": book_page_includes(),
        },
    )


# A versioned cover URL names one file for good (covers are named after their content): browsers
# and proxies may keep it a year. Without the current version, a short time only.
COVER_CACHE_VERSIONED = "public, max-age=31536000, immutable"
COVER_CACHE_UNVERSIONED = "public, max-age=300"
_COVER_TYPES = dict(rules.COVER_FORMATS.values())  # extension -> media type


@require_GET
def book_cover(request: HttpRequest, pk: int) -> FileResponse:
    """A book's cover image, from the default storage: the production image serves only static
    files through WhiteNoise, and covers are uploaded and fetched at run time."""
    name = selectors.book_cover_file(pk)
    if name is None:
        raise Http404("This book has no cover.")
    extension = name.rpartition(".")[2].lower()
    try:
        file = default_storage.open(name, "rb")
    except FileNotFoundError:  # the row outlived its file (a restored database, say)
        raise Http404("This book's cover file is missing.") from None
    response = FileResponse(
        file, content_type=_COVER_TYPES.get(extension, "application/octet-stream")
    )
    current = request.GET.get("v") == selectors.cover_version(name)
    response["Cache-Control"] = COVER_CACHE_VERSIONED if current else COVER_CACHE_UNVERSIONED
    return response
