"""The staff labels page's form: which copies (one way, chosen with a radio button), the
layout, the kind, the start position and the symbology. Types and lengths only: what the
copies and the labels allow is checked by labels.printing, whose messages the page shows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from labels.kinds import LabelKind, Symbology
from labels.layouts import ROLLS, SHEETS
from labels.printing import LabelRequest

SOURCE_CHOICES = [
    ("added_since", gettext_lazy("Copies added since a day")),
    ("import_run", gettext_lazy("Copies an import added")),
    ("copies", gettext_lazy("These barcodes")),
    ("q", gettext_lazy("Copies of the books a search finds")),
]


class LabelForm(forms.Form):
    source = forms.ChoiceField(
        choices=SOURCE_CHOICES,
        widget=forms.RadioSelect,
        initial="added_since",
        label=gettext_lazy("Copies"),
    )
    added_since = forms.DateField(
        required=False,
        label=gettext_lazy("Added on or after"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    import_run = forms.TypedChoiceField(coerce=int, required=False, label=gettext_lazy("Import"))
    copies = forms.CharField(
        required=False,
        label=gettext_lazy("Barcodes"),
        widget=forms.Textarea(
            attrs={"rows": 5, "spellcheck": "false", "autocomplete": "off", "data-camera": True}
        ),
        help_text=gettext_lazy(
            "Scan or type them, one a line (or separated by spaces), in the order wanted."
        ),
    )
    q = forms.CharField(required=False, max_length=200, label=gettext_lazy("Search"))
    layout = forms.ChoiceField(
        choices=[(name, sheet.title) for name, sheet in SHEETS.items()] + list(ROLLS.items()),
        initial="L7160",
        label=gettext_lazy("Labels"),
    )
    kind = forms.ChoiceField(
        choices=[
            (LabelKind.BARCODE.value, gettext_lazy("Barcode labels")),
            (LabelKind.SPINE.value, gettext_lazy("Spine labels (call number)")),
        ],
        widget=forms.RadioSelect,
        initial=LabelKind.BARCODE.value,
        label=gettext_lazy("Kind"),
    )
    start_at = forms.IntegerField(
        min_value=1,
        initial=1,
        label=gettext_lazy("Start at label"),
        help_text=gettext_lazy(
            "On a partly used sheet: the first free label, counted left to right, then down."
        ),
    )
    symbology = forms.ChoiceField(
        choices=[(Symbology.CODE128.value, "Code 128"), (Symbology.CODE39.value, "Code 39")],
        initial=Symbology.CODE128.value,
        label=gettext_lazy("Barcode type"),
        help_text=gettext_lazy("Code 128 unless your scanners read only Code 39."),
    )

    def __init__(self, *args: Any, import_runs: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["import_run"].choices = [("", "—"), *import_runs]  # type: ignore[attr-defined]  # a ChoiceField's choices, which the stubs type on the widget only
        self.fields["added_since"].initial = timezone.localdate()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        source = data.get("source")
        if source and not data.get(source):
            self.add_error(source, _("Fill this in, or choose another way to pick the copies."))
        return data

    def label_request(self) -> LabelRequest:
        data = self.cleaned_data
        source = data["source"]
        value = data[source]
        return LabelRequest(
            **{source: value.split() if source == "copies" else value},
            layout=data["layout"],
            kind=LabelKind(data["kind"]),
            start_at=data["start_at"],
            symbology=Symbology(data["symbology"]),
        )
