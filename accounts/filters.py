"""Query-string filters for the token list."""

from __future__ import annotations

import re
from typing import Any

import django_filters as filters
from django import forms
from django.db.models import QuerySet

from accounts.models import ApiToken
from shelfmark.api.fields import ID_PATTERN
from shelfmark.api.permissions import is_staff


class UserIdField(forms.Field):
    """A user id: ASCII digits only (str.isdigit() accepts "²", which int() refuses), and an
    empty value is an error too rather than "no filter"."""

    default_error_messages = {"invalid": "'user' must be a user id."}

    def clean(self, value: Any) -> int | None:
        if value is None:
            return None
        if not isinstance(value, str) or not re.fullmatch(ID_PATTERN, value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(value)


class UserIdFilter(filters.Filter):
    field_class = UserIdField


class TokenFilter(filters.FilterSet):
    user = UserIdFilter(method="filter_user", help_text="Staff only: one user's tokens.")

    class Meta:
        model = ApiToken
        fields: list[str] = []

    def filter_user(self, tokens: QuerySet[ApiToken], name: str, value: int) -> QuerySet[ApiToken]:
        # Staff pick one user's tokens; anyone else sees only their own whatever they ask.
        assert self.request is not None  # the API's filter backend always passes it
        return tokens.filter(user_id=value) if is_staff(self.request.user) else tokens
