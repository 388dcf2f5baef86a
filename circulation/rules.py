"""Circulation's field rules, each once with one message (see catalog.rules for the idea)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.formats import sanitize_separators
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.rules import (
    Rule,
    clean_name,
    clean_scanned_code,
    clean_text,
    squash_spaces,
)
from shelfmark import languages
from shelfmark.errors import RuleError

# A rule's message, translated when the rule refuses a value (module-level rules hold lazy ones).
Message = str | Promise


def clean_card_number(value: str | None) -> str:
    return clean_scanned_code(
        value,
        what="A card number",  # unused: each message below is a whole sentence
        missing=_("A patron needs a card number."),
        spaces=_("A card number may not contain spaces."),
        invisible=_(
            "A card number may not contain invisible characters (such as zero-width spaces)."
        ),
    )


def clean_email(value: str | None) -> str:
    email = squash_spaces(value).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise RuleError(_("'%(email)s' is not an email address.") % {"email": email}) from None
    return email


def clean_language(value: str | None) -> str:
    """A patron's language: empty (the library's own) or one the site is translated into, by
    its code or its name ("de", "Deutsch", "German")."""
    text = squash_spaces(value)
    code = languages.code_for(text) if text else ""
    if code is None:
        raise RuleError(
            _("'%(code)s' is not one of the site's languages: %(languages)s.")
            % {"code": text, "languages": ", ".join(languages.codes())}
        )
    return code


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
    "language": clean_language,
    "block_reason": clean_block_reason,
}


@dataclass(frozen=True)
class WholeNumber:
    """An optional whole number from ``minimum`` to ``maximum`` (the database checks the same
    bounds, and the API's schema shows them), with its messages as whole sentences, each naming
    its field in its own words: ``not_whole``, and ``out_of_range`` with ``%(minimum)d``,
    ``%(maximum)d`` and ``%(value)d``."""

    minimum: int
    maximum: int
    not_whole: Message
    out_of_range: Message

    def __call__(self, value: int | None) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise RuleError(str(self.not_whole))
        if not self.minimum <= value <= self.maximum:
            raise RuleError(
                self.out_of_range
                % {"minimum": self.minimum, "maximum": self.maximum, "value": value}
            )
        return value


@dataclass(frozen=True)
class Amount:
    """An optional sum of money (fines): from ``minimum`` to ``maximum``, whole cents, with its
    messages as whole sentences: ``not_a_number``, ``too_precise``, and ``out_of_range`` with
    ``%(minimum)s`` and ``%(maximum)s`` (written as the input is, with a decimal point)."""

    minimum: Decimal
    not_a_number: Message
    too_precise: Message
    out_of_range: Message
    maximum: Decimal = Decimal("999999.99")

    def __call__(self, value: Decimal | int | str | None) -> Decimal | None:
        if value is None:
            return None
        text = str(value).strip()
        if isinstance(value, str):
            # Typed in the reader's language: "2,50" in German is 2.50 (Django's own parsing
            # of localized form input); a decimal point is taken in every language.
            text = str(sanitize_separators(text))
        try:
            amount = Decimal(text)
        except (InvalidOperation, ValueError):
            raise RuleError(str(self.not_a_number)) from None
        if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
            raise RuleError(str(self.too_precise))
        if not self.minimum <= amount <= self.maximum:
            raise RuleError(
                self.out_of_range % {"minimum": str(self.minimum), "maximum": str(self.maximum)}
            )
        return amount


CATEGORY_RULES: Mapping[str, Rule] = {
    "name": clean_category_name,
    "loan_period_days": WholeNumber(
        1,
        3650,
        gettext_lazy("The loan period must be a whole number."),
        gettext_lazy("The loan period must be from %(minimum)d to %(maximum)d; %(value)d is not."),
    ),
    "max_loans": WholeNumber(
        0,
        1000,
        gettext_lazy("The maximum of loans must be a whole number."),
        gettext_lazy(
            "The maximum of loans must be from %(minimum)d to %(maximum)d; %(value)d is not."
        ),
    ),
    "max_renewals": WholeNumber(
        0,
        1000,
        gettext_lazy("The maximum of renewals must be a whole number."),
        gettext_lazy(
            "The maximum of renewals must be from %(minimum)d to %(maximum)d; %(value)d is not."
        ),
    ),
    "max_holds": WholeNumber(
        0,
        1000,
        gettext_lazy("The maximum of holds must be a whole number."),
        gettext_lazy(
            "The maximum of holds must be from %(minimum)d to %(maximum)d; %(value)d is not."
        ),
    ),
    "hold_pickup_days": WholeNumber(
        1,
        365,
        gettext_lazy("The hold pickup window must be a whole number."),
        gettext_lazy(
            "The hold pickup window must be from %(minimum)d to %(maximum)d; %(value)d is not."
        ),
    ),
    "overdue_blocks": lambda value: bool(value),
    "card_valid_months": WholeNumber(
        1,
        120,
        gettext_lazy("The card validity in months must be a whole number."),
        gettext_lazy(
            "The card validity in months must be from %(minimum)d to %(maximum)d; %(value)d is not."
        ),
    ),
    "fine_per_day": Amount(
        Decimal("0"),
        gettext_lazy("The fine per day must be a number, such as 0.25."),
        gettext_lazy("The fine per day must be a number with at most two decimals."),
        gettext_lazy("The fine per day must be from %(minimum)s to %(maximum)s."),
    ),
    "fine_grace_days": WholeNumber(
        0,
        365,
        gettext_lazy("The fine grace days must be a whole number."),
        gettext_lazy(
            "The fine grace days must be from %(minimum)d to %(maximum)d; %(value)d is not."
        ),
    ),
    "fine_max_per_loan": Amount(
        Decimal("0"),
        gettext_lazy("The most a loan's fine comes to must be a number, such as 0.25."),
        gettext_lazy("The most a loan's fine comes to must be a number with at most two decimals."),
        gettext_lazy("The most a loan's fine comes to must be from %(minimum)s to %(maximum)s."),
    ),
    "fines_block_at": Amount(
        Decimal("0.01"),
        gettext_lazy("The fines that stop borrowing must be a number, such as 0.25."),
        gettext_lazy("The fines that stop borrowing must be a number with at most two decimals."),
        gettext_lazy("The fines that stop borrowing must be from %(minimum)s to %(maximum)s."),
    ),
}
