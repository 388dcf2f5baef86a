"""API tokens: list, issue and revoke (never read back or edited: the key is shown once)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.filters import TokenFilter
from accounts.models import ApiToken
from accounts.selectors import TOKEN_ROWS, token_list, tokens_to_revoke
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
    created_by = serializers.IntegerField(
        allow_null=True,
        help_text="Id of the user who issued the token. Null: issued with manage.py "
        "create_api_token, before issuers were recorded, or by an account since deleted.",
    )
    created_by_username = serializers.CharField(
        allow_null=True, help_text="Username of the user who issued the token (null as above)."
    )


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(help_text="The secret key. Shown only in this response.")


MAX_LIFETIME_DAYS = 3650
LIFETIME_RULE = (
    "Omit both expires_in_days and expires_at for a token that never expires. A request signed "
    "with an API token that expires can only issue tokens that expire no later than that token "
    "(403 expiry_beyond_token otherwise); a browser session may issue any."
)


class ApiTokenCreateSerializer(serializers.Serializer):
    name = TextField(max_length=100)
    expires_in_days = serializers.IntegerField(
        min_value=1,
        max_value=MAX_LIFETIME_DAYS,
        required=False,
        help_text=f"Expire this many days from now. {LIFETIME_RULE}",
    )
    # A moment, not only whole days: a token that expires within a day can still issue a
    # shorter-lived one, or one that expires with it.
    expires_at = serializers.DateTimeField(
        required=False,
        help_text=f"Expire at this moment (instead of expires_in_days). {LIFETIME_RULE}",
    )
    user = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="Issue for this user: superusers only (or accounts with the permission "
        "accounts.issue_token_for_others), and only a superuser for a superuser.",
    )

    def validate_expires_at(self, value: datetime) -> datetime:
        if value > timezone.now() + timedelta(days=MAX_LIFETIME_DAYS):
            raise serializers.ValidationError(
                _("The expiry may be at most %(days)d days from now.") % {"days": MAX_LIFETIME_DAYS}
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "expires_at" in attrs and "expires_in_days" in attrs:
            raise serializers.ValidationError(
                {"expires_at": _("Send expires_at or expires_in_days, not both.")}
            )
        return attrs


class TokenApi(ResourceApi):
    """Any signed-in user (the project default permission); each sees their own tokens, and
    accounts with accounts.view_apitoken everyone's. The selectors and services hold the rules
    on who may see, issue and revoke what."""

    row_shape = TOKEN_ROWS
    serializer_class = ApiTokenSerializer
    input_serializer_class = ApiTokenCreateSerializer
    not_found_message = gettext_lazy("No such token (or not yours).")

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
    """Your API tokens, each with who issued it. Accounts with the permission
    `accounts.view_apitoken` (superusers, or as granted) see everyone's, and may ask for one
    user's with `?user=`; anyone else asking for another user's tokens gets a 403.

    POST issues a new token; the response carries its key, which is never shown again. A request
    signed with an API token that expires can only issue tokens that expire no later than that
    token (403 `expiry_beyond_token`, naming the limit); a browser session, or a token that
    never expires, may issue any. Issuing for another user (`user`) is for superusers, or
    accounts with the permission `accounts.issue_token_for_others`; only a superuser may issue
    for a superuser."""

    filterset_class = TokenFilter
    ordering_fields = {"created": ("created_at", "id")}
    ordering_default = "-created"

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.validated_input()
        days = data.get("expires_in_days")
        auth = self.request.auth  # the ApiToken when the request is signed with one
        token, key = token_issue(
            actor=self.actor(),
            user_id=data.get("user"),
            name=data["name"],
            expires_at=timezone.now() + timedelta(days=days) if days else data.get("expires_at"),
            via_token=auth if isinstance(auth, ApiToken) else None,
        )
        response = self.row_response(token, status.HTTP_201_CREATED)
        response.data["key"] = key
        return response


class ApiTokenDetailApi(DestroyMixin, TokenApi):
    """Revoke a token: yours, or anyone's with the permission `accounts.delete_apitoken` (403
    for staff without it), except that only a superuser may revoke a superuser's tokens
    (403)."""

    def get_scope(self) -> QuerySet[ApiToken]:
        return tokens_to_revoke(actor=self.request.user)

    def delete_object(self, obj: ApiToken) -> None:
        token_revoke(token=obj, actor=self.actor())
