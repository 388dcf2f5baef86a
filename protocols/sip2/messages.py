"""What the server answers each SIP2 request: a thin entry point, like the desk's views. Each
handler reads through protocols.sip2.selectors and writes through circulation's services, the
desk's own calls with the kiosk's login as the actor, so a kiosk meets the same rules, records
the same events and gets the same refusals, as its screen message (AF) with ``ok`` 0.

A connection is one ``Session``: the login (93) that every message but the status (99) needs,
and the patron passwords already checked. Answers follow the 3M SIP2 2.00 layouts, fixed
fields first; the institution (AO) is the kiosk's own, echoed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.models import CopyStatus
from circulation import services
from circulation.models import HoldStatus, Patron
from circulation.refusals import Refused
from protocols.sip2 import selectors
from protocols.sip2.codec import Request, Response, count, flag, sip_date, sip_datetime
from shelfmark.errors import DomainError
from shelfmark.formats import long_date

logger = logging.getLogger("shelfmark.sip2")

# Who may log in: staff with the desk's checkout, check-in and renewal permissions (the
# Librarians group's, circulation.views.desk and desk_patron) and the permission for SIP2.
SIP2_PERMISSIONS = (
    "circulation.add_loan",
    "circulation.change_loan",
    "circulation.view_patron",
    "circulation.use_sip2",
)
# A kiosk stays connected for days: its account's rights are read again this often, so a
# login deactivated or a permission taken away stops it within a minute.
RECHECK_SECONDS = 60
# Failed logins on one connection before it is closed, and the pause after each, so a
# connection cannot try passwords at speed.
MAX_FAILED_LOGINS = 3
FAILED_LOGIN_PAUSE = 1.0
# Patrons whose checked password a connection keeps at most (until their End Session, 35).
MAX_PASSWORDS_KEPT = 100
# Items listed in one patron information answer at most (BP/BQ choose which): answers stay
# well under the 4 KB some kiosk clients read at once.
MAX_ITEMS = 20
TITLE_IN_LIST = 80  # a hold item named by its title (no copy set aside yet)
# SIP2's circulation status of each copy status (the item information answer).
CIRCULATION_STATUS = {
    CopyStatus.AVAILABLE: "03",
    CopyStatus.ON_LOAN: "04",
    CopyStatus.ON_HOLD_SHELF: "08",
    CopyStatus.LOST: "12",
    CopyStatus.MISSING: "13",
}
OTHER_STATUS = "01"
# SC status: which messages this server answers, in the spec's order (patron status, checkout,
# checkin, block patron, SC/ACS status, resend, login, patron information, end session, fee
# paid, item information, item status update, patron enable, hold, renew, renew all).
SUPPORTED_MESSAGES = "YYYNYYYYYNYNNNYY"


def institution() -> str:
    return settings.SIP2_INSTITUTION_ID or settings.LIBRARY_NAME


def patron_password_required() -> bool:
    return settings.SIP2_PATRON_PASSWORD_REQUIRED


@dataclass
class Session:
    """One kiosk's connection: who logged in, and which patrons' passwords were checked (a
    digest, so a kiosk sending the password with every message costs one hash check)."""

    peer: str = ""  # the kiosk's address
    user: Any = None
    location: str = ""
    checked_at: float = 0.0
    failed_logins: int = 0
    passwords: dict[int, bytes] = field(default_factory=dict)
    closing: bool = False  # the server closes the connection after this answer

    def logged_in(self) -> bool:
        """Whether a login still holds: its account re-read every RECHECK_SECONDS."""
        if self.user is None:
            return False
        if time.monotonic() - self.checked_at > RECHECK_SECONDS:
            user = get_user_model().objects.filter(pk=self.user.pk).first()
            self.user = user if user is not None and may_use_sip2(user) else None
            self.checked_at = time.monotonic()
        return self.user is not None


def may_use_sip2(user: Any) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perms(SIP2_PERMISSIONS))


def _now() -> str:
    return sip_datetime(timezone.localtime())


def _ao(request: Request) -> str:
    return request.get("AO") or institution()


def _messages(*texts: str) -> str:
    return " ".join(text for text in texts if text)


# --- Answers that say no -------------------------------------------------------------------------
# Each request's answer with nothing done: ``ok`` 0 and why, as the screen message.


def refusal(request: Request, message: str) -> Response:
    """``request``'s answer when it cannot be done, saying why (``message``)."""
    code, ao = request.code, _ao(request)
    if code == "93":
        return Response("94", "0")
    if code == "99":
        return _sc_status(request, online=False).add_if("AF", message)
    if code == "09":
        answer = Response("10", "0NUN" + _now()).add("AO", ao).add("AB", request.get("AB"))
        return answer.add("AQ", "").add("AF", message)
    if code in ("11", "29"):
        answer = Response("12" if code == "11" else "30", "0NUN" + _now())
        answer.add("AO", ao).add("AA", request.get("AA")).add("AB", request.get("AB"))
        return answer.add("AJ", "").add("AH", "").add("AF", message)
    if code == "17":
        answer = Response("18", OTHER_STATUS + "0001" + _now())
        return answer.add("AB", request.get("AB")).add("AJ", "").add("AF", message)
    if code == "23":
        answer = Response("24", _status(None) + _language(request) + _now())
        answer.add("AO", ao).add("AA", request.get("AA")).add("AE", "")
        return answer.add("BL", "N").add("CQ", "N").add("AF", message)
    if code == "63":
        answer = Response("64", _status(None) + _language(request) + _now() + count(0) * 6)
        answer.add("AO", ao).add("AA", request.get("AA")).add("AE", "")
        return answer.add("BL", "N").add("CQ", "N").add("AF", message)
    if code == "35":
        answer = Response("36", "N" + _now()).add("AO", ao).add("AA", request.get("AA"))
        return answer.add("AF", message)
    if code == "65":
        answer = Response("66", "0" + count(0) + count(0) + _now()).add("AO", ao)
        return answer.add("AF", message)
    raise ValueError(f"no answer for {code}")  # the codec reads no other request


