"""Circulation API serializers.

Output serializers document the rows of circulation.selectors.rows (the API renders those rows
as they are; tests check every row has exactly these fields); input serializers check types
and apply circulation's field rules (circulation.rules) before a service is called.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from rest_framework import serializers

from catalog.rules import clean_barcode
from circulation.models import FineKind, HoldStatus, PatronCategory
from circulation.refusals import OVERRIDABLE, Override
from circulation.rules import CATEGORY_RULES, PATRON_RULES, clean_card_number
from shelfmark.api.fields import (
    MAX_ID,
    JsonBooleanField,
    MoneyField,
    RuledIntegerField,
    RuledTextField,
    TextField,
)

# --- Output ------------------------------------------------------------------------------------


class PatronCategorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    name = serializers.CharField()
    loan_period_days = serializers.IntegerField(help_text="Days a loan lasts.")
    max_loans = serializers.IntegerField(help_text="Loans a patron may have at once.")
    max_renewals = serializers.IntegerField(help_text="Renewals per loan.")
    max_holds = serializers.IntegerField(help_text="Active holds a patron may have at once.")
    hold_pickup_days = serializers.IntegerField(
        help_text="Days a ready hold waits on the hold shelf."
    )
    overdue_blocks = serializers.BooleanField(
        help_text="Whether an overdue loan stops new loans and renewals."
    )
    card_valid_months = serializers.IntegerField(
        help_text="Months a card is extended by when it is renewed (POST "
        "/patrons/{id}/renew-card/)."
    )
    fine_per_day = serializers.DecimalField(
        max_digits=8, decimal_places=2, help_text="Fine per open day late (FINES_ENABLED); 0: none."
    )
    fine_grace_days = serializers.IntegerField(
        help_text="Open days late that cost nothing; past them, every day counts."
    )
    fine_max_per_loan = serializers.DecimalField(
        max_digits=8, decimal_places=2, allow_null=True, help_text="null: no maximum."
    )
    fines_block_at = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        allow_null=True,
        help_text="Fines owed from which a patron may not borrow; null: never.",
    )


class RefusalSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="`patron_blocked`, `card_expired`, `has_overdue_loans` or `max_loans` for a "
        "patron; a checkout's refusals add the copy's (`copy_on_hold_shelf`, `book_held`…)."
    )
    message = serializers.CharField()
    override = serializers.ChoiceField(
        choices=[override.value for override in Override],
        allow_null=True,
        help_text="How a checkout can lend past it: `confirm` (any librarian, after "
        "confirming), `permission` (staff with circulation.override_refusals), null (never).",
    )
    overridable = serializers.BooleanField(help_text="Whether this account may override it.")


LANGUAGE_HELP = (
    "The language of the patron's notices and emails: one of the site's languages "
    "(settings.LANGUAGES, e.g. `en`, `de`); empty for the library's own (LANGUAGE_CODE)."
)


class PatronSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    card_number = serializers.CharField(help_text="What the library card's barcode says.")
    name = serializers.CharField()
    email = serializers.CharField(help_text="Lower case; empty when unknown.")
    phone = serializers.CharField()
    language = serializers.CharField(help_text=LANGUAGE_HELP)
    category = serializers.IntegerField(help_text="Patron category id.")
    expires_on = serializers.DateField(allow_null=True, help_text="Null: the card never expires.")
    blocked = serializers.BooleanField()
    block_reason = serializers.CharField(help_text="Why the card is blocked; empty when not.")
    user = serializers.IntegerField(
        allow_null=True, help_text="Id of the login the patron uses for self-service, or null."
    )
    blocks = RefusalSerializer(
        many=True,
        help_text="Every reason the patron cannot borrow today, before any copy is scanned "
        "(blocked, card expired, overdue loans, at the loan limit); empty: they may borrow.",
    )


class LoanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    patron = serializers.IntegerField(help_text="Patron id.")
    copy = serializers.CharField(help_text="The copy's barcode.")
    book = serializers.IntegerField(help_text="Book id.")
    book_title = serializers.CharField()
    checked_out_at = serializers.DateTimeField()
    due_on = serializers.DateField()
    checked_in_at = serializers.DateTimeField(allow_null=True, help_text="Null while on loan.")
    renewals = serializers.IntegerField(help_text="Times renewed so far.")
    overdue = serializers.BooleanField(help_text="On loan and past its due date today.")
    days_late = serializers.IntegerField(
        allow_null=True, help_text="Set at check-in: days after the due date (0: on time)."
    )


class HoldSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    patron = serializers.IntegerField(help_text="Patron id.")
    book = serializers.IntegerField(help_text="Book id.")
    book_title = serializers.CharField()
    position = serializers.IntegerField(
        allow_null=True,
        help_text="Place in the book's queue (1: next) while waiting; null otherwise.",
    )
    status = serializers.ChoiceField(
        choices=HoldStatus.choices,
        help_text="`waiting` in the queue, `ready` on the hold shelf, then `collected`, "
        "`cancelled` or `expired` (not collected by `pickup_by`).",
    )
    placed_at = serializers.DateTimeField()
    suspended_until = serializers.DateField(
        allow_null=True,
        help_text="A waiting hold keeps its place but is passed over until this day, when it "
        "is active again by itself; null: not suspended.",
    )
    pickup_by = serializers.DateField(
        allow_null=True, help_text="For a ready hold: the last day to collect it."
    )
    copy = serializers.CharField(
        allow_null=True,
        help_text="Barcode of the copy set aside when the hold became ready; null before.",
    )


class CheckinSerializer(serializers.Serializer):
    loan = LoanSerializer(allow_null=True, help_text="The loan closed; null if not on loan.")
    hold = HoldSerializer(
        allow_null=True,
        help_text="The hold the copy is set aside for (put it on the hold shelf); null if none.",
    )
    message = serializers.CharField(help_text="What happened, in a sentence for the desk.")
    copy_found = serializers.BooleanField(
        help_text="The copy was marked lost or missing: the check-in marked it found."
    )


class MeSerializer(serializers.Serializer):
    patron = PatronSerializer()
    loans = LoanSerializer(many=True, help_text="Open loans, soonest due first.")
    holds = HoldSerializer(many=True, help_text="Waiting and ready holds, oldest first.")


def book_circulation_fields() -> dict[str, serializers.Field]:
    """What circulation adds to a book (catalog.extensions), for the book's schema."""
    return {
        "holds_waiting": serializers.IntegerField(help_text="Holds waiting in the book's queue."),
        "can_place_hold": serializers.BooleanField(
            allow_null=True,
            help_text="For a signed-in patron: whether a hold on this book would be accepted "
            "now (not blocked or expired, under the hold limit, not holding or borrowing it "
            "already, and no copy on the shelf unless the library allows holds then). Null "
            "for anonymous visitors and accounts without a patron record.",
        ),
    }


