"""Why a patron cannot borrow now: every reason at once, and which of them a librarian may lend
past.

As Koha's ``CanBookBeIssued``, a checkout collects all its reasons before it answers, so the
desk can show them together and a librarian decides once. Some are final (a blocked card, a
copy on loan to someone else); the others can be overridden when asked for by name:

- ``confirm``: any librarian may lend anyway after confirming (others wait for the book);
- ``permission``: only staff with ``circulation.override_refusals`` may (over the limit, card
  expired, overdue loans, a copy on the hold shelf for someone else).

Every override is recorded as a circulation event, with who and why.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from shelfmark.errors import Conflict, NotAllowed
from shelfmark.formats import long_date

OVERRIDE_PERMISSION = "circulation.override_refusals"


class Override(StrEnum):
    CONFIRM = "confirm"
    PERMISSION = "permission"


@dataclass(frozen=True)
class Overridable:
    how: Override
    name: str | Promise  # what it is, in a few words, for people ("lend anyway, despite: …")


# The refusals a checkout may be told to lend past (the API's ``override`` list), and how.
OVERRIDABLE: dict[str, Overridable] = {
    "book_held": Overridable(Override.CONFIRM, gettext_lazy("others wait for the book")),
    "card_expired": Overridable(Override.PERMISSION, gettext_lazy("card expired")),
    "has_overdue_loans": Overridable(Override.PERMISSION, gettext_lazy("overdue loans")),
    "max_loans": Overridable(Override.PERMISSION, gettext_lazy("loan limit reached")),
    "fines_owed": Overridable(Override.PERMISSION, gettext_lazy("fines owed")),
    "copy_on_hold_shelf": Overridable(
        Override.PERMISSION, gettext_lazy("on the hold shelf for another patron")
    ),
}


def override_names(codes: Iterable[str]) -> str:
    """The refusals ``codes`` name, as people say them: "card expired, loan limit reached" (in
    the active language)."""
    return ", ".join(str(OVERRIDABLE[code].name) if code in OVERRIDABLE else code for code in codes)


@dataclass(frozen=True)
class Refusal:
    """One reason a patron cannot borrow (a copy) now."""

    code: str
    message: str

    @property
    def override(self) -> Override | None:
        """How it can be lent past; None when it cannot."""
        overridable = OVERRIDABLE.get(self.code)
        return overridable.how if overridable else None

    def may_be_overridden_by(self, actor: Any) -> bool:
        """Whether ``actor`` may lend past it (None: the system, which may)."""
        if self.override is None:
            return False
        if self.override is Override.CONFIRM or actor is None:
            return True
        return bool(actor.has_perm(OVERRIDE_PERMISSION))

    def as_dict(self, actor: Any) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "override": self.override.value if self.override else None,
            "overridable": self.may_be_overridden_by(actor),
        }


class Refused(Conflict):
    """A checkout refused for ``reasons`` (409): the first final one gives the error's code,
    every message is in its message, and the body lists them all (``reasons``)."""

    def __init__(self, reasons: Sequence[Refusal], *, actor: Any):
        first = next((r for r in reasons if r.override is None), reasons[0])
        super().__init__(
            " ".join(r.message for r in reasons),
            code=first.code,
            extra={"reasons": [r.as_dict(actor) for r in reasons]},
        )
        self.reasons = list(reasons)


def overrides_check(reasons: Sequence[Refusal], override: Collection[str], actor: Any) -> None:
    """Pass when every reason is overridden by ``override`` and ``actor`` may override each;
    else raise: a 409 ``Refused`` with every reason while any is final or not asked to be
    overridden, a 403 when one asked for needs a permission ``actor`` lacks."""
    if not reasons:
        return
    if any(r.override is None or r.code not in override for r in reasons):
        raise Refused(reasons, actor=actor)
    not_allowed = [r.code for r in reasons if not r.may_be_overridden_by(actor)]
    if not_allowed:
        raise NotAllowed(
            _(
                "Lending despite this (%(refusals)s) needs the permission to lend anyway (Can "
                "lend anyway, overriding a refusal at checkout); ask a colleague who has it."
            )
            % {"refusals": override_names(not_allowed)},
            code="override_not_allowed",
            extra={"reasons": [r.as_dict(actor) for r in reasons]},
        )


class Card(Protocol):
    """What a patron's card says (a Patron, or a Standing)."""

    @property
    def name(self) -> str: ...
    @property
    def blocked(self) -> bool: ...
    @property
    def block_reason(self) -> str: ...
    @property
    def expires_on(self) -> datetime.date | None: ...


@dataclass(frozen=True)
class Standing:
    """What decides whether a patron may borrow at all: their card and their loans."""

    name: str
    category_name: str
    blocked: bool
    block_reason: str
    expires_on: datetime.date | None
    overdue_blocks: bool
    loans_open: int
    loans_overdue: int
    max_loans: int
    # Fines owed, and from how much they stop borrowing (None: never, or fines are off).
    fines_owed: Decimal = Decimal(0)
    fines_block_at: Decimal | None = None


def money(amount: Decimal) -> str:
    """A sum of money as people read it in the active language ("2.50", German "2,50")."""
    return number_format(amount, decimal_pos=2)


def card_refusals(card: Card, today: datetime.date) -> list[Refusal]:
    """A blocked card, an expired one: what stops borrowing, renewing and placing holds."""
    refusals = []
    if card.blocked:
        refusals.append(
            Refusal(
                "patron_blocked",
                _("%(name)s's card is blocked: %(reason)s")
                % {"name": card.name, "reason": card.block_reason},
            )
        )
    if card.expires_on is not None and card.expires_on < today:
        refusals.append(
            Refusal(
                "card_expired",
                _("%(name)s's card expired on %(date)s; renew the card first.")
                % {"name": card.name, "date": long_date(card.expires_on)},
            )
        )
    return refusals


def patron_blocks(standing: Standing, today: datetime.date) -> list[Refusal]:
    """Every reason the patron cannot borrow today, before any copy is scanned: a blocked
    card, an expired one, overdue loans (when their category says those block), the loan
    limit reached. The checkout and the desk's patron box both ask this."""
    blocks = card_refusals(standing, today)
    if standing.overdue_blocks and standing.loans_overdue:
        blocks.append(
            Refusal(
                "has_overdue_loans",
                ngettext(
                    "%(name)s has %(count)d overdue loan; it must be returned first.",
                    "%(name)s has %(count)d overdue loans; they must be returned first.",
                    standing.loans_overdue,
                )
                % {"name": standing.name, "count": standing.loans_overdue},
            )
        )
    if standing.fines_block_at is not None and standing.fines_owed >= standing.fines_block_at:
        blocks.append(
            Refusal(
                "fines_owed",
                _(
                    "%(name)s owes %(owed)s in fines; from %(limit)s a patron may not borrow "
                    "until they are paid."
                )
                % {
                    "name": standing.name,
                    "owed": money(standing.fines_owed),
                    "limit": money(standing.fines_block_at),
                },
            )
        )
    if standing.loans_open >= standing.max_loans:
        blocks.append(
            Refusal(
                "max_loans",
                ngettext(
                    "%(name)s has %(count)d loan, the most a %(category)s patron may have at once.",
                    "%(name)s has %(count)d loans, the most a %(category)s patron may have at "
                    "once.",
                    standing.loans_open,
                )
                % {
                    "name": standing.name,
                    "count": standing.loans_open,
                    "category": standing.category_name,
                },
            )
        )
    return blocks