# --- Login and status ----------------------------------------------------------------------------


def login(session: Session, request: Request) -> Response:
    """93: the kiosk's account (CN, CO): staff with SIP2_PERMISSIONS."""
    username, password = request.get("CN"), request.get("CO")
    user = None
    if username:
        user = authenticate(sign_in(session.peer), username=username, password=password)
    if user is None or not may_use_sip2(user):
        logger.warning("SIP2 %s: login refused for %r", session.peer, username[:150])
        session.user = None
        session.failed_logins += 1
        session.closing = session.failed_logins >= MAX_FAILED_LOGINS
        time.sleep(FAILED_LOGIN_PAUSE)
        return Response("94", "0")
    session.user, session.checked_at, session.failed_logins = user, time.monotonic(), 0
    session.location = request.get("CP")
    logger.info("SIP2 %s: logged in as %s", session.peer, user.get_username())
    return Response("94", "1")


def sign_in(address: str) -> HttpRequest:
    """A login as the site's sign-in throttle sees one (shelfmark.logins: django-axes), from
    the kiosk's address: failures count against the username and the address with the web's,
    and a locked username or address is refused before its password is checked."""
    request = HttpRequest()
    request.method = "POST"
    request.path = request.path_info = "/sip2/login"
    request.META = {"REMOTE_ADDR": address, "HTTP_USER_AGENT": "SIP2", "SERVER_NAME": "sip2"}
    return request


def sc_status(session: Session, request: Request) -> Response:
    """99: what the server allows; before a login, nothing (the kiosk logs in first)."""
    if not session.logged_in():
        return _sc_status(request, online=False).add("AF", _("Log in first (message 93)."))
    return _sc_status(request, online=True, location=session.location)


