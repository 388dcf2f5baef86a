"""The copy cataloguing page's forms: a search (by ISBN, title or author, in the targets
ticked) and "Use this record" (the record, signed by the page that showed it, and a barcode)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from interchange.services.isbn import isbn_normalize
from protocols.copycat.targets import SEARCH_BY_LABELS, SearchBy, Target, configured_targets
from shelfmark.errors import InvalidInput

# A found record travels to "Use this record" inside the page, signed with the site's secret:
# no state kept between the search and the import, and no record the page did not show (an
# edited one fails the signature). Compressed: a MARCXML record is mostly repeated tags.
RECORD_SALT = "protocols.copycat.record"
RECORD_MAX_AGE = 6 * 60 * 60  # a page left open over lunch still works; yesterday's does not


def record_token(target: Target, marcxml: bytes) -> str:
    # Where it came from, as a file's name would say it (the import run's "file"), the same in
    # every language: "Library of Congress (SRU)".
    source = f"{target.name} ({'Z39.50' if target.protocol == 'z3950' else 'SRU'})"
    return signing.dumps(
        {"target": source, "marcxml": marcxml.decode("utf-8")},
        salt=RECORD_SALT,
        compress=True,
    )


class SearchForm(forms.Form):
    search_by = forms.ChoiceField(
        label=_("Search by"),
        choices=list(SEARCH_BY_LABELS.items()),
        initial=SearchBy.ISBN,
        widget=forms.RadioSelect,
    )
    term = forms.CharField(label=_("Search for"), max_length=200)
    targets = forms.MultipleChoiceField(
        label=_("Catalogs"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one catalog to search.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.available = configured_targets()
        field = self.fields["targets"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(target.key, target.name) for target in self.available]
        field.initial = [target.key for target in self.available]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        term = (data.get("term") or "").strip()
        if data.get("search_by") == SearchBy.ISBN and term:
            try:
                # ISBN-13 digits: what the catalogs index, however it was typed or scanned.
                data["term"] = isbn_normalize(term)
            except InvalidInput as error:
                self.add_error("term", error.message)
        return data

    def chosen_targets(self) -> list[Target]:
        keys = set(self.cleaned_data["targets"])
        return [target for target in self.available if target.key in keys]


class UseRecordForm(forms.Form):
    record = forms.CharField(widget=forms.HiddenInput)
    barcode = forms.CharField(
        label=_("Barcode of our copy"),
        max_length=64,
        required=False,
        help_text=_("Optional: scan the copy's barcode to add the copy with the book."),
    )
    # The search to come back to (its query string), when the record cannot be used.
    back = forms.CharField(widget=forms.HiddenInput, required=False, max_length=1000)

    def clean_record(self) -> dict[str, str]:
        try:
            record = signing.loads(
                self.cleaned_data["record"], salt=RECORD_SALT, max_age=RECORD_MAX_AGE
            )
        except signing.SignatureExpired:
            raise forms.ValidationError(
                _("This search result is too old to use; search again.")
            ) from None
        except signing.BadSignature:
            raise forms.ValidationError(
                _("This search result could not be read; search again.")
            ) from None
        if not isinstance(record, dict) or not {"target", "marcxml"} <= set(record):
            raise forms.ValidationError(_("This search result could not be read; search again."))
        return record
