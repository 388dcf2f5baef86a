"""Every write of circulation. Each function owns its transaction (shelfmark.transactions),
takes its row locks in one order (patron → book → copy → loan → hold) and raises domain errors
with a stable code; every state change is recorded as a circulation event."""

from circulation.services.holds import hold_cancel, hold_place, holds_expire
from circulation.services.loans import CheckinResult, loan_checkin, loan_checkout, loan_renew
from circulation.services.notices import (
    notice_template_reset,
    notice_template_update,
    notices_send,
)
from circulation.services.patrons import (
    category_create,
    category_delete,
    category_update,
    patron_create,
    patron_update,
)

__all__ = [
    "CheckinResult",
    "category_create",
    "category_delete",
    "category_update",
    "hold_cancel",
    "hold_place",
    "holds_expire",
    "loan_checkin",
    "loan_checkout",
    "loan_renew",
    "notice_template_reset",
    "notice_template_update",
    "notices_send",
    "patron_create",
    "patron_update",
]