def _sc_status(request: Request, *, online: bool, location: str = "") -> Response:
    # Timeout and retries "999": not specified; the kiosk keeps its own.
    fixed = flag(online) * 4 + "NN" + "999" + "999" + _now() + "2.00"
    answer = Response("98", fixed).add("AO", institution()).add("AM", settings.LIBRARY_NAME)
    return answer.add("BX", SUPPORTED_MESSAGES if online else "N" * 16).add_if("AN", location)


def end_session(session: Session, request: Request) -> Response:
    """35: the patron is done; their password must be given again next time."""
    patron = selectors.patron_by_card(request.get("AA"))
    if patron is not None:
        session.passwords.pop(patron.pk, None)
    answer = Response("36", "Y" + _now()).add("AO", _ao(request)).add("AA", request.get("AA"))
    return answer.add("AF", _("Thank you. Goodbye."))


# --- Patrons -------------------------------------------------------------------------------------


def password_ok(session: Session, patron: Patron, request: Request) -> bool:
    """Whether the patron password (AD) lets the kiosk act for ``patron``: checked against
    their login when they have one. An AD left out or empty passes only where the library
    turned the check off (SIP2_PATRON_PASSWORD_REQUIRED); one that is sent is always checked."""
    if patron.user is None:
        return True  # no login, no password: the card is all the library knows them by
    given = request.get("AD")
    if not given:
        return not patron_password_required()
    digest = hashlib.sha256(given.encode("utf-8")).digest()
    kept = session.passwords.get(patron.pk)
    if kept is not None and hmac.compare_digest(kept, digest):
        return True
    if patron.user.is_active and patron.user.check_password(given):
        if len(session.passwords) >= MAX_PASSWORDS_KEPT:  # a kiosk that never ends sessions
            session.passwords.clear()
        session.passwords[patron.pk] = digest
        return True
    return False


def _unknown_patron(card: str) -> str:
    return _("No patron has card number %(card)s.") % {"card": card}


def _wrong_password() -> str:
    return _("The card number or the password is wrong. Try again, or ask at the desk.")


def _language(request: Request) -> str:
    language = request.fixed.get("language", "")
    return language if len(language) == 3 and language.isdigit() else "000"


def _status(blocks: list[str] | None) -> str:
    """The 14 flags of a patron's status from the codes of their blocks (None: no patron)."""
    if blocks is None:
        return "YYYY" + " " * 10
    flags = [" "] * 14
    if blocks:
        flags[0] = "Y"  # charge privileges denied
    if "patron_blocked" in blocks:
        flags[1] = flags[3] = "Y"  # renewal and hold privileges denied
    if "card_expired" in blocks:
        flags[3] = "Y"
    if "max_loans" in blocks:
        flags[5] = "Y"  # too many items charged
    if "has_overdue_loans" in blocks:
        flags[6] = "Y"  # too many items overdue
    if "fines_owed" in blocks:
        flags[10] = "Y"  # excessive outstanding fines
    return "".join(flags)


@dataclass(frozen=True)
class _Standing:
    patron: Patron
    summary: dict[str, Any]
    password_ok: bool

    @property
    def block_codes(self) -> list[str]:
        return [block.code for block in self.summary["blocks"]]

    @property
    def block_messages(self) -> str:
        return _messages(*(block.message for block in self.summary["blocks"]))


def _standing(session: Session, request: Request) -> _Standing | None:
    patron = selectors.patron_by_card(request.get("AA"))
    if patron is None:
        return None
    summary = selectors.patron_summary(patron.pk, timezone.localdate())
    if summary is None:  # deleted since the look-up
        return None
    return _Standing(patron, summary, password_ok(session, patron, request))


def _fee_amount(answer: Response, patron: Patron) -> None:
    owed = selectors.fines_owed(patron.pk)
    if owed is not None:
        answer.add_if("BH", settings.FINES_CURRENCY[:3])
        answer.add("BV", f"{owed:.2f}")


