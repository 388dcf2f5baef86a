"""The answers to the desk's script (circulation/static/circulation/desk.js): the checkout and
check-in pages post each scan to their own URL, asking for JSON, each with an Idempotency-Key
of its own (``shelfmark.pages.idempotent_post``), so that a scan sent again after a lost answer
gets the first answer instead of a second loan.

What the script sends: ``action=scan`` and the ``code`` scanned, and at checkout the ``patron``
the page serves (their id, empty for none); ``action=done`` for the next patron; at checkout
``action=override`` for a refused line's "Lend anyway": the ``code``, the ``patron`` the line
was for, each refusal to lend past as ``override`` (repeated), ``override_reason`` (optional,
at most 200 characters) and ``line``, the key of the refused line it replaces. What it gets,
200 for a refusal too (a refusal is a line, not a failed request; so is a "Lend anyway" this
account may not do, the service's 403 ``override_not_allowed``): ``line`` (desk_lines: its
``key`` is the scan's), ``row_html`` and ``latest_html`` (the page's own templates for a line),
at checkout ``patron`` (``id``, ``name``, ``card_number``, or null) and ``patron_html`` (the
patron's box, or null), at check-in ``hold_html`` (the "put it on the hold shelf" box, or null).
A malformed request is a 400, a collision with a concurrent change a 409 ``concurrent_change``
(kept by no key: send it again), in the API's error shape. The session's lines are kept as the
forms keep them, so a reload shows them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, JsonResponse, QueryDict
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from circulation.refusals import OVERRIDABLE
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
    if request.POST.get("action") == "override":
        return _lend_anyway_scan(request, state)
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


def _lend_anyway_scan(request: HttpRequest, state: State) -> tuple[dict[str, Any], State]:
    """A refused line's "Lend anyway", queued by the script like a scan; the new line takes the
    refused line's place."""
    asked = lend_anyway_asked(request.POST, code_field="code")
    line, served, state = lend_anyway(request, state, asked)
    desk_lines.add(state, _keyed(request, line), replaces=asked.line)
    return _checkout_answer(request, line, served), state


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
        raise InvalidInput(_("Send action=scan and the scanned code as 'code'."), field="code")
    return code


def _posted_patron(request: HttpRequest) -> int | None:
    return _patron_id(request.POST)


def _patron_id(form: QueryDict) -> int | None:
    posted = form.get("patron", "")
    if not posted:
        return None
    if not posted.isascii() or not posted.isdigit():
        raise InvalidInput(_("'patron' is a patron's id, or empty for none."), field="patron")
    return int(posted)


def _no_patron_yet(code: str) -> Line:
    """A scan before any card, of a code that is no patron's card."""
    shown = code.strip()[:64]
    title = selectors.copy_title(shown)
    if title:
        error = InvalidInput(
            _("%(code)s is a copy: scan the patron's card first.") % {"code": shown},
            code="no_patron",
        )
    else:
        error = InvalidInput(
            _(
                "No patron has card number %(card)s. Scan the card again, or find the patron "
                "by name under Patrons."
            )
            % {"card": shown},
            code="unknown_card",
        )
    return desk_lines.refused(code, title, error)


def _lend(
    request: HttpRequest,
    patron_pk: int,
    code: str,
    *,
    override: tuple[str, ...] = (),
    override_reason: str = "",
) -> tuple[Line, int | None]:
    """The line of lending ``code`` to the patron (past the refusals in ``override``), and the
    patron served after it (none when the patron was deleted meanwhile)."""
    card = selectors.patron_card_number(patron_pk)
    if card is None:
        gone = InvalidInput(
            _("That patron no longer exists. Scan the next card."), code="no_patron"
        )
        return desk_lines.refused(code, "", gone), None
    line = desk_lines.lend(
        patron_pk=patron_pk,
        card_number=card,
        code=code,
        actor=request.user,
        override=override,
        override_reason=override_reason,
    )
    return line, patron_pk


# --- Lend anyway ---------------------------------------------------------------------------------

OVERRIDE_REASON_MAX = 200  # as the API's checkout (CheckoutInputSerializer.override_reason)


@dataclass(frozen=True)
class LendAnyway:
    """A refused line's "Lend anyway", as its form posts it (with or without the script)."""

    patron: int  # the patron the refused line was for
    code: str  # the copy's barcode, as scanned
    override: tuple[str, ...]  # the refusals to lend past, by code
    reason: str  # why, recorded with each override ("" for none given)
    line: str  # the key of the refused line it replaces ("" for none)


def lend_anyway_asked(form: QueryDict, *, code_field: str) -> LendAnyway:
    """The "Lend anyway" a form asks for (the copy's barcode in ``code_field``: ``code`` from
    the script, ``barcode`` from the page's form); InvalidInput when it is malformed."""
    patron = _patron_id(form)
    code = form.get(code_field, "")
    if patron is None or not code.strip():
        raise InvalidInput(
            _("Send the patron's id as 'patron' and the copy's barcode as '%(field)s'.")
            % {"field": code_field},
            field=code_field,
        )
    override = tuple(dict.fromkeys(form.getlist("override")))
    if not override or not set(override) <= OVERRIDABLE.keys():
        raise InvalidInput(
            _("Name each refusal to lend past as 'override': %(codes)s")
            % {"codes": ", ".join(sorted(OVERRIDABLE))},
            field="override",
        )
    reason = form.get("override_reason", "")
    if len(reason) > OVERRIDE_REASON_MAX:
        raise InvalidInput(
            ngettext(
                "Say why in at most %(count)d character.",
                "Say why in at most %(count)d characters.",
                OVERRIDE_REASON_MAX,
            )
            % {"count": OVERRIDE_REASON_MAX},
            field="override_reason",
        )
    return LendAnyway(patron, code, override, reason.strip(), form.get("line", "")[:255])


def lend_anyway(
    request: HttpRequest, state: State, asked: LendAnyway
) -> tuple[Line, int | None, State]:
    """Lend past the refusals ``asked`` names, to the patron the refused line was for: the line
    (the loan's, or a refusal's: one this user may not lend past says so), the patron served
    after it and the session's state for them. The page keeps serving whom it served (a row
    of an earlier patron may still be on the page); a new session, which knows no patron,
    serves the line's."""
    line, lent_to = _lend(
        request,
        asked.patron,
        asked.code,
        override=asked.override,
        override_reason=asked.reason,
    )
    served = state.get("patron") or lent_to
    if state.get("patron") != served:
        state = {"patron": served, "lines": []}
    return line, served, state


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
