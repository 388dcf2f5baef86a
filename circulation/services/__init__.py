"""Every write of circulation. Each function owns its transaction (shelfmark.transactions),
takes its row locks in one order (patron → book → copy → loan → hold) and raises domain errors
with a stable code; every state change is recorded as a circulation event."""

from circulation.services.holds import hold_cancel, hold_place, hold_suspend, holds_expire
from circulation.services.loans import (
    CheckinResult,
    RenewalOutcome,
    loan_checkin,
    loan_checkout,
    loan_renew,
    loans_renew_all,
)
from circulation.services.notices import (
    notice_template_reset,
    notice_template_update,
    notices_send,
)
from circulation.services.patrons import (
    category_create,
    category_delete,
    category_update,
    patron_card_renew,
    patron_create,
    patron_update,
)

__all__ = [
    "CheckinResult",
    "RenewalOutcome",
    "category_create",
    "category_delete",
    "category_update",
    "hold_cancel",
    "hold_place",
    "hold_suspend",
    "holds_expire",
    "loan_checkin",
    "loan_checkout",
    "loan_renew",
    "loans_renew_all",
    "notice_template_reset",
    "notice_template_update",
    "notices_send",
    "patron_card_renew",
    "patron_create",
    "patron_update",
]
