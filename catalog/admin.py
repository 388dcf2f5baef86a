"""Admin for the catalog. Saves go through catalog.services so the same rules hold (ISBN
normalization, duplicate checks, the search text) whichever door a change comes in by."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from catalog import services
from catalog.isbn import IsbnError, normalize_isbn
from catalog.models import Author, Book, BookAuthor, Copy, Subject


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

    def clean_isbn(self) -> str | None:
        raw = self.cleaned_data["isbn"].strip()
        if not raw:
            return None
        try:
            isbn = normalize_isbn(raw)
        except IsbnError as error:
            raise ValidationError(str(error)) from None
        if Book.objects.filter(isbn=isbn).exclude(pk=self.instance.pk).exists():
            raise ValidationError(f"Another book already has ISBN {isbn}.")
        return isbn


class BookAuthorInline(admin.TabularInline):
    model = BookAuthor
    extra = 1
    autocomplete_fields = ["author"]
    ordering = ["position"]


class CopyInline(admin.TabularInline):
    model = Copy
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
    list_display = ["barcode", "book", "call_number", "location", "status", "acquired_on"]
    list_filter = ["status", "location", "acquired_on"]
    search_fields = ["barcode", "call_number", "book__title", "book__isbn"]
    autocomplete_fields = ["book"]
    list_select_related = ["book"]
    show_full_result_count = False
