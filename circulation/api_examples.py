"""Examples for the circulation API's documentation (OpenAPI), one list per operation kind:
requests, answers and the refusals a client should expect, with their codes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample

BASE = "https://library.example.org/api/v1"


def _request(name: str, value: Any) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True)


def _answer(name: str, value: Any, status: int = 200) -> OpenApiExample:
    return OpenApiExample(name, value=value, response_only=True, status_codes=[str(status)])


def _refusal(status: int, code: str, message: str) -> OpenApiExample:
    body = {"error": {"status": status, "code": code, "message": message}}
    return _answer(f"Refused: {code}", body, status)


def _reason(code: str, message: str, override: str | None, overridable: bool) -> dict[str, Any]:
    return {"code": code, "message": message, "override": override, "overridable": overridable}


def _refused_for(name: str, status: int, *reasons: dict[str, Any]) -> OpenApiExample:
    """A checkout's refusal with every reason (``error.reasons``)."""
    first = next((r for r in reasons if r["override"] is None), reasons[0])
    message = " ".join(r["message"] for r in reasons)
    body = {
        "error": {"status": status, "code": first["code"], "message": message, "reasons": reasons}
    }
    return _answer(name, body, status)


CATEGORY = {
    "id": 1,
    "url": f"{BASE}/patron-categories/1/",
    "name": "Adult",
    "loan_period_days": 21,
    "max_loans": 5,
    "max_renewals": 2,
    "max_holds": 5,
    "hold_pickup_days": 7,
    "overdue_blocks": True,
    "card_valid_months": 12,
}
PATRON = {
    "id": 42,
    "url": f"{BASE}/patrons/42/",
    "card_number": "P000042",
    "name": "Ada Reader",
    "email": "ada@example.org",
    "phone": "+44 20 7946 0000",
    "category": 1,
    "expires_on": "2027-08-31",
    "blocked": False,
    "block_reason": "",
    "user": 17,
    "blocks": [],
}
CARD_EXPIRED = _reason(
    "card_expired",
    "Ada Reader's card expired on Monday 30 November 2026; renew the card first.",
    "permission",
    False,
)
AT_THE_LIMIT = _reason(
    "max_loans",
    "Ada Reader has 5 loans, the most a Adult patron may have at once.",
    "permission",
    False,
)
LOAN = {
    "id": 310,
    "url": f"{BASE}/loans/310/",
    "patron": 42,
    "copy": "B-000123",
    "book": 7,
    "book_title": "Middlemarch",
    "checked_out_at": "2026-11-02T10:15:00Z",
    "due_on": "2026-11-23",
    "checked_in_at": None,
    "renewals": 0,
    "overdue": False,
    "days_late": None,
}
LOAN_RETURNED = LOAN | {"checked_in_at": "2026-11-25T09:40:12Z", "days_late": 2}
LOAN_RENEWED = LOAN | {"due_on": "2026-12-14", "renewals": 1}
HOLD = {
    "id": 55,
    "url": f"{BASE}/holds/55/",
    "patron": 42,
    "book": 7,
    "book_title": "Middlemarch",
    "position": 2,
    "status": "waiting",
    "placed_at": "2026-11-03T16:02:44Z",
    "suspended_until": None,
    "pickup_by": None,
    "copy": None,
}
HOLD_READY = HOLD | {
    "id": 51,
    "url": f"{BASE}/holds/51/",
    "patron": 7,
    "position": None,
    "status": "ready",
    "pickup_by": "2026-12-02",
    "copy": "B-000123",
}
KEY_REUSED = _refusal(
    422,
    "idempotency_key_reused",
    "This Idempotency-Key was used at 2026-11-25 09:40:12 UTC for another request (with "
    "another body). Send a new key for a new request; keys are kept for at least 24 hours.",
)

