"""Server-rendered catalog pages: thin, like the API views, over the same selectors."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from catalog import rules, selectors
from catalog.extensions import book_page_includes
from catalog.facets import FACET_NAMES, FACETS, BookFacets, book_facets
from catalog.filters import BookFilter
from catalog.models import Book, CopyStatus
from shelfmark import keyset
from shelfmark.api.fields import ID_PATTERN
from shelfmark.conditional import not_modified, page_etag, with_etag

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
    filtered = any(request.GET.get(name) for name in filterset.filters)
    query = request.GET.get("q", "")
    # Facets narrow a search or a filtered list. Not the bare home page, the busiest page: its
    # facets would count the whole catalog (at a million books, estimated from a sample); nor
    # a search that found nothing.
    facets = (
        book_facets(filterset.qs, FACET_NAMES, window=filterset.search_window)
        if filtered and page.rows
        else None
    )
    context.update(
        books=selectors.book_representations(page.rows, viewer=request.user),
        filtered=filtered,
        corrected_query=filterset.corrected_query,
        literal_url=_literal_url(request) if filterset.corrected_query else None,
        next_url=_page_url(request, page.next),
        previous_url=_page_url(request, page.previous),
        facets=_facet_groups(request, facets) if facets else [],
        facets_estimated=facets.estimated if facets else False,
        facets_limit=facets.limit if facets else 0,
        facets_limit_text=number_format(facets.limit, force_grouping=True) if facets else "",
        active_filters=_active_filters(request, filterset, facets),
        # Every filter off, the search kept.
        clear_filters_url=f"{request.path}?{urlencode({'q': query})}" if query else request.path,
    )
    return render(request, "catalog/book_list.html", context)


# Labels of the list's filters that are not facets (the facets' own are in catalog.facets).
FILTER_LABELS = {
    "year_min": gettext_lazy("Published from"),
    "year_max": gettext_lazy("Published until"),
}


def _with_parameter(request: HttpRequest, name: str, value: str | None) -> str:
    """This list's URL with ``name`` set to ``value`` (or removed, for None), from its first
    page: a cursor belongs to the list it was made for."""
    query = request.GET.copy()
    query.pop("cursor", None)
    query.pop(name, None)
    if value is not None:
        query[name] = value
    return f"{request.path}?{query.urlencode()}" if query else request.path


def language_name(code: str) -> str:
    """A language's name in the visitor's language (Django's names and their translations),
    or its code for a language Django does not name ("grc")."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def _value_label(name: str, value: str) -> str:
    if name == "language":
        return language_name(value)
    if name == "decade":
        # Translators: a decade, named by its first year: "1990s".
        return _("%(year)ss") % {"year": value}
    if name == "available":
        return _("On the shelf now") if value == "true" else _("None on the shelf")
    return value


def _parameter_of(name: str, entry: dict[str, Any]) -> str:
    """What a facet value's link sends: the value, or the id for an author or subject whose
    name the filter would read as an id (a subject called "1984")."""
    if "id" in entry and re.fullmatch(ID_PATTERN, entry["value"]):
        return str(entry["id"])
    return str(entry["value"])


def _is_current(given: str, entry: dict[str, Any]) -> bool:
    """Whether the filter's value in the URL (as typed: a name in any capitals, or an id)
    selects this facet value."""
    given = given.strip()
    return given.casefold() == entry["value"].casefold() or given == str(entry.get("id"))


def _facet_groups(request: HttpRequest, facets: BookFacets) -> list[dict[str, Any]]:
    groups = []
    for name, entries in facets.values.items():
        given = request.GET.get(name, "")
        values = [
            {
                "label": _value_label(name, entry["value"]),
                "count": entry["count"],
                "current": bool(given) and _is_current(given, entry),
                "url": _with_parameter(request, name, _parameter_of(name, entry)),
            }
            for entry in entries
        ]
        if values:
            groups.append({"name": name, "label": str(FACETS[name].label), "values": values})
    return groups


def _active_filters(
    request: HttpRequest, filterset: BookFilter, facets: BookFacets | None
) -> list[dict[str, str]]:
    """The filters in the URL (the search box shows ``q``), each with a link that removes it."""
    active = []
    for name in filterset.filters:
        given = request.GET.get(name, "")
        if name == "q" or not given:
            continue
        value = given
        if name in FACETS:
            # A value given by id shows its name when the facets have it (they count the
            # filtered books, so the filter's own value is among them).
            entries = facets.values.get(name, []) if facets else []
            match = next((entry for entry in entries if _is_current(given, entry)), None)
            value = _value_label(name, match["value"] if match else given.strip())
        active.append(
            {
                "label": str(FACETS[name].label)
                if name in FACETS
                else str(FILTER_LABELS.get(name, name)),
                "value": value,
                "remove_url": _with_parameter(request, name, None),
            }
        )
    return active


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


def book_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    row = selectors.book_row(pk)
    if row is None:
        raise Http404("No such book.")
    # A visitor who has this page as it is gets a 304 before anything else is read.
    etag = page_etag(request, [row], version="version")
    if answer := not_modified(request, etag):
        return answer
    (book,) = selectors.BOOK_ROWS.present([row], viewer=request.user)
    copies = selectors.book_copies(pk)
    status_labels = dict(CopyStatus.choices)
    for copy in copies:
        copy["status_label"] = status_labels[copy["status"]]
    response = render(
        request,
        "catalog/book_detail.html",
        {
            "book": book,
            "isbn_display": selectors.isbn_display(book["isbn"]),
            "language_name": language_name(book["language"]),
            "copies": copies,
            # Other apps' parts of the page (catalog/extensions.py explains the hook).
            "book_page_includes": book_page_includes(),
        },
    )
    return with_etag(response, etag)


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
