"""Admin for the catalog. Its forms apply the catalog's field rules (catalog.rules) and the
services' checks (ISBN in use, who owns a copy's status), and book and author saves refresh the
search text through the services, so the same rules and messages hold whichever door a change
comes in by. The admin writes rows itself (inlines need that), so row locks and race handling
are the API's and services' alone."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from catalog import rules, services
from catalog.models import Author, Book, BookAuthor, Copy, Subject
from catalog.services.books import book_isbn_check
from catalog.services.copies import copy_status_check
from shelfmark.errors import DomainError, RuleError


def _apply_rules(form: forms.ModelForm, field_rules: Mapping[str, rules.Rule]) -> None:
    """Clean the form's values with the domain's rules, each problem on its own field."""
    data = form.cleaned_data
    try:
        data.update(
            rules.clean_fields(
                field_rules, {name: data[name] for name in field_rules if name in data}
            )
        )
    except DomainError as error:
        _add_domain_error(form, error)


def _add_domain_error(form: forms.ModelForm, error: DomainError) -> None:
    field_errors = error.as_field_errors()
    if not field_errors:
        form.add_error(None, error.message)
        return
    for field, messages in field_errors.items():
        for message in messages:
            form.add_error(field, message)


class BookAdminForm(forms.ModelForm):
    isbn = forms.CharField(
        label=_("ISBN"),
        required=False,
        max_length=20,
        help_text=_("ISBN-10 or ISBN-13, hyphens allowed; stored as ISBN-13."),
    )

    class Meta:
        model = Book
        fields = [*rules.BOOK_RULES, "subjects", "cover"]
        # The labels the model's field names give, in the visitor's language (the model's
        # fields have no verbose names of their own: adding them would be a migration).
        labels = {
            "title": _("Title"),
            "subtitle": _("Subtitle"),
            "publisher": _("Publisher"),
            "year": _("Publication year"),
            "language": _("Language"),
            "pages": _("Page count"),
            "description": _("Description"),
            "subjects": _("Subjects"),
            "cover": _("Cover"),
        }

    def clean_cover(self) -> Any:
        """An uploaded cover meets the rule the services apply (format, size, not a placeholder)
        and is stored under a name made of its content, with its real format's extension: the
        cover view's content type and the URL's version both come from the name."""
        cover = self.cleaned_data.get("cover")
        if not isinstance(cover, UploadedFile):  # unchanged, or cleared
            return cover
        cover.seek(0)
        try:
            image = rules.clean_cover(cover.read())
        except RuleError as error:
            raise forms.ValidationError(str(error)) from None
        cover.seek(0)
        cover.name = f"{hashlib.sha256(image.content).hexdigest()[:16]}.{image.extension}"
        return cover

    def clean(self) -> dict[str, Any]:
        super().clean()
        _apply_rules(self, rules.BOOK_RULES)
        if not self.has_error("isbn"):
            try:
                book_isbn_check(self.cleaned_data.get("isbn"), exclude_pk=self.instance.pk)
            except DomainError as error:
                _add_domain_error(self, error)
        return self.cleaned_data


class CopyAdminForm(forms.ModelForm):
    class Meta:
        model = Copy
        fields = ["book", *rules.COPY_RULES, "status"]
        labels = {
            "book": _("Book"),
            "barcode": _("Barcode"),
            "call_number": _("Call number"),
            "location": _("Location"),
            "loan_type": _("Loan type"),
            "acquired_on": _("Acquired on"),
            "note": _("Note"),
            "status": _("Status"),
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        _apply_rules(self, rules.COPY_RULES)
        status = self.cleaned_data.get("status")
        current = self.instance.status if self.instance.pk else None
        if status and status != current:
            try:
                copy_status_check(status, current=current)
            except DomainError as error:
                _add_domain_error(self, error)
        return self.cleaned_data


class AuthorAdminForm(forms.ModelForm):
    class Meta:
        model = Author
        fields = list(rules.AUTHOR_RULES)
        labels = {"name": _("Name"), "sort_name": _("Sort name")}

    def clean(self) -> dict[str, Any]:
        super().clean()
        _apply_rules(self, rules.AUTHOR_RULES)
        data = self.cleaned_data
        if "name" in data and not data.get("sort_name"):
            data["sort_name"] = rules.sort_name_for(data["name"])
        return data


class SubjectAdminForm(forms.ModelForm):
    class Meta:
        model = Subject
        fields = list(rules.SUBJECT_RULES)
        labels = {"name": _("Name")}

    def clean(self) -> dict[str, Any]:
        super().clean()
        _apply_rules(self, rules.SUBJECT_RULES)
        return self.cleaned_data


class NamedInlineFormSet(BaseInlineFormSet):
    """Each row's "Delete" box named for screen readers (the table's header names it only for
    the eye)."""

    def add_fields(self, form: Any, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].widget.attrs.setdefault("aria-label", _("Delete"))


class NamedTabularInline(admin.TabularInline):
    """A tabular inline whose fields carry their column's name (``aria-label``). Django's table
    shows the names as column headers and gives the fields in the cells no label, so a screen
    reader met a book's copies as a row of nameless fields and selects (axe-core: "Form elements
    must have labels"; shelfmark/tests/browser/test_admin_pages.py)."""

    formset = NamedInlineFormSet

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        for name, field in formset.form.base_fields.items():
            field.widget.attrs.setdefault("aria-label", str(field.label or name))
        return formset


