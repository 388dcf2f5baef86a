"""The staff desk, built for a USB barcode scanner (it types the code and presses Enter): plain
forms that post and come back to the same page, so no page needs JavaScript.

Checkout and check-in keep the lines of the current session in the user's session, newest
first (circulation/views/desk_lines.py); each POST redirects back to its page
(post/redirect/get), so reloading the page never lends or returns a copy twice. With
JavaScript, the page stays open and its script sends each scan in the background to the same
URL, asking for JSON (circulation/views/desk_scans.py answers it).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from circulation.selectors import desk as selectors
from circulation.views import desk_lines, desk_scans
from shelfmark.errors import DomainError
from shelfmark.pages import View, idempotent_post, is_staff_with, staff_page, wants_json

CHECKOUT_SESSION = "desk_checkout"
CHECKIN_SESSION = "desk_checkin"

# What each desk page needs: the Librarians group (migration circulation 0002) has all of them.
CHECKOUT_PERMISSIONS = ("circulation.add_loan",)
CHECKIN_PERMISSIONS = ("circulation.change_loan",)
LOAN_LIST_PERMISSIONS = ("circulation.view_loan",)
HOLD_LIST_PERMISSIONS = ("circulation.view_hold",)
# Who sees the desk at all (the site's navigation uses the same test).
DESK_PERMISSIONS = CHECKOUT_PERMISSIONS


def desk_view(*permissions: str) -> Callable[[View], View]:
    """Staff with ``permissions`` only (shelfmark.pages): anonymous visitors are sent to sign
    in, other accounts get a 403 page that says what is missing."""
    return staff_page(*permissions, forbidden="circulation/desk/forbidden.html")


def is_desk_user(user: Any) -> bool:
    return is_staff_with(user, DESK_PERMISSIONS)


def _today() -> datetime.date:
    return timezone.localdate()


# --- Checkout ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@desk_view(*CHECKOUT_PERMISSIONS)
@idempotent_post
def checkout(request: HttpRequest) -> HttpResponse:
    """Scan a patron's card, then their copies one after another; "Done" starts the next
    patron. Each copy becomes a line: its title and due date, or why it was refused."""
    if request.method == "POST" and wants_json(request):
        return desk_scans.answer(request, CHECKOUT_SESSION, desk_scans.checkout_scan)
    state: dict[str, Any] = request.session.get(CHECKOUT_SESSION) or {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "patron":
            state = _checkout_patron(request.POST.get("card", ""))
        elif action == "copy" and state.get("patron"):
            _checkout_copy(request, state, request.POST.get("barcode", ""))
        elif action == "override":  # the form names its patron: no need for the session's
            state = _checkout_lend_anyway(request, state)
        else:  # "done", or a copy scanned with no patron chosen
            state = {}
        request.session[CHECKOUT_SESSION] = state
        return redirect("desk-checkout")
    patron = selectors.patron_summary(state["patron"], _today()) if state.get("patron") else None
    error = state.pop("error", None)
    if error is not None:
        request.session[CHECKOUT_SESSION] = state  # shown once
    return render(
        request,
        "circulation/desk/checkout.html",
        {"patron": patron, "lines": desk_lines.stored(state), "error": error},
    )


def _checkout_patron(card: str) -> dict[str, Any]:
    patron = selectors.patron_by_card(card)
    if patron is None:
        shown = card.strip()[:64] or _("(nothing)")
        return {
            "error": _(
                "No patron has card number %(card)s. Scan the card again, or find the patron "
                "by name under Patrons."
            )
            % {"card": shown}
        }
    return {"patron": patron.pk, "lines": []}


def _checkout_copy(request: HttpRequest, state: dict[str, Any], barcode: str) -> None:
    card = selectors.patron_card_number(state["patron"])
    if card is None:  # the patron was deleted meanwhile
        state.clear()
        state["error"] = _("That patron no longer exists. Scan the next card.")
        return
    try:
        line = desk_lines.lend(
            patron_pk=state["patron"], card_number=card, code=barcode, actor=request.user
        )
    except DomainError as error:  # a collision: shown, for the librarian to scan again
        line = desk_lines.refused(barcode, selectors.copy_title(barcode.strip()), error)
    _add(state, line)


def _checkout_lend_anyway(request: HttpRequest, state: dict[str, Any]) -> dict[str, Any]:
    """A refused line's "Lend anyway" form (desk_scans.lend_anyway): the new line takes the
    refused line's place."""
    barcode = request.POST.get("barcode", "")
    try:
        asked = desk_scans.lend_anyway_asked(request.POST, code_field="barcode")
        line, _, state = desk_scans.lend_anyway(request, state, asked)
    except DomainError as error:  # a malformed form, or a collision: shown, to scan again
        _add(state, desk_lines.refused(barcode, selectors.copy_title(barcode.strip()), error))
        return state
    _add(state, line, replaces=asked.line)
    return state


def _add(state: dict[str, Any], line: desk_lines.Line, *, replaces: str = "") -> None:
    # The script's lines carry their scan's key; a line of the forms gets one only when its
    # "Lend anyway" form must name it.
    if line.get("lend_anyway"):
        line["key"] = desk_lines.new_key()
    desk_lines.add(state, line, replaces=replaces)


# --- Check-in ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@desk_view(*CHECKIN_PERMISSIONS)
@idempotent_post
def checkin(request: HttpRequest) -> HttpResponse:
    """Scan returned copies one after another. A copy that a patron waits for is announced with
    their name and a link to its hold-shelf slip."""
    if request.method == "POST" and wants_json(request):
        return desk_scans.answer(request, CHECKIN_SESSION, desk_scans.checkin_scan)
    state: dict[str, Any] = request.session.get(CHECKIN_SESSION) or {}
    if request.method == "POST":
        if request.POST.get("action") == "clear":
            state = {}
        else:
            code = request.POST.get("barcode", "")
            try:
                line = desk_lines.check_in(code=code, actor=request.user)
            except DomainError as error:  # a collision: shown, for the librarian to scan again
                line = desk_lines.refused(code, selectors.copy_title(code.strip()), error)
            desk_lines.add(state, line)
        request.session[CHECKIN_SESSION] = state
        return redirect("desk-checkin")
    return render(request, "circulation/desk/checkin.html", {"lines": desk_lines.stored(state)})


# --- Lists ---------------------------------------------------------------------------------------


@require_GET
@desk_view(*LOAN_LIST_PERMISSIONS)
def overdue(request: HttpRequest) -> HttpResponse:
    loans, total = selectors.overdue_loans(_today())
    return render(
        request,
        "circulation/desk/overdue.html",
        {"loans": loans, "total": total, "limit": selectors.LIST_LIMIT},
    )


@require_GET
@desk_view(*HOLD_LIST_PERMISSIONS)
def hold_shelf(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "circulation/desk/hold_shelf.html",
        {**selectors.hold_shelf(_today()), "expired_days": selectors.EXPIRED_SHOWN_DAYS},
    )


@require_GET
@desk_view(*HOLD_LIST_PERMISSIONS)
def hold_slip(request: HttpRequest, pk: int) -> HttpResponse:
    """The slip to put in a copy on the hold shelf; the page prints as the slip alone."""
    hold = selectors.hold_slip(pk)
    if hold is None:
        raise Http404("No hold is ready with that id.")
    return render(request, "circulation/desk/hold_slip.html", {"hold": hold})
