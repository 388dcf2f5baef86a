"""The staff desk, built for a USB barcode scanner (it types the code and presses Enter): plain
forms that post and come back to the same page, so no page needs JavaScript.

Checkout and check-in keep the lines of the current session in the user's session, newest
first (circulation/views/desk_lines.py); each POST redirects back to its page
(post/redirect/get), so reloading the page never lends or returns a copy twice.

With JavaScript, the page stays open and its script (circulation/static/circulation/desk.js)
sends each scan in the background to the same URL, asking for JSON: ``action=scan`` with the
``code`` (and, at checkout, the ``patron`` the page is serving), or ``action=done`` for the next
patron, each with its own Idempotency-Key, so that a scan sent again after a lost answer gets
the first answer instead of a second loan. A refusal is a line like any other (200); only a
malformed request is a 4xx. The answer: ``line`` (the line's dict, its ``key`` the scan's),
``row_html`` and ``latest_html`` (the templates the page uses), at checkout ``patron`` (id,
name, card number; null for none) and ``patron_html``, at check-in ``hold_html`` (the "put it
on the hold shelf" box, null when no hold was trapped).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from circulation import services
from circulation.models import Patron
from circulation.selectors import desk as selectors
from circulation.views import desk_lines
from circulation.views.desk_lines import Line
from shelfmark.errors import DomainError, InvalidInput
from shelfmark.idempotency import HEADER, TRANSIENT_CODES
from shelfmark.pages import (
    View,
    error_response,
    idempotent_post,
    is_staff_with,
    staff_page,
    wants_json,
)

CHECKOUT_SESSION = "desk_checkout"
CHECKIN_SESSION = "desk_checkin"

# What each desk page needs: the Librarians group (migration circulation 0002) has all of them.
CHECKOUT_PERMISSIONS = ("circulation.add_loan",)
CHECKIN_PERMISSIONS = ("circulation.change_loan",)
PATRON_PERMISSIONS = ("circulation.view_patron",)
BLOCK_PERMISSIONS = ("circulation.view_patron", "circulation.change_patron")
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


def _for_script(answer: Callable[[], JsonResponse]) -> JsonResponse:
    """The answer to the page's script; a malformed request, or a collision to send again, in
    the API's error shape."""
    try:
        return answer()
    except DomainError as error:
        return error_response(error)


def _scanned_code(request: HttpRequest) -> str:
    """The code of a script's ``action=scan``; anything else is a malformed request."""
    code = request.POST.get("code", "")
    if request.POST.get("action") != "scan" or not code.strip():
        raise InvalidInput("Send action=scan and the scanned code as 'code'.", field="code")
    return code


def _refusal_or_retry(code: str, error: DomainError) -> Line:
    """A refusal's line; a collision with a concurrent change is raised again, for the script
    to send the scan again (the Idempotency-Key keeps no such answer)."""
    if error.code in TRANSIENT_CODES:
        raise error
    return desk_lines.refused(code, selectors.copy_title(code.strip()), error)


# --- Checkout ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@desk_view(*CHECKOUT_PERMISSIONS)
@idempotent_post
def checkout(request: HttpRequest) -> HttpResponse:
    """Scan a patron's card, then their copies one after another; "Done" starts the next
    patron. Each copy becomes a line: its title and due date, or why it was refused."""
    state: dict[str, Any] = request.session.get(CHECKOUT_SESSION) or {}
    if request.method == "POST" and wants_json(request):
        return _for_script(lambda: _checkout_scan(request, state))
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "patron":
            state = _checkout_patron(request.POST.get("card", ""))
        elif action == "copy" and state.get("patron"):
            _checkout_copy(request, state, request.POST.get("barcode", ""))
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
        shown = card.strip()[:64] or "(nothing)"
        return {"error": f"No patron has card number {shown}. Scan the card again, or find the "
                "patron by name under Patrons."}  # fmt: skip
    return {"patron": patron.pk, "lines": []}


def _checkout_copy(request: HttpRequest, state: dict[str, Any], barcode: str) -> None:
    card = selectors.patron_card_number(state["patron"])
    if card is None:  # the patron was deleted meanwhile
        state.clear()
        state["error"] = "That patron no longer exists. Scan the next card."
        return
    try:
        loan = services.loan_checkout(card_number=card, barcode=barcode, actor=request.user)
    except DomainError as error:
        line = desk_lines.refused(barcode, selectors.copy_title(barcode.strip()), error)
    else:
        line = desk_lines.lent(loan)
    desk_lines.add(state, line)


def _checkout_scan(request: HttpRequest, state: dict[str, Any]) -> JsonResponse:
    """The script's scan at checkout. The page says which patron it serves (``patron``, their
    id, empty for none), so that scans kept by the page while the session expired still go to
    the patron they were scanned for; a code that is a patron's card switches to that patron
    (the patron lookup tells cards from copies, not the code's form); anything else is lent."""
    if request.POST.get("action") == "done":
        request.session[CHECKOUT_SESSION] = {}
        return _checkout_answer(request, _keyed(request, desk_lines.next_patron()), None)
    code = _scanned_code(request)
    patron_pk = _posted_patron(request)
    card_patron = selectors.patron_by_card(code)
    if card_patron is not None:
        patron_pk = card_patron.pk
        line = desk_lines.patron_chosen(card_patron)
    elif patron_pk is None:
        line = _no_patron_yet(code)
    else:
        line, patron_pk = _lend(request, patron_pk, code)
    if card_patron is not None or state.get("patron") != patron_pk:
        state = {"patron": patron_pk, "lines": []}
    desk_lines.add(state, _keyed(request, line))
    request.session[CHECKOUT_SESSION] = state
    return _checkout_answer(request, line, patron_pk)


