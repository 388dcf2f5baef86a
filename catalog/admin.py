"""Admin for the catalog. Its forms apply the services' cleaning rules (ISBN normalization,
names, barcodes, language codes) and book and author saves refresh the search text through the
services, so the same rules hold whichever door a change comes in by. The admin writes rows
itself (inlines need that), so row locks and race handling are the API's and services' alone."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from catalog import services
from catalog.models import Author, Book, BookAuthor, Copy, Subject
from shelfmark.errors import InvalidInput


class BookAdminForm(forms.ModelForm):
    isbn = forms.CharField(
        label="ISBN",
        required=False,
        max_length=20,
        help_text="ISBN-10 or ISBN-13, hyphens allowed; stored as ISBN-13.",
    )

    class Meta:
        model = Book
        fields = [
            "title",
            "subtitle",
            "isbn",
            "publisher",
            "year",
            "language",
            "pages",
            "description",
            "subjects",
        ]

    def clean(self) -> dict:
        data = super().clean()
        given = {name: data[name] for name in services.BOOK_FIELDS if name in data}
        try:
            data.update(services.clean_book_fields(given))
        except InvalidInput as error:
            self.add_error(error.field, error.message)
            return data
        isbn = data.get("isbn")
        if isbn and Book.objects.filter(isbn=isbn).exclude(pk=self.instance.pk).exists():
            self.add_error("isbn", f"Another book already has ISBN {isbn}.")
        return data


class CopyAdminForm(forms.ModelForm):
    class Meta:
        model = Copy
        fields = ["book", "barcode", "call_number", "location", "status", "acquired_on", "note"]

    def clean_barcode(self) -> str:
        try:
            return services.clean_barcode(self.cleaned_data["barcode"])
        except InvalidInput as error:
            raise ValidationError(error.message) from None


class AuthorAdminForm(forms.ModelForm):
    class Meta:
        model = Author
        fields = ["name", "sort_name"]

    def clean(self) -> dict:
        data = super().clean()
        try:
            data["name"] = services.clean_name(data.get("name", ""), field="name")
        except InvalidInput as error:
            self.add_error("name", error.message)
            return data
        data["sort_name"] = data.get("sort_name", "").strip() or services.sort_name_for(
            data["name"]
        )
        return data


class BookAuthorInline(admin.TabularInline):
    model = BookAuthor
    extra = 1
    autocomplete_fields = ["author"]
    ordering = ["position"]


class CopyInline(admin.TabularInline):
    model = Copy
    form = CopyAdminForm
    extra = 1
    fields = ["barcode", "call_number", "location", "status", "acquired_on", "note"]


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

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        # Authors are edited inline, so the search text can only be rebuilt after the inlines.
        services.book_update(book=form.instance)


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    form = AuthorAdminForm
    list_display = ["name", "sort_name", "created_at"]
    search_fields = ["name", "sort_name"]
    list_filter = ["created_at"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        # Through the service, from the stored row, so that a rename reaches the search text
        # of the author's books.
        stored = Author.objects.get(pk=obj.pk)
        services.author_update(author=stored, name=obj.name, sort_name=obj.sort_name)


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
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