def patron_status(session: Session, request: Request) -> Response:
    """23: whether the card is valid, the password right, and what stops borrowing."""
    standing = _standing(session, request)
    if standing is None:
        return refusal(request, _unknown_patron(request.get("AA")))
    patron = standing.patron
    if not standing.password_ok:
        answer = Response("24", _status(None) + _language(request) + _now())
        answer.add("AO", _ao(request)).add("AA", request.get("AA")).add("AE", "")
        return answer.add("BL", "Y").add("CQ", "N").add("AF", _wrong_password())
    answer = Response("24", _status(standing.block_codes) + _language(request) + _now())
    answer.add("AO", _ao(request)).add("AA", patron.card_number).add("AE", patron.name)
    answer.add("BL", "Y").add("CQ", "Y")
    _fee_amount(answer, patron)
    return answer.add_if("AF", standing.block_messages)


def _item_range(request: Request) -> slice:
    """BP..BQ (1-based, inclusive), at most MAX_ITEMS items."""

    def number(code: str, default: int) -> int:
        value = request.get(code).strip()
        return int(value) if value.isascii() and value.isdigit() else default

    start = max(number("BP", 1), 1)
    end = max(min(number("BQ", start + MAX_ITEMS - 1), start + MAX_ITEMS - 1), start)
    return slice(start - 1, end)


def patron_information(session: Session, request: Request) -> Response:
    """63: 23's answer with the patron's counts and, as the summary asks, their hold items
    (AS, all active holds: the copy set aside, else the title), overdue (AT), charged (AU) and
    unavailable hold items (CD: holds still waiting). A summary that asks for nothing gets the
    charged and hold items."""
    standing = _standing(session, request)
    if standing is None:
        return refusal(request, _unknown_patron(request.get("AA")))
    if not standing.password_ok:
        answer = Response("64", _status(None) + _language(request) + _now() + count(0) * 6)
        answer.add("AO", _ao(request)).add("AA", request.get("AA")).add("AE", "")
        return answer.add("BL", "Y").add("CQ", "N").add("AF", _wrong_password())
    patron, summary = standing.patron, standing.summary
    today = timezone.localdate()
    loans = selectors.charged_items(patron.pk)
    holds = selectors.hold_items(patron.pk)
    overdue = [loan for loan in loans if loan["due_on"] < today]
    waiting = [hold for hold in holds if hold["status"] == HoldStatus.WAITING]
    fixed = (
        _status(standing.block_codes)
        + _language(request)
        + _now()
        + count(len(holds))
        + count(len(overdue))
        + count(len(loans))
        + count(0)  # fine items: fines are a balance here, not items
        + count(0)  # recall items: no recalls
        + count(len(waiting))
    )
    answer = Response("64", fixed).add("AO", _ao(request))
    answer.add("AA", patron.card_number).add("AE", patron.name)
    # Limits: holds (BZ) and loans (CB).
    answer.add("BZ", count(patron.category.max_holds))
    answer.add("CB", count(summary["category_max_loans"]))
    answer.add("BL", "Y").add("CQ", "Y")
    _fee_amount(answer, patron)
    summary_flags = request.fixed.get("summary", "").ljust(10)
    wanted = {position for position in range(6) if summary_flags[position] == "Y"} or {0, 2}
    chosen = _item_range(request)
    if 0 in wanted:
        for hold in holds[chosen]:
            answer.add("AS", hold["copy__barcode"] or hold["book__title"][:TITLE_IN_LIST])
    if 1 in wanted:
        for loan in overdue[chosen]:
            answer.add("AT", loan["copy__barcode"])
    if 2 in wanted:
        for loan in loans[chosen]:
            answer.add("AU", loan["copy__barcode"])
    if 5 in wanted:
        for hold in waiting[chosen]:
            answer.add("CD", hold["book__title"][:TITLE_IN_LIST])
    if patron.pk in session.passwords:
        # Contact details only to a patron who gave their password: a card number alone
        # (found on a lost card) shows no email address or phone number.
        answer.add_if("BE", patron.email).add_if("BF", patron.phone)
    return answer.add_if("AF", standing.block_messages)