def _posted_patron(request: HttpRequest) -> int | None:
    posted = request.POST.get("patron", "")
    if not posted:
        return None
    if not posted.isascii() or not posted.isdigit():
        raise InvalidInput("'patron' is a patron's id, or empty for none.", field="patron")
    return int(posted)


def _no_patron_yet(code: str) -> Line:
    """A scan before any card, of a code that is no patron's card."""
    shown = code.strip()[:64]
    title = selectors.copy_title(shown)
    if title:
        error = InvalidInput(f"{shown} is a copy: scan the patron's card first.", code="no_patron")
    else:
        error = InvalidInput(
            f"No patron has card number {shown}. Scan the card again, or find the patron by "
            "name under Patrons.",
            code="unknown_card",
        )
    return desk_lines.refused(code, title, error)


def _lend(request: HttpRequest, patron_pk: int, code: str) -> tuple[Line, int | None]:
    """The line of lending ``code`` to the patron, and the patron served after it (none when
    the patron was deleted meanwhile)."""
    card = selectors.patron_card_number(patron_pk)
    if card is None:
        gone = InvalidInput("That patron no longer exists. Scan the next card.", code="no_patron")
        return desk_lines.refused(code, "", gone), None
    try:
        loan = services.loan_checkout(card_number=card, barcode=code, actor=request.user)
    except DomainError as error:
        return _refusal_or_retry(code, error), patron_pk
    return desk_lines.lent(loan), patron_pk


def _keyed(request: HttpRequest, line: Line) -> Line:
    """The line with the key of the scan that made it, so the page can match the two."""
    line["key"] = request.headers.get(HEADER, "")
    return line


def _checkout_answer(request: HttpRequest, line: Line, patron_pk: int | None) -> JsonResponse:
    patron = selectors.patron_summary(patron_pk, _today()) if patron_pk else None
    return JsonResponse(
        {
            "line": line,
            "row_html": desk_lines.row_html(request, line),
            "latest_html": desk_lines.latest_html(request, line),
            "patron": None
            if patron is None
            else {k: patron[k] for k in ("id", "name", "card_number")},
            "patron_html": None
            if patron is None
            else render_to_string("circulation/desk/_patron.html", {"patron": patron}, request),
        }
    )


# --- Check-in ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@desk_view(*CHECKIN_PERMISSIONS)
@idempotent_post
def checkin(request: HttpRequest) -> HttpResponse:
    """Scan returned copies one after another. A copy that a patron waits for is announced with
    their name and a link to its hold-shelf slip."""
    state: dict[str, Any] = request.session.get(CHECKIN_SESSION) or {}
    if request.method == "POST" and wants_json(request):
        return _for_script(lambda: _checkin_scan(request, state))
    if request.method == "POST":
        if request.POST.get("action") == "clear":
            state = {}
        else:
            code = request.POST.get("barcode", "")
            try:
                line = _checked_in(request, code)
            except DomainError as error:  # a collision: shown, for the librarian to scan again
                line = desk_lines.refused(code, selectors.copy_title(code.strip()), error)
            desk_lines.add(state, line)
        request.session[CHECKIN_SESSION] = state
        return redirect("desk-checkin")
    return render(request, "circulation/desk/checkin.html", {"lines": desk_lines.stored(state)})


def _checked_in(request: HttpRequest, code: str) -> Line:
    try:
        result = services.loan_checkin(barcode=code, actor=request.user)
    except DomainError as error:
        return _refusal_or_retry(code, error)
    return desk_lines.returned(result)


def _checkin_scan(request: HttpRequest, state: dict[str, Any]) -> JsonResponse:
    """The script's scan at check-in."""
    line = _keyed(request, _checked_in(request, _scanned_code(request)))
    desk_lines.add(state, line)
    request.session[CHECKIN_SESSION] = state
    hold_html = None
    if line.get("hold_id"):
        hold_html = render_to_string(
            "circulation/desk/_hold_trapped.html", {"line": desk_lines.shown(line)}, request
        )
    return JsonResponse(
        {
            "line": line,
            "row_html": desk_lines.row_html(request, line),
            "latest_html": desk_lines.latest_html(request, line),
            "hold_html": hold_html,
        }
    )


# --- Patrons -------------------------------------------------------------------------------------


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
    return _patron_page(request, pk)


def _patron_page(
    request: HttpRequest, pk: int, *, block_error: str = "", status: int = 200
) -> HttpResponse:
    patron = selectors.patron_page(pk, _today())
    if patron is None:
        raise Http404("No such patron.")
    return render(
        request,
        "circulation/desk/patron.html",
        {
            "patron": patron,
            "block_error": block_error,
            "history_limit": selectors.HISTORY_LIMIT,
            "may_block": request.user.has_perms(BLOCK_PERMISSIONS),
        },
        status=status,
    )


@require_POST
@desk_view(*BLOCK_PERMISSIONS)
def patron_block(request: HttpRequest, pk: int) -> HttpResponse:
    """Block a patron's card (a reason is required) or unblock it."""
    patron = Patron.objects.filter(pk=pk).first()
    if patron is None:
        raise Http404("No such patron.")
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
    messages.success(request, "Card blocked." if block else "Card unblocked.")
    return redirect("desk-patron", pk=pk)


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
