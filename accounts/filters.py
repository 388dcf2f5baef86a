"""Query-string filters for the token list."""

from __future__ import annotations

import re
from typing import Any

import django_filters as filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken
from accounts.selectors import VIEW_OTHERS_PERMISSION, token_list_check
from shelfmark.api.fields import ID_PATTERN


class UserIdField(forms.Field):
    """A user id: ASCII digits only (str.isdigit() accepts "²", which int() refuses), and an
    empty value is an error too rather than "no filter"."""

    default_error_messages = {"invalid": _("'user' must be a user id.")}

    def clean(self, value: Any) -> int | None:
        if value is None:
            return None
        if not isinstance(value, str) or not re.fullmatch(ID_PATTERN, value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(value)


class UserIdFilter(filters.Filter):
    field_class = UserIdField


class TokenFilter(filters.FilterSet):
    user = UserIdFilter(
        method="filter_user",
        help_text=f"One user's tokens: another user's need {VIEW_OTHERS_PERMISSION} (403).",
    )

    class Meta:
        model = ApiToken
        fields: list[str] = []

    def filter_user(self, tokens: QuerySet[ApiToken], name: str, value: int) -> QuerySet[ApiToken]:
        # ``tokens`` is already the actor's scope (token_list); asking for another user's
        # tokens without the permission is a 403, not a quietly different list.
        assert self.request is not None  # the API's filter backend always passes it
        token_list_check(actor=self.request.user, user_id=value)
        return tokens.filter(user_id=value)
