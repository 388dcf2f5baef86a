"""The stocktake pages' forms: types and lengths only (the services apply the rules)."""

from __future__ import annotations

from django import forms


class StartForm(forms.Form):
    name = forms.CharField(
        max_length=200, required=False, help_text="Blank: named after its shelves and the day."
    )
    location = forms.CharField(max_length=100, required=False, help_text="Blank: every location.")
    call_number_from = forms.CharField(max_length=64, required=False, label="Call numbers from")
    call_number_to = forms.CharField(
        max_length=64,
        required=False,
        label="Call numbers to",
        help_text="Includes every call number it begins: 829 takes 829.1 ABC.",
    )


class ScanForm(forms.Form):
    barcode = forms.CharField(max_length=64)
