"""The staff website's "Add by ISBN" page, built for a USB barcode scanner (it types the ISBN and
presses Enter): scan, then either add a copy of the book the catalog has, or confirm the details
Open Library has (or type them) to add the book. Plain forms, no JavaScript; each POST
redirects back to the page for the same ISBN, which then shows the book with its copies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from catalog import selectors, services
from catalog.models import Book, CopyStatus
from interchange.forms.isbn import BookForm, CopyForm
from interchange.openlibrary.origins import allowed_origins
from interchange.services.isbn import IsbnAnswer, Source, book_add_with_copy, isbn_lookup
from shelfmark import pages
from shelfmark.errors import DomainError
from shelfmark.pages import View

# What the page needs: the Librarians group and Administrators have both.
ADD_PERMISSIONS = ("catalog.add_book", "catalog.add_copy")
TEMPLATE = "interchange/add_by_isbn.html"


def staff_page(*permissions: str) -> Callable[[View], View]:
    return pages.staff_page(*permissions, forbidden="interchange/forbidden.html")


def can_add_books(user: Any) -> bool:
    """Whether the site's navigation shows the page (the same test as the page's)."""
    return pages.is_staff_with(user, ADD_PERMISSIONS)


# The preview shows Open Library's cover before it is stored here (covers.openlibrary.org
# redirects to the Internet Archive's servers): this page alone allows images from where the
# server itself may fetch them.
COVER_PREVIEW_POLICY = {"img-src": list(allowed_origins())}


@require_http_methods(["GET", "POST"])
@csp_update(COVER_PREVIEW_POLICY)
@staff_page(*ADD_PERMISSIONS)
def add_by_isbn(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("action") == "copy":
            return _add_copy(request)
        return _add_book(request)
    raw = request.GET.get("isbn", "").strip()
    if not raw:
        return render(request, TEMPLATE, {"isbn": ""})
    try:
        # Someone waits at the page: a short deadline, then the form to fill in by hand.
        answer = isbn_lookup(raw, within=settings.OPENLIBRARY_PAGE_SECONDS)
    except DomainError as error:
        return render(request, TEMPLATE, {"isbn": raw, "isbn_error": error.message}, status=400)
    return render(request, TEMPLATE, _context_for(answer))


# What the page says when Open Library is out of reach (the API's answer gives the reason, for
# scripts); the form below is the next step.
UNAVAILABLE = gettext_lazy("Open Library could not be reached — fill in the details below.")


def _context_for(answer: IsbnAnswer, **forms: Any) -> dict[str, Any]:
    message = UNAVAILABLE if answer.reason == "unavailable" else answer.message
    context: dict[str, Any] = {"isbn": answer.isbn, "answer": answer, "message": message}
    if answer.source is Source.CATALOG:
        assert answer.book_id is not None
        context["book"] = selectors.book_detail(answer.book_id)
        # The copies' status as people read it ("On loan"), as on the book's page.
        context["copies"] = [
            {**copy, "status_label": CopyStatus(copy["status"]).label} for copy in answer.copies
        ]
        context["copy_form"] = forms.get("copy_form") or CopyForm()
        return context
    metadata = answer.metadata
    initial: dict[str, Any] = {"isbn": answer.isbn}
    if metadata is not None:
        initial.update(
            title=metadata.title,
            subtitle=metadata.subtitle,
            authors="\n".join(metadata.authors),
            publisher=metadata.publisher,
            year=metadata.year,
            language=metadata.language,
            pages=metadata.pages,
            subjects="\n".join(metadata.subjects),
            description=metadata.description,
            cover_url=metadata.cover_url,
        )
    book_form = forms.get("book_form") or BookForm(initial=initial)
    book_form.focus_first_field()
    context["book_form"] = book_form
    return context


def _back_to(isbn: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse('catalog-add')}?{urlencode({'isbn': isbn})}")


def _add_book(request: HttpRequest) -> HttpResponse:
    form = BookForm(request.POST)
    if form.is_valid():
        try:
            added = book_add_with_copy(
                book=form.book_fields(),
                authors=form.authors_list(),
                subjects=form.subjects_list(),
                copy=form.copy_fields(),
                cover_url=form.cleaned_data.get("cover_url") or "",
            )
        except DomainError as error:
            _add_errors(form, error)
        else:
            if added.copy:
                added_message = _("Added “%(title)s” with copy %(barcode)s.") % {
                    "title": added.book.title,
                    "barcode": added.copy.barcode,
                }
            else:
                added_message = _("Added “%(title)s”.") % {"title": added.book.title}
            messages.success(request, added_message)
            if added.cover_problem:
                messages.warning(
                    request, _("No cover: %(reason)s") % {"reason": added.cover_problem}
                )
            return _back_to(added.book.isbn or form.cleaned_data["isbn"])
    answer = IsbnAnswer(isbn=request.POST.get("isbn", ""), source=Source.NONE)
    context = _context_for(answer, book_form=form)
    context["form_errors"] = True
    return render(request, TEMPLATE, context, status=400)


def _add_copy(request: HttpRequest) -> HttpResponse:
    form = CopyForm(request.POST)
    book = Book.objects.filter(pk=_int(request.POST.get("book"))).first()
    if book is None:
        messages.error(request, _("That book is no longer in the catalog; scan its ISBN again."))
        return HttpResponseRedirect(reverse("catalog-add"))
    if form.is_valid():
        try:
            copy = services.copy_create(
                book=book,
                barcode=form.cleaned_data.get("barcode") or "",
                call_number=form.cleaned_data.get("call_number") or "",
                location=form.cleaned_data.get("location") or "",
            )
        except DomainError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("Added copy %(barcode)s of “%(title)s”.")
                % {"barcode": copy.barcode, "title": book.title},
            )
            return _back_to(book.isbn or "")
    answer = isbn_lookup(book.isbn) if book.isbn else None
    if answer is None or answer.source is not Source.CATALOG:
        messages.error(request, _("That book has no ISBN any more; add the copy in the admin."))
        return HttpResponseRedirect(reverse("catalog-add"))
    context = _context_for(answer, copy_form=form)
    context["form_errors"] = True
    return render(request, TEMPLATE, context, status=400)


def _add_errors(form: BookForm | CopyForm, error: DomainError) -> None:
    fields = error.as_field_errors() or {}
    placed = False
    for name, field_messages in fields.items():
        target = name if name in form.fields else None
        for message in field_messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 19 else 0
