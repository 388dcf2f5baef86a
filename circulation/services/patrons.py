"""Patrons and their categories."""

from __future__ import annotations

import datetime
from calendar import monthrange
from decimal import Decimal
from typing import Any, TypedDict, Unpack

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.rules import clean_fields
from circulation.models import EventKind, Patron, PatronCategory
from circulation.rules import CATEGORY_RULES, PATRON_RULES
from circulation.services.events import event_record
from shelfmark.errors import Conflict, InvalidInput
from shelfmark.transactions import delete_or_conflict, lock_row, service_transaction

PATRONS_GROUP = "Patrons"  # created by migration circulation 0002


class PatronFields(TypedDict, total=False):
    email: str
    phone: str
    notes: str
    language: str
    expires_on: datetime.date | None


class CategoryFields(TypedDict, total=False):
    loan_period_days: int
    max_loans: int
    max_renewals: int
    max_holds: int
    hold_pickup_days: int
    overdue_blocks: bool
    card_valid_months: int
    fine_per_day: Decimal
    fine_grace_days: int
    fine_max_per_loan: Decimal | None
    fines_block_at: Decimal | None


# --- Categories ----------------------------------------------------------------------------------


@service_transaction
def category_create(*, name: str, **fields: Unpack[CategoryFields]) -> PatronCategory:
    category = PatronCategory(**clean_fields(CATEGORY_RULES, {"name": name, **fields}))
    _save_category(category)
    return category


@service_transaction
def category_update(
    *, category: PatronCategory, name: str | None = None, **fields: Unpack[CategoryFields]
) -> PatronCategory:
    changes = clean_fields(CATEGORY_RULES, {**fields, **({} if name is None else {"name": name})})
    category = lock_row(PatronCategory, category.pk, no_key=True)
    for key, value in changes.items():
        setattr(category, key, value)
    _save_category(category)
    return category


@service_transaction
def category_delete(*, category: PatronCategory) -> None:
    category = lock_row(PatronCategory, category.pk)
    delete_or_conflict(
        category,
        in_use=_("Category '%(name)s' was just given to a patron.") % {"name": category.name},
    )


def _save_category(category: PatronCategory) -> None:
    duplicate = Conflict(
        _("A patron category named '%(name)s' already exists.") % {"name": category.name},
        code="duplicate",
        field="name",
    )
    same_name = Exact(Lower("name"), Lower(Value(category.name)))
    if PatronCategory.objects.filter(same_name).exclude(pk=category.pk).exists():
        raise duplicate
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError:
        raise duplicate from None


# --- Patrons -----------------------------------------------------------------------------------


@service_transaction
def patron_create(
    *,
    card_number: str,
    name: str,
    category: PatronCategory,
    username: str | None = None,
    actor: Any = None,
    **fields: Unpack[PatronFields],
) -> Patron:
    """Register a patron; with ``username``, also the login they use for self-service (no
    password yet: they choose one through the set-password link)."""
    expires_on = fields.pop("expires_on", None)
    cleaned = clean_fields(PATRON_RULES, {"card_number": card_number, "name": name, **fields})
    patron = Patron(category=category, expires_on=expires_on, **cleaned)
    if username is not None:
        patron.user = _login_create(username=username, email=patron.email)
    _save_patron(patron)
    return patron


