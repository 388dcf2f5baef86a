"""Circulation's field rules, each once with one message (see catalog.rules for the idea)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from catalog.rules import (
    Rule,
    WholeNumberRange,
    clean_name,
    clean_scanned_code,
    clean_text,
    squash_spaces,
)
from shelfmark.errors import RuleError


def clean_card_number(value: str | None) -> str:
    return clean_scanned_code(value, what="A card number", missing="A patron needs a card number.")


def clean_email(value: str | None) -> str:
    email = squash_spaces(value).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise RuleError(f"'{email}' is not an email address.") from None
    return email


def clean_block_reason(value: str | None) -> str:
    return squash_spaces(value)


def clean_category_name(value: str | None) -> str:
    return clean_name(value)


PATRON_RULES: Mapping[str, Rule] = {
    "card_number": clean_card_number,
    "name": clean_name,
    "email": clean_email,
    "phone": squash_spaces,
    "notes": clean_text,
    "block_reason": clean_block_reason,
}


@dataclass(frozen=True)
class Amount:
    """An optional sum of money (fines): from ``minimum`` to ``maximum``, whole cents."""

    minimum: Decimal
    what: str
    maximum: Decimal = Decimal("999999.99")

    def __call__(self, value: Decimal | int | str | None) -> Decimal | None:
        if value is None:
            return None
        try:
            amount = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise RuleError(f"The {self.what} must be a number, such as 0.25.") from None
        if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
            raise RuleError(f"The {self.what} must be a number with at most two decimals.")
        if not self.minimum <= amount <= self.maximum:
            raise RuleError(f"The {self.what} must be from {self.minimum} to {self.maximum}.")
        return amount


CATEGORY_RULES: Mapping[str, Rule] = {
    "name": clean_category_name,
    "loan_period_days": WholeNumberRange(1, 3650, "loan period"),
    "max_loans": WholeNumberRange(0, 1000, "maximum of loans"),
    "max_renewals": WholeNumberRange(0, 1000, "maximum of renewals"),
    "max_holds": WholeNumberRange(0, 1000, "maximum of holds"),
    "hold_pickup_days": WholeNumberRange(1, 365, "hold pickup window"),
    "overdue_blocks": lambda value: bool(value),
    "card_valid_months": WholeNumberRange(1, 120, "card validity in months"),
    "fine_per_day": Amount(Decimal("0"), "fine per day"),
    "fine_grace_days": WholeNumberRange(0, 365, "fine grace days"),
    "fine_max_per_loan": Amount(Decimal("0"), "most a loan's fine comes to"),
    "fines_block_at": Amount(Decimal("0.01"), "fines that stop borrowing"),
}
