"""The desk's patron pages: find a patron, and their page, where a librarian serves a patron who
phones or walks in: every reason they cannot borrow now, renewing their card or changing its
expiry date, renewing one loan or all of them, placing a hold for them (with a search of the
catalog), suspending, resuming and cancelling their holds, and blocking their card.

Each action is a form that posts, calls one service, and comes back to the patron's page with
what happened as a message (post/redirect/get); none needs JavaScript.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from catalog import selectors as catalog_selectors
from catalog.models import Book
from circulation import services
from circulation.models import FineEntry, Hold, Loan, Patron
from circulation.policy import fines_enabled
from circulation.selectors import desk as selectors
from circulation.selectors.fines import patron_balance, patron_fines
from circulation.services.fines import fine_payment, fine_waive
from circulation.views.desk import desk_view
from circulation.views.hold_forms import (
    hold_cancel_from_form,
    hold_suspend_from_form,
    suspension_dates,
)
from shelfmark import languages
from shelfmark.errors import DomainError
from shelfmark.formats import long_date

PATRON_PERMISSIONS = ("circulation.view_patron",)
PATRON_CHANGE_PERMISSIONS = ("circulation.view_patron", "circulation.change_patron")
RENEW_PERMISSIONS = ("circulation.view_patron", "circulation.change_loan")
HOLD_PLACE_PERMISSIONS = ("circulation.view_patron", "circulation.add_hold")
HOLD_CHANGE_PERMISSIONS = ("circulation.view_patron", "circulation.change_hold")
FINE_VIEW_PERMISSIONS = ("circulation.view_patron", "circulation.view_fineentry")
FINE_SETTLE_PERMISSIONS = ("circulation.view_patron", "circulation.add_fineentry")
BOOK_SEARCH_LIMIT = 20


def _today() -> datetime.date:
    return timezone.localdate()


def _patron_or_404(pk: int) -> Patron:
    patron = Patron.objects.filter(pk=pk).first()
    if patron is None:
        raise Http404("No such patron.")
    return patron


def _back(request: HttpRequest, patron_pk: int) -> HttpResponseRedirect:
    """To the page the form was on (``next``, this site's only), else the patron's page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect("desk-patron", pk=patron_pk)


# --- Finding a patron, their page ---------------------------------------------------------------


@require_GET
@desk_view(*PATRON_PERMISSIONS)
def patron_search(request: HttpRequest) -> HttpResponse:
    """Find a patron by name, email or card number; a scanned card opens their page at once."""
    query = request.GET.get("q", "").strip()[:200]
    if query:
        exact = selectors.patron_by_card(query)
        if exact is not None:
            return redirect("desk-patron", pk=exact.pk)
    results = selectors.patron_search(query, _today()) if query else []
    return render(
        request,
        "circulation/desk/patron_search.html",
        {"query": query, "patrons": results, "limit": selectors.SEARCH_LIMIT},
    )


@require_GET
@desk_view(*PATRON_PERMISSIONS)
def patron_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The patron's page; ``?book=`` searches the catalog for a book to place a hold on."""
    return _patron_page(request, pk)


def _patron_page(
    request: HttpRequest, pk: int, *, block_error: str = "", status: int = 200
) -> HttpResponse:
    today = _today()
    patron = selectors.patron_page(pk, today)
    if patron is None:
        raise Http404("No such patron.")
    book_query = request.GET.get("book", "").strip()[:200]
    user = request.user
    return render(
        request,
        "circulation/desk/patron.html",
        {
            "patron": patron,
            "block_error": block_error,
            "history_limit": selectors.HISTORY_LIMIT,
            "may_change": user.has_perms(PATRON_CHANGE_PERMISSIONS),
            "may_renew": user.has_perms(RENEW_PERMISSIONS),
            "may_hold": user.has_perms(HOLD_PLACE_PERMISSIONS),
            "may_change_holds": user.has_perms(HOLD_CHANGE_PERMISSIONS),
            "book_query": book_query,
            "books": _books_to_hold(book_query) if book_query else [],
            "book_search_limit": BOOK_SEARCH_LIMIT,
            "language_choice": languages.choice(patron["language"]),
            **_fines(pk, user),
            **suspension_dates(today),
        },
        status=status,
    )


def _fines(patron_pk: int, user: Any) -> dict[str, Any]:
    """The patron's fines for their page (nothing where fines are off): the balance, the
    ledger, and whether this user may take payments and waive."""
    if not fines_enabled() or not user.has_perms(FINE_VIEW_PERMISSIONS):
        return {}
    return {
        "fines": patron_fines(patron_pk),
        "fines_balance": patron_balance(patron_pk),
        "may_settle_fines": user.has_perms(FINE_SETTLE_PERMISSIONS),
    }


def _books_to_hold(query: str) -> list[dict[str, Any]]:
    """Books matching ``query``, as the catalog's search finds them (an ISBN in any form too):
    at most BOOK_SEARCH_LIMIT, the best matches first."""
    found = catalog_selectors.book_search(Book.objects.all(), query)
    ranked = catalog_selectors.book_rows(found).order_by(
        *catalog_selectors.BOOK_ORDERINGS["relevance"]
    )
    rows = ranked[:BOOK_SEARCH_LIMIT]
    return catalog_selectors.book_representations(list(rows))


# --- The card ------------------------------------------------------------------------------------


@require_POST
@desk_view(*PATRON_CHANGE_PERMISSIONS)
def patron_block(request: HttpRequest, pk: int) -> HttpResponse:
    """Block a patron's card (a reason is required) or unblock it."""
    patron = _patron_or_404(pk)
    block = request.POST.get("action") == "block"
    try:
        services.patron_update(
            patron=patron,
            blocked=block,
            block_reason=request.POST.get("reason", "") if block else None,
            actor=request.user,
        )
    except DomainError as error:
        return _patron_page(request, pk, block_error=error.message, status=400)
    messages.success(request, _("Card blocked.") if block else _("Card unblocked."))
    return redirect("desk-patron", pk=pk)


@require_POST
@desk_view(*PATRON_CHANGE_PERMISSIONS)
def patron_renew_card(request: HttpRequest, pk: int) -> HttpResponse:
    """Extend the card by its category's period (from its expiry, or today when expired)."""
    patron = _patron_or_404(pk)
    try:
        patron = services.patron_card_renew(patron=patron, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        assert patron.expires_on is not None  # renewed: it has a date
        messages.success(
            request,
            _("%(name)s's card is renewed: valid until %(date)s.")
            % {"name": patron.name, "date": long_date(patron.expires_on)},
        )
    return _back(request, pk)


class ExpiryForm(forms.Form):
    expires_on = forms.DateField(
        required=False,
        error_messages={"invalid": gettext_lazy("Enter the day as a date (year-month-day).")},
    )


@require_POST
@desk_view(*PATRON_CHANGE_PERMISSIONS)
def patron_expiry(request: HttpRequest, pk: int) -> HttpResponse:
    """Set the card's expiry date by hand (empty: the card never expires)."""
    patron = _patron_or_404(pk)
    form = ExpiryForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(map(str, form.errors["expires_on"])))
        return redirect("desk-patron", pk=pk)
    expires_on = form.cleaned_data["expires_on"]
    try:
        services.patron_update(patron=patron, expires_on=expires_on, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if expires_on:
            said = _("%(name)s's card valid until %(date)s.") % {
                "name": patron.name,
                "date": long_date(expires_on),
            }
        else:
            said = _("%(name)s's card never expires now.") % {"name": patron.name}
        messages.success(request, said)
    return redirect("desk-patron", pk=pk)


@require_POST
@desk_view(*PATRON_CHANGE_PERMISSIONS)
def patron_language(request: HttpRequest, pk: int) -> HttpResponse:
    """The language of the patron's notices and emails (empty: the library's)."""
    patron = _patron_or_404(pk)
    try:
        patron = services.patron_update(
            patron=patron, language=request.POST.get("language", ""), actor=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(name)s's notices will be in %(language)s.")
            % {"name": patron.name, "language": languages.name_of(patron.language)},
        )
    return redirect("desk-patron", pk=pk)


# --- Loans ---------------------------------------------------------------------------------------


@require_POST
@desk_view(*RENEW_PERMISSIONS)
def loan_renew(request: HttpRequest, pk: int) -> HttpResponse:
    loan = Loan.objects.filter(pk=pk).select_related("copy__book").first()
    if loan is None:
        raise Http404("No such loan.")
    title = loan.copy.book.title
    try:
        loan = services.loan_renew(loan=loan, actor=request.user)
    except DomainError as error:
        messages.error(
            request,
            _("'%(title)s' was not renewed: %(reason)s")
            % {"title": title, "reason": error.message},
        )
    else:
        messages.success(
            request,
            _("Renewed '%(title)s': now due %(date)s.")
            % {"title": title, "date": long_date(loan.due_on)},
        )
    return redirect("desk-patron", pk=loan.patron_id)


@require_POST
@desk_view(*RENEW_PERMISSIONS)
def patron_renew_all(request: HttpRequest, pk: int) -> HttpResponse:
    """Renew every loan the patron has; what became of each, one message per loan."""
    patron = _patron_or_404(pk)
    outcomes = services.loans_renew_all(patron=patron, actor=request.user)
    if not outcomes:
        messages.info(request, _("%(name)s has nothing on loan.") % {"name": patron.name})
    for outcome in outcomes:
        title = outcome.loan.copy.book.title
        if outcome.renewed:
            messages.success(
                request,
                _("'%(title)s': %(message)s") % {"title": title, "message": outcome.message},
            )
        else:
            messages.error(
                request,
                _("'%(title)s' was not renewed: %(reason)s")
                % {"title": title, "reason": outcome.message},
            )
    return redirect("desk-patron", pk=pk)


# --- Holds ---------------------------------------------------------------------------------------


@require_POST
@desk_view(*HOLD_PLACE_PERMISSIONS)
def patron_hold_place(request: HttpRequest, pk: int) -> HttpResponse:
    """Place a hold for the patron on a book (chosen in the page's catalog search)."""
    patron = _patron_or_404(pk)
    book_id = request.POST.get("book", "")
    book = catalog_selectors.book_get(int(book_id)) if book_id.isdigit() else None
    if book is None:
        messages.error(request, _("Choose a book to place the hold on."))
        return redirect("desk-patron", pk=pk)
    try:
        hold = services.hold_place(patron=patron, book=book, actor=request.user)
    except DomainError as error:
        messages.error(
            request,
            _("No hold on '%(title)s': %(reason)s")
            % {"title": book.title, "reason": error.message},
        )
    else:
        position = selectors.queue_position(hold.pk)
        messages.success(
            request,
            _("Hold placed on '%(title)s' for %(name)s: number %(position)s in the queue.")
            % {"title": book.title, "name": patron.name, "position": position},
        )
    return redirect("desk-patron", pk=pk)


def _hold_or_404(pk: int) -> Hold:
    hold = Hold.objects.filter(pk=pk).select_related("book", "patron").first()
    if hold is None:
        raise Http404("No such hold.")
    return hold


@require_POST
@desk_view(*HOLD_CHANGE_PERMISSIONS)
def hold_suspend(request: HttpRequest, pk: int) -> HttpResponse:
    """Suspend a patron's waiting hold until a day, or resume it now."""
    hold = _hold_or_404(pk)
    hold_suspend_from_form(request, hold)
    return redirect("desk-patron", pk=hold.patron_id)


@require_POST
@desk_view(*HOLD_CHANGE_PERMISSIONS)
def hold_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a patron's hold; one whose copy waits on the hold shelf asks first."""
    hold = _hold_or_404(pk)
    asking = hold_cancel_from_form(
        request,
        hold,
        confirm_template="circulation/desk/hold_cancel_confirm.html",
        cancelled=_("%(name)s's hold on '%(title)s' is cancelled.")
        % {"name": hold.patron.name, "title": hold.book.title},
    )
    return asking or redirect("desk-patron", pk=hold.patron_id)


@require_POST
@desk_view(*FINE_SETTLE_PERMISSIONS)
def patron_payment(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a payment towards the patron's fines."""
    patron = _patron_or_404(pk)
    try:
        entry = fine_payment(
            patron=patron,
            # As the page shows it, in the reader's decimals ("1,50" in German): the rule reads it.
            amount=request.POST.get("amount", ""),
            note=request.POST.get("note", ""),
            actor=request.user,
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Payment of %(amount)s taken from %(name)s.")
            % {"amount": number_format(entry.amount, 2), "name": patron.name},
        )
    return redirect("desk-patron", pk=pk)


@require_POST
@desk_view(*FINE_SETTLE_PERMISSIONS)
def fine_waive_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Waive what is left of one charge, with a note."""
    charge = FineEntry.objects.filter(pk=pk).first()
    if charge is None:
        raise Http404("No such fine.")
    try:
        entry = fine_waive(charge=charge, note=request.POST.get("note", ""), actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Waived %(amount)s.") % {"amount": number_format(entry.amount, 2)}
        )
    return redirect("desk-patron", pk=charge.patron_id)
