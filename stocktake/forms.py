"""The stocktake pages' forms: types and lengths only (the services apply the rules)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class StartForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        required=False,
        label=_("Name"),
        help_text=_("Blank: named after its shelves and the day."),
    )
    location = forms.CharField(
        max_length=100, required=False, label=_("Location"), help_text=_("Blank: every location.")
    )
    call_number_from = forms.CharField(max_length=64, required=False, label=_("Call numbers from"))
    call_number_to = forms.CharField(
        max_length=64,
        required=False,
        label=_("Call numbers to"),
        help_text=_("Includes every call number it begins: 829 takes 829.1 ABC."),
    )


class ScanForm(forms.Form):
    barcode = forms.CharField(max_length=64, label=_("Barcode"))
