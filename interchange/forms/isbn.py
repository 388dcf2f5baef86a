"""The "Add by ISBN" page's forms: types and lengths only; the catalog's services apply the
field rules and their messages come back onto the fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import YEAR_MAX, YEAR_MIN


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class CopyForm(forms.Form):
    barcode = forms.CharField(label=_("Barcode"), max_length=64, required=False)
    call_number = forms.CharField(label=_("Call number"), max_length=64, required=False)
    location = forms.CharField(label=_("Location"), max_length=100, required=False)

    def copy_fields(self) -> dict[str, str] | None:
        """The first copy's fields, or None when no barcode was given (no copy)."""
        data = self.cleaned_data
        if not data.get("barcode"):
            return None
        return {name: data.get(name) or "" for name in ("barcode", "call_number", "location")}


class BookForm(CopyForm):
    isbn = forms.CharField(label=_("ISBN"), max_length=20, widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=500)
    subtitle = forms.CharField(label=_("Subtitle"), max_length=500, required=False)
    authors = forms.CharField(
        label=_("Authors"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("One name a line."),
    )
    publisher = forms.CharField(label=_("Publisher"), max_length=255, required=False)
    year = forms.IntegerField(
        label=_("Year"), min_value=YEAR_MIN, max_value=YEAR_MAX, required=False
    )
    language = forms.CharField(
        label=_("Language"),
        max_length=3,
        required=False,
        help_text=_("ISO 639 code, e.g. en, fr, de."),
    )
    pages = forms.IntegerField(label=_("Pages"), min_value=1, max_value=100_000, required=False)
    subjects = forms.CharField(
        label=_("Subjects"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("One a line."),
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20_000,
        required=False,
    )
    cover_url = forms.CharField(
        label=_("Cover URL"), max_length=500, required=False, widget=forms.HiddenInput
    )

    def focus_first_field(self) -> None:
        """Autofocus the first field with an error, else the title: the page opens ready to
        type (the ISBN field has the focus only while no book form is shown)."""
        first = next((name for name in self.errors if name in self.fields), "title")
        if self.fields[first].widget.is_hidden:  # the ISBN: its message is at the top
            first = "title"
        self.fields[first].widget.attrs["autofocus"] = True

    def book_fields(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "subtitle": data.get("subtitle") or "",
            "isbn": data["isbn"],
            "publisher": data.get("publisher") or "",
            "year": data.get("year"),
            "language": data.get("language") or "",
            "pages": data.get("pages"),
            "description": data.get("description") or "",
        }

    def authors_list(self) -> list[str]:
        return _lines(self.cleaned_data.get("authors") or "")

    def subjects_list(self) -> list[str]:
        return _lines(self.cleaned_data.get("subjects") or "")