# --- Input -------------------------------------------------------------------------------------


def _default(name: str) -> Any:
    """The model's default, so that the API's defaults cannot drift from it."""
    field = PatronCategory._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field.get_default()


class PatronCategoryInputSerializer(serializers.Serializer):
    """POST and PUT set every field (omitted ones to their default); PATCH the fields sent."""

    name = RuledTextField(rule=CATEGORY_RULES["name"], max_length=100)
    loan_period_days = RuledIntegerField(
        rule=CATEGORY_RULES["loan_period_days"], default=_default("loan_period_days")
    )
    max_loans = RuledIntegerField(rule=CATEGORY_RULES["max_loans"], default=_default("max_loans"))
    max_renewals = RuledIntegerField(
        rule=CATEGORY_RULES["max_renewals"], default=_default("max_renewals")
    )
    max_holds = RuledIntegerField(rule=CATEGORY_RULES["max_holds"], default=_default("max_holds"))
    hold_pickup_days = RuledIntegerField(
        rule=CATEGORY_RULES["hold_pickup_days"], default=_default("hold_pickup_days")
    )
    overdue_blocks = JsonBooleanField(default=_default("overdue_blocks"))
    card_valid_months = RuledIntegerField(
        rule=CATEGORY_RULES["card_valid_months"], default=_default("card_valid_months")
    )
    fine_per_day = MoneyField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("999999.99"),
        default=_default("fine_per_day"),
    )
    fine_grace_days = RuledIntegerField(
        rule=CATEGORY_RULES["fine_grace_days"], default=_default("fine_grace_days")
    )
    fine_max_per_loan = MoneyField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("999999.99"),
        allow_null=True,
        default=None,
    )
    fines_block_at = MoneyField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("999999.99"),
        allow_null=True,
        default=None,
    )