CATEGORY_EXAMPLES = [
    _request("Adult category", {k: v for k, v in CATEGORY.items() if k not in ("id", "url")}),
    _answer("A category", CATEGORY),
    _answer("Created", CATEGORY, 201),
    _refusal(409, "duplicate", "A patron category named 'Adult' already exists."),
    _refusal(409, "in_use", "'Adult' cannot be deleted: it is still referred to by patrons (12)."),
    _refusal(
        403,
        "permission_denied",
        "Your account may not add patron categories (permission "
        "circulation.add_patroncategory); ask an administrator.",
    ),
]
PATRON_EXAMPLES = [
    _answer("A patron", PATRON),
    _answer(
        "A patron who cannot borrow now",
        PATRON | {"expires_on": "2026-11-30", "blocks": [CARD_EXPIRED, AT_THE_LIMIT]},
    ),
]
PATRON_RENEW_CARD_EXAMPLES = [
    _answer("Renewed for the category's 12 months", PATRON | {"expires_on": "2027-12-06"}),
    _refusal(
        409, "card_never_expires", "Ada Reader's card never expires; there is nothing to renew."
    ),
    KEY_REUSED,
]
PATRON_CREATE_EXAMPLES = [
    _request(
        "With a login",
        {
            "card_number": "P000042",
            "name": "Ada Reader",
            "email": "ada@example.org",
            "phone": "+44 20 7946 0000",
            "category": 1,
            "expires_on": "2027-08-31",
            "username": "ada",
        },
    ),
    _request("Card only", {"card_number": "P000043", "name": "Alan Borrower", "category": 1}),
    _answer("Created", PATRON, 201),
    _refusal(409, "duplicate_card", "Card number P000042 already belongs to another patron."),
    _refusal(409, "duplicate_username", "The username 'ada' is taken."),
    KEY_REUSED,
]
PATRON_UPDATE_EXAMPLES = [
    _request("Block", {"blocked": True, "block_reason": "Card reported lost"}),
    _request("Unblock", {"blocked": False}),
    _request("New card", {"card_number": "P000142", "expires_on": "2028-08-31"}),
    _answer("Blocked", PATRON | {"blocked": True, "block_reason": "Card reported lost"}),
    _refusal(
        403,
        "permission_denied",
        "Patron records are changed by the library staff; ask at the desk.",
    ),
]
CHECKOUT_EXAMPLES = [
    _request("Scanned card and copy", {"patron": "P000042", "copy": "B-000123"}),
    _request(
        "Lend anyway (after a refusal)",
        {
            "patron": "P000042",
            "copy": "B-000123",
            "override": ["card_expired", "max_loans"],
            "override_reason": "Renewal paid at the desk today",
        },
    ),
    _answer("Lent", LOAN, 201),
    _refused_for(
        "Refused: copy_on_loan",
        409,
        _reason("copy_on_loan", "Copy B-000123 is on loan to another patron.", None, False),
    ),
    _refused_for(
        "Refused: card_expired and max_loans (staff with the permission may override both)",
        409,
        CARD_EXPIRED | {"overridable": True},
        AT_THE_LIMIT | {"overridable": True},
    ),
    _refused_for(
        "Refused: book_held (any librarian may confirm)",
        409,
        _reason("book_held", "2 other patrons are waiting for this book.", "confirm", True),
    ),
    _refused_for(
        "Refused: patron_blocked, whatever else",
        409,
        _reason("patron_blocked", "Ada Reader's card is blocked: Card reported lost", None, False),
        CARD_EXPIRED,
    ),
    _answer(
        "Refused: override_not_allowed",
        {
            "error": {
                "status": 403,
                "code": "override_not_allowed",
                "message": "Lending despite this (card expired) needs the permission to lend "
                "anyway (Can lend anyway, overriding a refusal at checkout); ask a colleague who "
                "has it.",
                "reasons": [CARD_EXPIRED],
            }
        },
        403,
    ),
    _refusal(404, "unknown_card", "No patron has card number P999999."),
    KEY_REUSED,
]
CHECKIN_EXAMPLES = [
    _request("Scanned copy", {"copy": "B-000123"}),
    _answer(
        "Returned, and a hold waits",
        {
            "loan": LOAN_RETURNED,
            "hold": HOLD_READY,
            "message": "Checked in. Put it on the hold shelf for Grace Hopper (card P000007), "
            "to pick up by Wednesday 2 December 2026.",
            "copy_found": False,
        },
    ),
    _answer(
        "A lost copy turns up",
        {
            "loan": None,
            "hold": None,
            "message": "Copy B-000123 was marked lost; it is marked found now. Back to the shelf.",
            "copy_found": True,
        },
    ),
    _answer(
        "Not on loan, nobody waits",
        {
            "loan": None,
            "hold": None,
            "message": "Copy B-000123 was not on loan. Back to the shelf.",
            "copy_found": False,
        },
    ),
    _refusal(404, "unknown_barcode", "No copy has barcode B-999999."),
    KEY_REUSED,
]
LOAN_EXAMPLES = [_answer("A loan", LOAN)]
LOAN_RENEW_EXAMPLES = [
    _answer("Renewed", LOAN_RENEWED),
    _refusal(409, "book_held", "Another patron is waiting for this book; it cannot be renewed."),
    _refusal(409, "max_renewals", "This loan has been renewed 2 times, the most allowed."),
    _refusal(404, "not_found", "No loan with id 310."),
    KEY_REUSED,
]
HOLD_EXAMPLES = [_answer("A waiting hold", HOLD), _answer("A ready hold", HOLD_READY)]
HOLD_UPDATE_EXAMPLES = [
    _request("Suspend until a day", {"suspended_until": "2027-01-10"}),
    _request("Resume now", {"suspended_until": None}),
    _answer("Suspended", HOLD | {"suspended_until": "2027-01-10"}),
    _refusal(
        409,
        "hold_ready",
        "This hold is ready on the hold shelf: it can be collected or cancelled, not suspended.",
    ),
]
HOLD_CREATE_EXAMPLES = [
    _request("A patron, for themselves", {"book": 7}),
    _request("Staff, for a patron", {"book": 7, "patron": 42}),
    _answer("Placed", HOLD, 201),
    _refusal(409, "already_held", "Ada Reader already holds 'Middlemarch'."),
    _refusal(
        409,
        "copy_on_shelf",
        "A copy of 'Middlemarch' is on the shelf now: borrow it instead of placing a hold.",
    ),
    _refusal(
        403,
        "no_patron_record",
        "Your account is not linked to a patron record, so it has no loans or holds. Ask the "
        "library staff to link it to your library card.",
    ),
    KEY_REUSED,
]
HOLD_CANCEL_EXAMPLES = [
    _answer(
        "Cancelled",
        HOLD | {"position": None, "status": "cancelled"},
    ),
    _refusal(409, "hold_closed", "This hold is already collected."),
    KEY_REUSED,
]
ME_EXAMPLES = [
    _answer(
        "A patron with a loan and two holds",
        {"patron": PATRON, "loans": [LOAN], "holds": [HOLD, HOLD_READY | {"patron": 42}]},
    ),
    _refusal(
        404,
        "no_patron_record",
        "Your account is not linked to a patron record, so it has no loans or holds. Ask the "
        "library staff to link it to your library card.",
    ),
]
