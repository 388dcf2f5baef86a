"""API tokens: list, issue and revoke (never read back or edited: the key is shown once)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.filters import TokenFilter
from accounts.models import ApiToken
from accounts.selectors import TOKEN_ROWS, token_list
from accounts.services import token_issue, token_revoke
from shelfmark.api.fields import MAX_ID, TextField
from shelfmark.api.views import CreateMixin, DestroyMixin, ListMixin, ResourceApi

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class ApiTokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    user = serializers.IntegerField()
    username = serializers.CharField()
    key_hint = serializers.CharField(help_text="First characters of the key.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(help_text="The secret key. Shown only in this response.")


class ApiTokenCreateSerializer(serializers.Serializer):
    name = TextField(max_length=100)
    expires_in_days = serializers.IntegerField(
        min_value=1,
        max_value=3650,
        required=False,
        help_text="Omit for a token that never expires.",
    )
    user = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Staff only: issue for this user."
    )


class TokenApi(ResourceApi):
    """Any signed-in user (the project default permission); each sees their own tokens, staff
    everyone's."""

    row_shape = TOKEN_ROWS
    serializer_class = ApiTokenSerializer
    input_serializer_class = ApiTokenCreateSerializer
    not_found_message = "No such token (or not yours)."

    def get_scope(self) -> QuerySet[ApiToken]:
        return token_list(actor=self.request.user)

    def actor(self) -> User:
        """The signed-in user who writes: these views keep the default IsAuthenticated."""
        user = self.request.user
        if isinstance(user, AnonymousUser):  # not reached behind IsAuthenticated
            raise exceptions.NotAuthenticated()
        return user


@extend_schema_view(post=extend_schema(responses={201: ApiTokenCreatedSerializer}))
class ApiTokenListCreateApi(ListMixin, CreateMixin, TokenApi):
    """Your API tokens (staff see everyone's; filter with `?user=`). POST issues a new token;
    the response carries its key, which is never shown again."""

    filterset_class = TokenFilter
    ordering_fields = {"created": ("created_at", "id")}
    ordering_default = "-created"

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated_input()
        days = data.get("expires_in_days")
        token, key = token_issue(
            actor=self.actor(),
            user_id=data.get("user"),
            name=data["name"],
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        response = self.row_response(token, status.HTTP_201_CREATED)
        response.data["key"] = key
        return response


class ApiTokenDetailApi(DestroyMixin, TokenApi):
    """Revoke a token: yours, or anyone's for staff."""

    def delete_object(self, obj: ApiToken) -> None:
        token_revoke(token=obj, actor=self.actor())
