"""The desk's lines: what each scan did, as a dict the session keeps (JSON) and the page's script
receives, and the templates that show one (``_line.html``, a table row, and ``_latest.html``,
the box that repeats the newest one), shared by the page and the script's answers so both
show the same thing.

A line: ``kind`` ("copy" for a checkout or check-in; at checkout also "patron", a card that
chose the patron, and "next_patron"), ``ok``, the ``barcode`` scanned, the copy's ``title``
and what happened - a due date (and ``overridden``, the refusals a "Lend anyway" lent past),
the check-in's sentence and hold, or ``refusals``, a list of ``{"code", "message", "override",
"overridable"}``: each reason a refused checkout gives (``error.extra["reasons"]``: how it can
be lent past, and whether by this user), else the services' DomainError itself.

A refused checkout also names the ``patron`` it was for, and when this user may lend past every
one of its refusals, ``lend_anyway``: their codes, which the line's "Lend anyway" form
(``_lend_anyway.html``) sends back with the scan.

Lines sent by the script carry its ``key`` (the scan's Idempotency-Key), so that the page can
tell which of the scans it kept are already done; a line offering "Lend anyway" made by the
forms without the script gets a random one, which its form names as the line it replaces.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Collection
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

from circulation import services
from circulation.models import Loan, Patron
from circulation.refusals import override_names
from circulation.selectors import desk as selectors
from circulation.services import CheckinResult
from shelfmark.errors import DomainError
from shelfmark.idempotency import TRANSIENT_CODES

Line = dict[str, Any]

MAX_LINES = 50  # lines kept on the checkout and check-in pages
_DATES = ("due_on", "pickup_by")  # ISO strings in the session and the JSON; dates in templates
# What each refusal a librarian may lend past is called on the "Lend anyway" button (for screen
# readers, who hear the button away from the reasons) and on the loan's line afterwards.


def stored(state: dict[str, Any]) -> list[Line]:
    """The session's lines, newest first, ready for the templates."""
    return [shown(line) for line in state.get("lines", [])]


def add(state: dict[str, Any], line: Line, *, replaces: str = "") -> None:
    """``line`` on top of the session's lines; a "Lend anyway" takes the place of the refused
    line it was pressed on (its key: ``replaces``), as the page's script replaces its row."""
    kept = state.get("lines", [])
    if replaces:
        kept = [old for old in kept if old.get("key") != replaces]
    state["lines"] = [line, *kept][:MAX_LINES]


def shown(line: Line) -> Line:
    """The line with its dates as dates (the session and the JSON hold ISO strings) and the
    names of the refusals it offers to lend past, or lent past."""
    line = dict(line)
    for key in _DATES:
        if line.get(key):
            line[key] = datetime.date.fromisoformat(line[key])
    for key in ("lend_anyway", "overridden"):
        if line.get(key):
            line[f"{key}_names"] = override_names(line[key])
    return line


def row_html(request: HttpRequest, line: Line) -> str:
    return render_to_string("circulation/desk/_line.html", {"line": shown(line)}, request).strip()


def latest_html(request: HttpRequest, line: Line) -> str:
    return render_to_string("circulation/desk/_latest.html", {"line": shown(line)}, request).strip()


def _code(scanned: str) -> str:
    return scanned.strip()[:64]


# --- What a scan did -----------------------------------------------------------------------------


def lend(
    *,
    patron_pk: int,
    card_number: str,
    code: str,
    actor: Any,
    override: Collection[str] = (),
    override_reason: str = "",
) -> Line:
    """Lend the copy ``code`` names to the patron (id ``patron_pk``, ``card_number``), past the
    refusals named in ``override`` ("Lend anyway"): the loan's line, or the refusal's - also
    when ``actor`` may not lend past one of them (403 ``override_not_allowed``: a refusal to
    show, like any other). A collision with a concurrent change is raised: sent again it may
    well pass."""
    try:
        loan = services.loan_checkout(
            card_number=card_number,
            barcode=code,
            actor=actor,
            override=override,
            override_reason=override_reason,
        )
    except DomainError as error:
        if error.code in TRANSIENT_CODES:
            raise
        return refused(code, selectors.copy_title(_code(code)), error, patron_pk=patron_pk)
    return lent(loan, overridden=selectors.loan_overrides(loan.pk) if override else ())


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


def lent(loan: Loan, *, overridden: Collection[str] = ()) -> Line:
    """A loan's line; ``overridden``: the codes of the refusals it was lent past."""
    line: Line = {
        "kind": "copy",
        "ok": True,
        "barcode": loan.copy.barcode,
        "title": loan.copy.book.title,
        "due_on": loan.due_on.isoformat(),
    }
    if overridden:
        line["overridden"] = list(overridden)
    return line


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


def refused(scanned: str, title: str, error: DomainError, *, patron_pk: int | None = None) -> Line:
    """A scan refused for ``error`` (the copy's ``title``, if the code names one): each of its
    reasons when it lists them (a checkout's), else the error itself; a refused "Lend anyway"
    (403 ``override_not_allowed``) lists the reasons and then why it may not. A checkout's line
    names the patron (``patron_pk``) and offers ``lend_anyway`` when the user may lend past
    every reason (which the error's ``overridable`` says for the user who scanned)."""
    refusals = [
        {
            "code": reason["code"],
            "message": reason["message"],
            "override": reason.get("override"),
            "overridable": bool(reason.get("overridable")),
        }
        for reason in error.extra.get("reasons") or ()
    ]
    if not refusals or error.code == "override_not_allowed":
        itself = {"code": error.code, "message": error.message}
        refusals.append({**itself, "override": None, "overridable": False})
    line: Line = {
        "kind": "copy",
        "ok": False,
        "barcode": _code(scanned),
        "title": title,
        "refusals": refusals,
    }
    if patron_pk is not None:
        line["patron"] = patron_pk
        if all(refusal["overridable"] for refusal in refusals):
            line["lend_anyway"] = [refusal["code"] for refusal in refusals]
    return line


def new_key() -> str:
    """A key for a line made without the script, which its "Lend anyway" form names."""
    return str(uuid.uuid4())


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
