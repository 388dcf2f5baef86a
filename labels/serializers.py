"""The labels API's input: which copies (one source), and how to print them."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from labels.kinds import LabelKind, Symbology
from labels.layouts import layout_names
from labels.selectors import MOST_LABELS
from shelfmark.api.fields import TextField


class LabelRequestSerializer(serializers.Serializer):
    copies = serializers.ListField(
        child=TextField(max_length=64, trim_whitespace=True),
        required=False,
        max_length=MOST_LABELS,
        help_text="Barcodes of the copies, in the order the labels are wanted.",
    )
    import_run = serializers.IntegerField(
        required=False, min_value=1, help_text="The copies a catalog import added (its id)."
    )
    added_since = serializers.DateField(
        required=False, help_text="The copies added on this day or later (YYYY-MM-DD)."
    )
    q = TextField(
        required=False,
        max_length=200,
        help_text="The copies of the books this catalog search finds.",
    )
    layout = TextField(
        required=False,
        default="L7160",
        max_length=20,
        help_text=(
            f"A label sheet ({', '.join(layout_names())}) or a roll printer's label size in "
            "millimetres, roll-WIDTHxHEIGHT (one label a page)."
        ),
    )
    kind = serializers.ChoiceField(
        choices=[kind.value for kind in LabelKind],
        required=False,
        default=LabelKind.BARCODE.value,
        help_text="barcode: the library's name, the barcode and its text, a short title; "
        "spine: the call number on lines, a short title.",
    )
    start_at = serializers.IntegerField(
        required=False,
        default=1,
        min_value=1,
        help_text="The first label's position on a partly used sheet, counted from 1 left to "
        "right, then down.",
    )
    symbology = serializers.ChoiceField(
        choices=[symbology.value for symbology in Symbology],
        required=False,
        default=Symbology.CODE128.value,
        help_text="code128 (any printable ASCII) or code39 (upper-case letters, digits, "
        "- . $ / + %).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["kind"] = LabelKind(attrs["kind"])
        attrs["symbology"] = Symbology(attrs["symbology"])
        return attrs
