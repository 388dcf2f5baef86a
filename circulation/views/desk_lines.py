"""The desk's lines: what each scan did, as a dict the session keeps (JSON) and the page's script
receives, and the templates that show one (``_line.html``, a table row, and ``_latest.html``,
the box that repeats the newest one), shared by the page and the script's answers so both
show the same thing.

A line: ``kind`` ("copy" for a checkout or check-in; at checkout also "patron", a card that
chose the patron, and "next_patron"), ``ok``, the ``barcode`` scanned, the copy's ``title``
and what happened - a due date, the check-in's sentence and hold, or ``refusals``, a list of
``{"code", "message"}``: each reason a refused checkout gives (``error.extra["reasons"]``), else
the services' DomainError itself.
Lines sent by the script carry its ``key`` (the scan's Idempotency-Key), so that the page can
tell which of the scans it kept are already done.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

from circulation import services
from circulation.models import Loan, Patron
from circulation.selectors import desk as selectors
from circulation.services import CheckinResult
from shelfmark.errors import DomainError
from shelfmark.idempotency import TRANSIENT_CODES

Line = dict[str, Any]

MAX_LINES = 50  # lines kept on the checkout and check-in pages
_DATES = ("due_on", "pickup_by")  # ISO strings in the session and the JSON; dates in templates


def stored(state: dict[str, Any]) -> list[Line]:
    """The session's lines, newest first, ready for the templates."""
    return [shown(line) for line in state.get("lines", [])]


def add(state: dict[str, Any], line: Line) -> None:
    state["lines"] = [line, *state.get("lines", [])][:MAX_LINES]


def shown(line: Line) -> Line:
    """The line with its dates as dates (the session and the JSON hold ISO strings)."""
    line = dict(line)
    for key in _DATES:
        if line.get(key):
            line[key] = datetime.date.fromisoformat(line[key])
    return line


def row_html(request: HttpRequest, line: Line) -> str:
    return render_to_string("circulation/desk/_line.html", {"line": shown(line)}, request).strip()


def latest_html(request: HttpRequest, line: Line) -> str:
    return render_to_string("circulation/desk/_latest.html", {"line": shown(line)}, request).strip()


def _code(scanned: str) -> str:
    return scanned.strip()[:64]


# --- What a scan did -----------------------------------------------------------------------------


def lend(*, card_number: str, code: str, actor: Any) -> Line:
    """Lend the copy ``code`` names to the patron with ``card_number``: the loan's line, or the
    refusal's. A collision with a concurrent change is raised: sent again it may well pass."""
    try:
        loan = services.loan_checkout(card_number=card_number, barcode=code, actor=actor)
    except DomainError as error:
        return _refusal_unless_collision(code, error)
    return lent(loan)


def check_in(*, code: str, actor: Any) -> Line:
    """Check in the copy ``code`` names: what the check-in did, or the refusal. A collision with
    a concurrent change is raised, as by ``lend``."""
    try:
        result = services.loan_checkin(barcode=code, actor=actor)
    except DomainError as error:
        return _refusal_unless_collision(code, error)
    return returned(result)


def _refusal_unless_collision(code: str, error: DomainError) -> Line:
    if error.code in TRANSIENT_CODES:
        raise error
    return refused(code, selectors.copy_title(_code(code)), error)


# --- Lines ---------------------------------------------------------------------------------------


def lent(loan: Loan) -> Line:
    return {
        "kind": "copy",
        "ok": True,
        "barcode": loan.copy.barcode,
        "title": loan.copy.book.title,
        "due_on": loan.due_on.isoformat(),
    }


def returned(result: CheckinResult) -> Line:
    line: Line = {
        "kind": "copy",
        "ok": True,
        "barcode": result.copy.barcode,
        "title": result.copy.book.title,
        "message": result.message,
        "days_late": result.loan.days_late if result.loan else None,
        "returned_by": result.loan.patron.name if result.loan else "",
    }
    if result.hold is not None:
        hold = result.hold
        line.update(
            hold_id=hold.pk,
            hold_patron=hold.patron.name,
            hold_card=hold.patron.card_number,
            pickup_by=hold.pickup_by.isoformat() if hold.pickup_by else None,
        )
    return line


def refused(scanned: str, title: str, error: DomainError) -> Line:
    """A scan refused for ``error`` (the copy's ``title``, if the code names one): each of its
    reasons when it lists them (a checkout's), else the error itself."""
    reasons = error.extra.get("reasons") or [{"code": error.code, "message": error.message}]
    return {
        "kind": "copy",
        "ok": False,
        "barcode": _code(scanned),
        "title": title,
        "refusals": [{"code": r["code"], "message": r["message"]} for r in reasons],
    }


def patron_chosen(patron: Patron) -> Line:
    """A card scanned at checkout: the copies scanned next go to its patron."""
    return {
        "kind": "patron",
        "ok": True,
        "barcode": patron.card_number,
        "title": "",
        "patron_name": patron.name,
    }


def next_patron() -> Line:
    return {"kind": "next_patron", "ok": True, "barcode": "", "title": ""}
