"""Catalog API serializers.

Output serializers document what the selectors return (the API renders selector rows directly;
tests check every row has exactly these fields); input serializers check types and apply the
catalog's field rules (catalog.rules) before a service is called.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from catalog import rules
from catalog.extensions import book_extensions
from catalog.models import CopyStatus, LoanType
from shelfmark.api.fields import MAX_ID, IdOrNameField, RuledIntegerField, RuledTextField, TextField

# --- Output ------------------------------------------------------------------------------------


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class BookSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    title = serializers.CharField()
    subtitle = serializers.CharField()
    author = serializers.CharField(help_text="All authors as one display string.")
    authors = NamedRefSerializer(many=True, help_text="Authors in title-page order.")
    isbn = serializers.CharField(allow_null=True, help_text="ISBN-13 digits, or null.")
    publisher = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    language = serializers.CharField(help_text="ISO 639 code, or empty.")
    pages = serializers.IntegerField(allow_null=True)
    description = serializers.CharField()
    subjects = NamedRefSerializer(many=True)
    cover = serializers.URLField(
        allow_null=True,
        help_text="The cover image's URL (it changes with the image), or null when none.",
    )
    copies_total = serializers.IntegerField()
    copies_available = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_fields(self) -> dict[str, Any]:
        # What other apps add to a book (catalog.extensions) is documented with the rest.
        fields = super().get_fields()
        for extension in book_extensions():
            fields.update(extension.schema_fields())
        return fields


class AuthorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    name = serializers.CharField()
    sort_name = serializers.CharField()
    book_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class SubjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    name = serializers.CharField()
    book_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class CopySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    barcode = serializers.CharField()
    book = serializers.IntegerField(help_text="Book id.")
    book_title = serializers.CharField()
    call_number = serializers.CharField()
    location = serializers.CharField()
    status = serializers.ChoiceField(choices=CopyStatus.choices)
    loan_type = serializers.ChoiceField(choices=LoanType.choices)
    acquired_on = serializers.DateField(allow_null=True)
    note = serializers.CharField()
    last_seen = serializers.DateField(
        allow_null=True, help_text="The last day a stocktake saw the copy (read only)."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


# --- Input -------------------------------------------------------------------------------------


class BookInputSerializer(serializers.Serializer):
    """Optional fields have defaults: POST and PUT set every field (omitted ones to their
    default), PATCH changes only the fields sent."""

    title = RuledTextField(rule=rules.BOOK_RULES["title"], max_length=500)
    subtitle = RuledTextField(
        rule=rules.BOOK_RULES["subtitle"], max_length=500, allow_blank=True, default=""
    )
    authors = serializers.ListField(
        child=IdOrNameField(),
        max_length=50,
        default=list,
        help_text="Authors in order, each an author id or a name; unknown names are created.",
    )
    author = TextField(
        max_length=255,
        required=False,
        write_only=True,
        help_text="One author's name (the tutorial API's field); use 'authors' for several.",
    )
    isbn = RuledTextField(
        rule=rules.BOOK_RULES["isbn"],
        max_length=20,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text="ISBN-10 or ISBN-13, hyphens and spaces allowed; stored as ISBN-13.",
    )
    publisher = RuledTextField(
        rule=rules.BOOK_RULES["publisher"], max_length=255, allow_blank=True, default=""
    )
    year = RuledIntegerField(rule=rules.BOOK_RULES["year"], allow_null=True, default=None)
    language = RuledTextField(
        rule=rules.BOOK_RULES["language"],
        max_length=3,
        allow_blank=True,
        default="",
        help_text="ISO 639 code: two or three letters, e.g. 'en'.",
    )
    pages = RuledIntegerField(rule=rules.BOOK_RULES["pages"], allow_null=True, default=None)
    description = RuledTextField(
        rule=rules.BOOK_RULES["description"], max_length=20_000, allow_blank=True, default=""
    )
    subjects = serializers.ListField(
        child=IdOrNameField(),
        max_length=50,
        default=list,
        help_text="Subject ids or names; unknown names are created.",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if "author" in data:
            if "authors" in self.initial_data:
                raise serializers.ValidationError(
                    {
                        "author": [
                            _("Send either 'author' (one name) or 'authors' (a list), not both.")
                        ]
                    }
                )
            data["authors"] = [data.pop("author")]
        return data


class AuthorInputSerializer(serializers.Serializer):
    name = RuledTextField(rule=rules.AUTHOR_RULES["name"], max_length=255)
    sort_name = RuledTextField(
        rule=rules.AUTHOR_RULES["sort_name"],
        max_length=255,
        allow_blank=True,
        default="",
        help_text="Default: 'Last, First'.",
    )


class SubjectInputSerializer(serializers.Serializer):
    name = RuledTextField(rule=rules.SUBJECT_RULES["name"], max_length=255)


class CopyInputSerializer(serializers.Serializer):
    barcode = RuledTextField(rule=rules.COPY_RULES["barcode"], max_length=64)
    book = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Book id.")
    call_number = RuledTextField(
        rule=rules.COPY_RULES["call_number"], max_length=64, allow_blank=True, default=""
    )
    location = RuledTextField(
        rule=rules.COPY_RULES["location"], max_length=100, allow_blank=True, default=""
    )
    # No default: a PUT that leaves status out keeps it.
    status = serializers.ChoiceField(
        choices=CopyStatus.choices,
        required=False,
        help_text=(
            "Default on create: available. `on_loan` and `on_hold_shelf` belong to circulation: "
            "they cannot be set here, nor changed while a copy has them (409)."
        ),
    )
    loan_type = serializers.ChoiceField(
        choices=LoanType.choices,
        default=LoanType.NORMAL,
        help_text="`reference`: not for loan. Circulation rules may treat `short` loans apart.",
    )
    acquired_on = serializers.DateField(allow_null=True, default=None)
    note = RuledTextField(
        rule=rules.COPY_RULES["note"], max_length=5_000, allow_blank=True, default=""
    )