# --- Circulation ---------------------------------------------------------------------------------


def _patron_for_transaction(session: Session, request: Request) -> tuple[Patron | None, str]:
    """The patron AA names and whose password passes, or None and why not."""
    if not request.get("AA"):
        return None, _("No patron identifier (AA) in the message.")
    patron = selectors.patron_by_card(request.get("AA"))
    if patron is None:
        return None, _unknown_patron(request.get("AA"))
    if not password_ok(session, patron, request):
        return None, _wrong_password()
    return patron, ""


def _due_message(due_on: Any) -> str:
    return _("Due back on %(date)s.") % {"date": long_date(due_on)}


def checkout(session: Session, request: Request) -> Response:
    """11: lend the copy AB to the patron AA, as the desk's checkout does (no override: a
    kiosk's "no block" flag lends past nothing). A copy already on loan to this very patron
    is answered as lent, not lent again: a kiosk sends a checkout again when it lost the
    answer, and the patron has the copy either way."""
    barcode = request.get("AB")
    if not barcode:
        return refusal(request, _("No item identifier (AB) in the message."))
    patron, why = _patron_for_transaction(session, request)
    if patron is None:
        return refusal(request, why)
    try:
        loan = services.loan_checkout(
            card_number=patron.card_number, barcode=barcode, actor=session.user
        )
        message = _due_message(loan.due_on)
    except Refused as refused:
        kept = selectors.open_loan(patron.pk, barcode)
        if kept is None or "already_on_loan_to_patron" not in {r.code for r in refused.reasons}:
            return refusal(request, refused.message)
        loan, message = kept, _messages(_("You have this copy already."), _due_message(kept.due_on))
    except DomainError as error:
        return refusal(request, error.message)
    # ok, renewal ok, magnetic media unknown, desensitize.
    answer = Response("12", "1" + "N" + "U" + "Y" + _now()).add("AO", _ao(request))
    answer.add("AA", patron.card_number).add("AB", barcode)
    answer.add("AJ", selectors.copy_title(barcode)).add("AH", sip_date(loan.due_on))
    return answer.add("AF", message)


def checkin(session: Session, request: Request) -> Response:
    """09: take the copy AB back, as the desk's check-in does. A copy that a patron waits for
    goes to the hold shelf: alert (CV 01, hold for this library), and the screen message says
    for whom. A copy that is neither on loan nor usable (damaged, withdrawn…) is not taken:
    ``ok`` 0 with the desk's sentence."""
    barcode = request.get("AB")
    if not barcode:
        return refusal(request, _("No item identifier (AB) in the message."))
    try:
        result = services.loan_checkin(barcode=barcode, actor=session.user)
    except DomainError as error:
        return refusal(request, error.message)
    copy = result.copy
    taken = result.loan is not None or copy.status in (
        CopyStatus.AVAILABLE,
        CopyStatus.ON_HOLD_SHELF,
    )
    alert = result.hold is not None or copy.status == CopyStatus.ON_HOLD_SHELF or result.found
    # ok, resensitize (a copy taken back is armed again, hold shelf or not), magnetic media
    # unknown, alert.
    answer = Response("10", ("1" if taken else "0") + flag(taken) + "U" + flag(alert) + _now())
    answer.add("AO", _ao(request)).add("AB", copy.barcode).add("AQ", copy.location)
    answer.add("AJ", selectors.copy_title(copy.barcode))
    if result.hold is not None:
        answer.add("CV", "01")  # hold for this library
        answer.add("CY", result.hold.patron.card_number).add("DA", result.hold.patron.name)
    elif alert:
        answer.add("CV", "01" if copy.status == CopyStatus.ON_HOLD_SHELF else "99")
    return answer.add("AF", result.message)


