"""The answers to the desk's script (circulation/static/circulation/desk.js): the checkout and
check-in pages post each scan to their own URL, asking for JSON, each with an Idempotency-Key
of its own (``shelfmark.pages.idempotent_post``), so that a scan sent again after a lost answer
gets the first answer instead of a second loan.

What the script sends: ``action=scan`` and the ``code`` scanned, and at checkout the ``patron``
the page serves (their id, empty for none); ``action=done`` for the next patron. What it gets,
200 for a refusal too (a refusal is a line, not a failed request): ``line`` (desk_lines: its
``key`` is the scan's), ``row_html`` and ``latest_html`` (the page's own templates for a line),
at checkout ``patron`` (``id``, ``name``, ``card_number``, or null) and ``patron_html`` (the
patron's box, or null), at check-in ``hold_html`` (the "put it on the hold shelf" box, or null).
A malformed request is a 400, a collision with a concurrent change a 409 ``concurrent_change``
(kept by no key: send it again), in the API's error shape. The session's lines are kept as the
forms keep them, so a reload shows them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone

from circulation.selectors import desk as selectors
from circulation.views import desk_lines
from circulation.views.desk_lines import Line
from shelfmark.errors import DomainError, InvalidInput
from shelfmark.idempotency import HEADER
from shelfmark.pages import error_response

State = dict[str, Any]
Scan = Callable[[HttpRequest, State], tuple[dict[str, Any], State]]


def answer(request: HttpRequest, session_key: str, scan: Scan) -> JsonResponse:
    """``scan``'s answer; the session keeps its new state only when it answered."""
    try:
        body, state = scan(request, request.session.get(session_key) or {})
    except DomainError as error:
        return error_response(error)
    request.session[session_key] = state
    return JsonResponse(body)


def checkout_scan(request: HttpRequest, state: State) -> tuple[dict[str, Any], State]:
    """A scan at checkout. The page says which patron it serves, so that scans kept by the page
    while the session expired still go to the patron they were scanned for. A code that is a
    patron's card switches to that patron (the patron lookup tells cards from copies, never
    the code's form); anything else is lent."""
    if request.POST.get("action") == "done":
        return _checkout_answer(request, _keyed(request, desk_lines.next_patron()), None), {}
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
        state = {"patron": patron_pk, "lines": []}  # a new patron's lines start afresh
    desk_lines.add(state, _keyed(request, line))
    return _checkout_answer(request, line, patron_pk), state


def checkin_scan(request: HttpRequest, state: State) -> tuple[dict[str, Any], State]:
    """A scan at check-in."""
    code = _scanned_code(request)
    line = _keyed(request, desk_lines.check_in(code=code, actor=request.user))
    desk_lines.add(state, line)
    hold_html = None
    if line.get("hold_id"):
        hold_html = render_to_string(
            "circulation/desk/_hold_trapped.html", {"line": desk_lines.shown(line)}, request
        )
    body = {**_line_answer(request, line), "hold_html": hold_html}
    return body, state


def _scanned_code(request: HttpRequest) -> str:
    code = request.POST.get("code", "")
    if request.POST.get("action") != "scan" or not code.strip():
        raise InvalidInput("Send action=scan and the scanned code as 'code'.", field="code")
    return code


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
    return desk_lines.lend(card_number=card, code=code, actor=request.user), patron_pk


def _keyed(request: HttpRequest, line: Line) -> Line:
    """The line with the key of the scan that made it, so the page can match the two."""
    line["key"] = request.headers.get(HEADER, "")
    return line


def _line_answer(request: HttpRequest, line: Line) -> dict[str, Any]:
    return {
        "line": line,
        "row_html": desk_lines.row_html(request, line),
        "latest_html": desk_lines.latest_html(request, line),
    }


def _checkout_answer(request: HttpRequest, line: Line, patron_pk: int | None) -> dict[str, Any]:
    today = timezone.localdate()
    patron = selectors.patron_summary(patron_pk, today) if patron_pk else None
    if patron is None:
        return {**_line_answer(request, line), "patron": None, "patron_html": None}
    return {
        **_line_answer(request, line),
        "patron": {key: patron[key] for key in ("id", "name", "card_number")},
        "patron_html": render_to_string(
            "circulation/desk/_patron.html", {"patron": patron}, request
        ),
    }