class BookAuthorInline(NamedTabularInline):
    """A book's authors in title-page order: the order of the rows. Positions are not typed in
    (two new rows would both default to 0); BookAdmin.save_related hands the order to the
    service, which numbers them."""

    model = BookAuthor
    fields = ["author"]
    extra = 1
    autocomplete_fields = ["author"]
    ordering = ["position"]


class CopyInline(NamedTabularInline):
    model = Copy
    form = CopyAdminForm
    extra = 1
    fields = tuple(CopyAdminForm.Meta.fields[1:])  # all but the book, which is the page's


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    form = BookAdminForm
    list_display = ["title", "subtitle", "isbn", "publisher", "year", "language"]
    list_filter = ["language", "subjects", "created_at"]
    search_fields = ["title", "subtitle", "isbn", "book_authors__author__name"]
    filter_horizontal = ["subjects"]
    inlines = [BookAuthorInline, CopyInline]
    readonly_fields = ["created_at", "updated_at"]
    show_full_result_count = False  # no COUNT(*) over a large catalog on every page

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        form.save_m2m()
        authors: list[int] | None = None
        for formset in formsets:
            if formset.model is BookAuthor:
                # Not saved row by row: the service writes the links, numbered by row order.
                formset.save(commit=False)  # what the change message reads
                authors = [
                    row.cleaned_data["author"].pk
                    for row in formset.forms
                    if row.cleaned_data.get("author") and not row.cleaned_data.get("DELETE")
                ]
            else:
                self.save_formset(request, form, formset, change=change)
        # After the inlines: the search text depends on the authors.
        services.book_update(book=form.instance, authors=authors)


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    form = AuthorAdminForm
    list_display = ["name", "sort_name", "created_at"]
    search_fields = ["name", "sort_name"]
    list_filter = ["created_at"]

    def save_model(self, request: HttpRequest, obj: Author, form: Any, change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Through the service, from the stored row, so that a rename reaches the search text
        # of the author's books.
        stored = Author.objects.get(pk=obj.pk)
        services.author_update(author=stored, name=obj.name, sort_name=obj.sort_name)


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    form = SubjectAdminForm
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    list_filter = ["created_at"]


@admin.register(Copy)
class CopyAdmin(admin.ModelAdmin):
    form = CopyAdminForm
    list_display = ["barcode", "book", "call_number", "location", "status", "acquired_on"]
    list_filter = ["status", "location", "acquired_on"]
    search_fields = ["barcode", "call_number", "book__title", "book__isbn"]
    autocomplete_fields = ["book"]
    list_select_related = ["book"]
    show_full_result_count = False
