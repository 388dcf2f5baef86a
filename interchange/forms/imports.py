"""The staff website's import form: the file and how to read it. A file the readers refuse as a
whole is refused here, with the reader's own message, before anything is stored or queued."""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.services.bulk import DEFAULT_PREFIX, barcodes_option
from interchange.formats import FORMATS
from interchange.models import ImportKind
from interchange.records import SourceError
from interchange.services.uploads import import_source_check

FORMAT_LABELS = {
    "csv": gettext_lazy("CSV or spreadsheet text (any columns with a title column)"),
    "goodreads": gettext_lazy("Goodreads export"),
    "librarything": gettext_lazy("LibraryThing export"),
    "libib": gettext_lazy("Libib export"),
    "storygraph": gettext_lazy("StoryGraph export"),
    "calibre": gettext_lazy("Calibre catalog (CSV)"),
    "openreads": gettext_lazy("Openreads export (CSV)"),
    "bookwyrm": gettext_lazy("BookWyrm export (CSV)"),
    "marc": gettext_lazy("MARC 21 (binary, .mrc)"),
    "marcxml": "MARCXML",
    "json": gettext_lazy("Shelfmark JSON export"),
}
FORMAT_CHOICES = [
    ("auto", gettext_lazy("Recognise it from the file (recommended)")),
    *((name, FORMAT_LABELS.get(name, name)) for name in FORMATS),
]
ON_DUPLICATE_CHOICES = [
    ("skip", gettext_lazy("Leave them as they are (new copies are still added)")),
    ("update", gettext_lazy("Fill in their details from the file (its non-empty values win)")),
]
BARCODES_CHOICES = [
    ("", gettext_lazy("Make no copy; list them in the report")),
    ("generate", gettext_lazy("Make copies with new barcodes")),
]
MEGABYTE = 1024 * 1024


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What the file holds"),
        choices=ImportKind.choices,
        widget=forms.RadioSelect,
    )
    # The file's help text names the size limit: set per form (``__init__``).
    file = forms.FileField(label=gettext_lazy("File"))
    format = forms.ChoiceField(label=gettext_lazy("Format"), choices=FORMAT_CHOICES, initial="auto")
    encoding = forms.CharField(
        label=gettext_lazy("Text encoding"),
        required=False,
        max_length=40,
        help_text=gettext_lazy(
            "Leave empty to detect it. If accents come out wrong in the preview, try "
            "cp1252 (Excel on Windows), latin-1 or utf-16."
        ),
    )
    on_duplicate = forms.ChoiceField(
        label=gettext_lazy("Books already in the catalog"),
        choices=ON_DUPLICATE_CHOICES,
        initial="skip",
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "A book is already there when its ISBN matches, or (without ISBNs) its "
            "title, subtitle and authors do, and its year and publisher where both have one; "
            "one that only may be is added and reported as a possible duplicate. Never changes "
            "an ISBN. A patron is there when their card number matches."
        ),
    )
    barcodes = forms.ChoiceField(
        label=gettext_lazy("Holdings without a barcode (a call number or location only)"),
        choices=BARCODES_CHOICES,
        initial="",
        required=False,
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Books come in either way. New barcodes are the prefix and a six-digit number, "
            "after the highest the catalog has; importing the file again makes none twice."
        ),
    )
    # Its help text names the default prefix: set per form (``__init__``).
    barcode_prefix = forms.CharField(
        label=gettext_lazy("Prefix of new barcodes"), required=False, max_length=40
    )

    def __init__(self, *args: Any, kinds: Sequence[str], max_megabytes: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.max_megabytes = max_megabytes
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)
        # Only the kinds this account may import.
        kind_field.choices = [
            (value, label) for value, label in ImportKind.choices if value in kinds
        ]
        kind_field.initial = kinds[0] if kinds else None
        self.fields["file"].help_text = _(
            "CSV or tab-separated text, an export of Goodreads, LibraryThing, Libib, "
            "StoryGraph, Calibre, Openreads or BookWyrm, MARC, MARCXML or Shelfmark's JSON "
            "export. At most %(megabytes)s MB."
        ) % {"megabytes": max_megabytes}
        self.fields["barcode_prefix"].help_text = _(
            "Letters, digits and hyphens; %(prefix)s when left empty."
        ) % {"prefix": DEFAULT_PREFIX}

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        if (upload.size or 0) > self.max_megabytes * MEGABYTE:
            raise forms.ValidationError(too_big_message(upload.size or 0, self.max_megabytes))
        return upload

    def clean_encoding(self) -> str:
        encoding: str = self.cleaned_data["encoding"].strip()
        if encoding:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise forms.ValidationError(
                    _(
                        "'%(encoding)s' is not a text encoding Shelfmark knows. Leave the field "
                        "empty to detect it, or use e.g. utf-8, cp1252, latin-1 or utf-16."
                    )
                    % {"encoding": encoding}
                ) from None
        return encoding

    def clean_barcode_prefix(self) -> str:
        prefix: str = self.cleaned_data["barcode_prefix"].strip()
        return prefix

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        # Kept as the command's --barcodes keeps it ("" or "generate:PREFIX"): one rule for both.
        if data.get("barcodes") == "generate":
            prefix = data.get("barcode_prefix", "")
            try:
                data["barcodes"] = barcodes_option(f"generate:{prefix}" if prefix else "generate")
            except ValueError as error:
                self.add_error("barcode_prefix", str(error))
        else:
            data["barcodes"] = ""
        upload: UploadedFile | None = data.get("file")
        if upload is None or self.errors:
            return data
        # The reader reads the file's start (format, encoding, header row, first record) and
        # refuses a file it cannot read at all; problems further in are the preview's to list.
        try:
            import_source_check(
                upload,  # type: ignore[arg-type]  # an UploadedFile reads like a binary file
                kind=data["kind"],
                format=data["format"],
                encoding=data["encoding"] or None,
                size=upload.size,
            )
        except SourceError as error:
            self.add_error("file", str(error))
        finally:
            upload.seek(0)
        return data


def too_big_message(size: int, max_megabytes: int) -> str:
    return _(
        "The file is %(size)s MB; the website takes files of up to %(megabytes)s MB. Split it "
        "into smaller files, or ask the administrator to import it with manage.py "
        "import_catalog (or to raise IMPORT_MAX_UPLOAD_MB)."
    ) % {
        "size": number_format(size / MEGABYTE, decimal_pos=1, force_grouping=True),
        "megabytes": max_megabytes,
    }
