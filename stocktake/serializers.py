"""The stocktakes API's rows and input."""

from __future__ import annotations

from rest_framework import serializers

from shelfmark.api.fields import TextField
from stocktake.models import ScanOutcome, StocktakeStatus


class StocktakeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    name = serializers.CharField()
    location = serializers.CharField(help_text="The location counted; blank: every location.")
    call_number_from = serializers.CharField(help_text="Blank: from the first call number.")
    call_number_to = serializers.CharField(
        help_text="Blank: to the last; otherwise it includes every call number it begins."
    )
    status = serializers.ChoiceField(choices=StocktakeStatus.choices)
    started_by_name = serializers.CharField(allow_null=True)
    started_at = serializers.DateTimeField()
    closed_by_name = serializers.CharField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    missing_marked_at = serializers.DateTimeField(allow_null=True)
    missing_marked = serializers.IntegerField(help_text="Copies marked missing at its end.")
    scans = serializers.IntegerField()
    seen = serializers.IntegerField(help_text="Different copies seen.")
    surprises = serializers.IntegerField(
        help_text="Scans that found something to look at: unknown, on loan, elsewhere…"
    )


class StocktakeDetailSerializer(StocktakeSerializer):
    expected = serializers.IntegerField(
        help_text="Copies on its shelves that should be there (available)."
    )
    not_seen = serializers.IntegerField(help_text="Expected copies no scan has seen yet.")


class StocktakeInputSerializer(serializers.Serializer):
    name = TextField(
        max_length=200,
        required=False,
        default="",
        allow_blank=True,
        help_text="Blank: named after its shelves and the day.",
    )
    location = TextField(max_length=100, required=False, default="", allow_blank=True)
    call_number_from = TextField(max_length=64, required=False, default="", allow_blank=True)
    call_number_to = TextField(max_length=64, required=False, default="", allow_blank=True)


class ScanInputSerializer(serializers.Serializer):
    barcode = TextField(max_length=64, trim_whitespace=True)


class ScanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    barcode = serializers.CharField()
    outcome = serializers.ChoiceField(choices=ScanOutcome.choices)
    surprise = serializers.BooleanField(help_text="Whether someone should look at the copy.")
    message = serializers.CharField(help_text="What the scan found, for the person scanning.")
    copy = serializers.IntegerField(allow_null=True, help_text="Copy id; null when unknown.")
    copy_status = serializers.CharField(help_text="The copy's status when scanned.")
    book_title = serializers.CharField()
    scanned_at = serializers.DateTimeField()


class NotSeenCopySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    barcode = serializers.CharField()
    book = serializers.IntegerField()
    book_title = serializers.CharField()
    call_number = serializers.CharField()
    location = serializers.CharField()
    last_seen = serializers.DateField(allow_null=True)


class CloseSerializer(serializers.Serializer):
    stocktake = StocktakeDetailSerializer()
    not_seen = NotSeenCopySerializer(many=True)


class MarkMissingSerializer(serializers.Serializer):
    stocktake = StocktakeDetailSerializer()
    marked = serializers.IntegerField(help_text="Copies marked missing by this request.")