@service_transaction
def patron_update(
    *,
    patron: Patron,
    actor: Any = None,
    card_number: str | None = None,
    name: str | None = None,
    category: PatronCategory | None = None,
    blocked: bool | None = None,
    block_reason: str | None = None,
    **fields: Unpack[PatronFields],
) -> Patron:
    """Change the given fields. Blocking needs a reason; blocking and unblocking are recorded
    as circulation events."""
    expires_given = "expires_on" in fields
    expires_on = fields.pop("expires_on", None)
    given = {"card_number": card_number, "name": name, "block_reason": block_reason}
    changes: dict[str, Any] = clean_fields(
        PATRON_RULES, {**fields, **{k: v for k, v in given.items() if v is not None}}
    )
    patron = lock_row(Patron, patron.pk, no_key=True)
    if expires_given:
        changes["expires_on"] = expires_on
    if category is not None:
        changes["category"] = category
    was_blocked = patron.blocked
    expired_on = patron.expires_on
    if blocked is not None:
        changes["blocked"] = blocked
        if not blocked:
            changes["block_reason"] = ""
    for key, value in changes.items():
        setattr(patron, key, value)
    if patron.blocked and not patron.block_reason:
        raise InvalidInput(_("Say why the patron is blocked."), field="block_reason")
    _save_patron(patron)
    if patron.blocked != was_blocked:
        event_record(
            EventKind.PATRON_BLOCKED if patron.blocked else EventKind.PATRON_UNBLOCKED,
            actor=actor,
            patron=patron,
            from_state="blocked" if was_blocked else "active",
            to_state="blocked" if patron.blocked else "active",
            note=patron.block_reason,
        )
    if patron.expires_on != expired_on:
        event_record(
            EventKind.CARD_EXPIRY_CHANGED,
            actor=actor,
            patron=patron,
            from_state=_expiry(expired_on),
            to_state=_expiry(patron.expires_on),
        )
    return patron


@service_transaction
def patron_card_renew(*, patron: Patron, actor: Any = None) -> Patron:
    """Extend the card by its category's period (``card_valid_months``), counted from the day
    it expires, or from today when it has expired already: renewing early loses no days, and
    renewing late gives no days back."""
    patron = lock_row(Patron, patron.pk, no_key=True)
    if patron.expires_on is None:
        raise Conflict(
            _("%(name)s's card never expires; there is nothing to renew.") % {"name": patron.name},
            code="card_never_expires",
        )
    category = PatronCategory.objects.get(pk=patron.category_id)
    was = patron.expires_on
    start = max(was, timezone.localdate())
    patron.expires_on = add_months(start, category.card_valid_months)
    patron.save(update_fields=["expires_on", "updated_at"])
    event_record(
        EventKind.CARD_RENEWED,
        actor=actor,
        patron=patron,
        from_state=_expiry(was),
        to_state=_expiry(patron.expires_on),
    )
    return patron


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later; the month's last day when it is shorter (31 January + 1
    month = 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, monthrange(year, month)[1]))


def _expiry(day: datetime.date | None) -> str:
    return f"expires {day:%Y-%m-%d}" if day else "never expires"


def _save_patron(patron: Patron) -> None:
    duplicate = Conflict(
        _("Card number %(card)s already belongs to another patron.") % {"card": patron.card_number},
        code="duplicate_card",
        field="card_number",
    )
    if Patron.objects.filter(card_number=patron.card_number).exclude(pk=patron.pk).exists():
        raise duplicate
    try:
        with transaction.atomic():
            patron.save()
    except IntegrityError:
        raise duplicate from None


def _login_create(*, username: str, email: str) -> Any:
    """A login for a patron: no password yet (they set one through the emailed link), in the
    Patrons group. Usernames follow Django's rule (letters, digits and @.+-_, up to 150)."""
    user_model = get_user_model()
    username = user_model.normalize_username(username.strip())
    if not username:
        raise InvalidInput(_("A username may not be blank."), field="username")
    if len(username) > 150:
        raise InvalidInput(_("A username may be at most 150 characters."), field="username")
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages), field="username") from None
    taken = Conflict(
        _("The username '%(username)s' is taken.") % {"username": username},
        code="duplicate_username",
        field="username",
    )
    if user_model._default_manager.filter(username__iexact=username).exists():
        raise taken
    try:
        with transaction.atomic():
            user = user_model._default_manager.create_user(username=username, email=email)
    except IntegrityError:
        raise taken from None
    user.groups.add(Group.objects.get(name=PATRONS_GROUP))
    return user
