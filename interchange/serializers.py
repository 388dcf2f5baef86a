"""Interchange API serializers: they document the answers (the views render plain dicts)."""

from __future__ import annotations

from rest_framework import serializers

from catalog.serializers import CopySerializer
from interchange.services.isbn import Source


class IsbnLookupSerializer(serializers.Serializer):
    isbn = serializers.CharField(help_text="The ISBN asked about, as ISBN-13 digits.")
    # DRF's serializer metaclass takes declared fields off the class, so this field does not
    # replace Field.source; the stubs cannot know that.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=[(source.value, source.value) for source in Source],
        help_text=(
            "`catalog`: the library has the book (`book`, `copies`); `openlibrary`: Open Library "
            "knows it (the details below, to confirm and add); `none`: neither (see `reason`)."
        ),
    )
    book = serializers.IntegerField(allow_null=True, help_text="The catalog's book id, or null.")
    book_url = serializers.URLField(allow_null=True, help_text="The catalog book's API URL.")
    title = serializers.CharField()
    subtitle = serializers.CharField()
    authors = serializers.ListField(child=serializers.CharField(), help_text="Names, in order.")
    publisher = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    language = serializers.CharField(help_text="ISO 639 code (639-1 where there is one), or ''.")
    pages = serializers.IntegerField(allow_null=True)
    subjects = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    cover_url = serializers.URLField(
        allow_null=True,
        help_text="The catalog's cover, or Open Library's (large) for a book found there; null.",
    )
    copies = CopySerializer(many=True, help_text="The catalog book's copies ([] otherwise).")
    reason = serializers.ChoiceField(
        choices=[("", ""), ("not_found", "not_found"), ("unavailable", "unavailable")],
        help_text=(
            "Why `source` is `none`: `not_found` (Open Library does not know the ISBN) or "
            "`unavailable` (Open Library could not be asked; try again later). '' otherwise."
        ),
    )
    message = serializers.CharField(help_text="What happened, for a person ('' when found).")