def renew(session: Session, request: Request) -> Response:
    """29: renew the patron's loan of the copy AB, as the desk's renewal does."""
    barcode = request.get("AB")
    if not barcode:
        return refusal(request, _("Renewing by title is not supported: send the item (AB)."))
    patron, why = _patron_for_transaction(session, request)
    if patron is None:
        return refusal(request, why)
    loan = selectors.open_loan(patron.pk, barcode)
    if loan is None:
        if not selectors.copy_exists(barcode):
            return refusal(request, _("No copy has barcode %(barcode)s.") % {"barcode": barcode})
        return refusal(
            request,
            _("Copy %(barcode)s is not on loan to %(name)s.")
            % {"barcode": barcode, "name": patron.name},
        )
    try:
        renewed = services.loan_renew(loan=loan, actor=session.user)
    except DomainError as error:
        return refusal(request, error.message)
    answer = Response("30", "1YUU" + _now()).add("AO", _ao(request))
    answer.add("AA", patron.card_number).add("AB", loan.copy.barcode)
    answer.add("AJ", loan.copy.book.title).add("AH", sip_date(renewed.due_on))
    return answer.add("AF", _("Renewed.") + " " + _due_message(renewed.due_on))


def renew_all(session: Session, request: Request) -> Response:
    """65: renew every loan of the patron, each on its own, as the desk's "Renew all"."""
    patron, why = _patron_for_transaction(session, request)
    if patron is None:
        return refusal(request, why)
    outcomes = services.loans_renew_all(patron=patron, actor=session.user)
    renewed = [outcome for outcome in outcomes if outcome.renewed]
    refused = [outcome for outcome in outcomes if not outcome.renewed]
    fixed = "1" + count(len(renewed)) + count(len(refused)) + _now()
    answer = Response("66", fixed).add("AO", _ao(request))
    for outcome in renewed:
        answer.add("BM", outcome.loan.copy.barcode)
    for outcome in refused:
        answer.add("BN", outcome.loan.copy.barcode)
    said = ngettext(
        "%(renewed)d of %(count)d loan renewed.",
        "%(renewed)d of %(count)d loans renewed.",
        len(outcomes),
    ) % {"renewed": len(renewed), "count": len(outcomes)}
    reasons = [
        _("'%(title)s' was not renewed: %(reason)s")
        % {"title": outcome.loan.copy.book.title, "reason": outcome.message}
        for outcome in refused
    ]
    return answer.add("AF", _messages(said, *reasons))


# --- Items ---------------------------------------------------------------------------------------


def item_information(session: Session, request: Request) -> Response:
    """17: a copy's circulation status, title, due date, queue and locations."""
    barcode = request.get("AB")
    row = selectors.item(barcode, timezone.localdate()) if barcode else None
    if row is None:
        return refusal(request, _("No copy has barcode %(barcode)s.") % {"barcode": barcode})
    status = CIRCULATION_STATUS.get(row["status"], OTHER_STATUS)
    # Security marker 00 (other), fee type 01 (other/unknown).
    answer = Response("18", status + "00" + "01" + _now())
    answer.add("CF", count(row["queue"]))
    if row["due_on"] is not None:
        answer.add("AH", sip_date(row["due_on"]))
    if row["pickup_by"] is not None:
        answer.add("CM", sip_date(row["pickup_by"]))
    answer.add("AB", row["barcode"]).add("AJ", row["book__title"])
    answer.add_if("AQ", row["location"]).add_if("AP", row["location"])
    return answer.add_if("CH", row["call_number"])


HANDLERS: dict[str, Callable[[Session, Request], Response]] = {
    "09": checkin,
    "11": checkout,
    "17": item_information,
    "23": patron_status,
    "29": renew,
    "35": end_session,
    "63": patron_information,
    "65": renew_all,
}


def answer(session: Session, request: Request) -> Response:
    """The answer to ``request`` (a 97, resend, is the server's: it keeps the last answer)."""
    if request.code == "93":
        return login(session, request)
    if request.code == "99":
        return sc_status(session, request)
    if not session.logged_in():
        return refusal(request, _("Log in first (message 93)."))
    return HANDLERS[request.code](session, request)