class PatronInputSerializer(serializers.Serializer):
    card_number = RuledTextField(rule=PATRON_RULES["card_number"], max_length=64)
    name = RuledTextField(rule=PATRON_RULES["name"], max_length=255)
    email = RuledTextField(rule=PATRON_RULES["email"], max_length=254, allow_blank=True, default="")
    phone = RuledTextField(rule=PATRON_RULES["phone"], max_length=40, allow_blank=True, default="")
    language = RuledTextField(
        rule=PATRON_RULES["language"],
        max_length=10,
        allow_blank=True,
        default="",
        help_text=LANGUAGE_HELP,
    )
    category = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Patron category id."
    )
    expires_on = serializers.DateField(
        allow_null=True, default=None, help_text="Null: the card never expires."
    )
    username = TextField(
        max_length=150,
        required=False,
        write_only=True,
        help_text="Create a login for self-service with this username (letters, digits and "
        "@.+-_). It has no password: the patron is emailed a link to choose one. Staff with "
        "the permission to issue tokens for others can issue API tokens for it "
        "(POST /api/v1/tokens/ with `user`).",
    )


class PatronUpdateInputSerializer(serializers.Serializer):
    """PATCH: the fields sent change. Blocking needs a reason; unblocking clears it."""

    card_number = RuledTextField(rule=PATRON_RULES["card_number"], max_length=64)
    name = RuledTextField(rule=PATRON_RULES["name"], max_length=255)
    email = RuledTextField(rule=PATRON_RULES["email"], max_length=254, allow_blank=True)
    phone = RuledTextField(rule=PATRON_RULES["phone"], max_length=40, allow_blank=True)
    language = RuledTextField(
        rule=PATRON_RULES["language"], max_length=10, allow_blank=True, help_text=LANGUAGE_HELP
    )
    category = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Patron category id."
    )
    expires_on = serializers.DateField(allow_null=True, help_text="Null: never expires.")
    blocked = JsonBooleanField(help_text="true needs a `block_reason` (sent or already set).")
    block_reason = RuledTextField(
        rule=PATRON_RULES["block_reason"], max_length=255, allow_blank=True
    )


class CheckoutInputSerializer(serializers.Serializer):
    patron = RuledTextField(
        rule=clean_card_number, max_length=64, help_text="The patron's card number, as scanned."
    )
    copy = RuledTextField(
        rule=clean_barcode, max_length=64, help_text="The copy's barcode, as scanned."
    )
    override = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(OVERRIDABLE)),
        max_length=len(OVERRIDABLE),
        required=False,
        default=list,
        help_text="Refusals to lend past, by code, after a refusal listed them in "
        "`error.reasons`: `book_held` (others wait for the book) needs only a confirmation; "
        "`card_expired`, `has_overdue_loans`, `max_loans` and `copy_on_hold_shelf` need the "
        "permission circulation.override_refusals. Each one applied is recorded.",
    )
    override_reason = TextField(
        max_length=200,
        required=False,
        default="",
        allow_blank=True,
        help_text="Why, recorded with the overrides.",
    )


class CheckinInputSerializer(serializers.Serializer):
    copy = RuledTextField(
        rule=clean_barcode, max_length=64, help_text="The copy's barcode, as scanned."
    )


class HoldUpdateInputSerializer(serializers.Serializer):
    suspended_until = serializers.DateField(
        allow_null=True,
        help_text="Suspend a waiting hold until this day (after today, at most a year ahead): "
        "it keeps its place in the queue; null resumes it now.",
    )


class HoldInputSerializer(serializers.Serializer):
    book = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Book id.")
    patron = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="Patron id (staff). Default: the signed-in account's own patron record.",
    )


# --- Fines (settings.FINES_ENABLED) --------------------------------------------------------------


class FineEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    patron = serializers.IntegerField(help_text="Patron id.")
    patron_name = serializers.CharField()
    loan = serializers.IntegerField(allow_null=True, help_text="The loan a charge is for.")
    book_title = serializers.CharField(allow_null=True)
    kind = serializers.ChoiceField(choices=FineKind.choices)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    charge = serializers.IntegerField(allow_null=True, help_text="The charge a waiver waives.")
    waivable = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="What is left to waive of a charge (else 0)."
    )
    note = serializers.CharField()
    created_by_name = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class PaymentSerializer(FineEntrySerializer):
    balance = serializers.DecimalField(
        max_digits=10, decimal_places=2, help_text="What the patron owes after the payment."
    )


class PaymentInputSerializer(serializers.Serializer):
    amount = MoneyField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("100000"),
        help_text="More than 0, at most two decimals, no more than the patron owes.",
    )
    note = TextField(max_length=500, allow_blank=True, default="")


class WaiveInputSerializer(serializers.Serializer):
    note = TextField(max_length=500, allow_blank=True, default="", help_text="Why it is waived.")
