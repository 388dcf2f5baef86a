"""API tokens: list, create and revoke."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import token_list
from accounts.services import token_issue, token_revoke
from shelfmark.api.fields import ID_PATTERN, MAX_ID, TextField
from shelfmark.api.pagination import KeysetPagination
from shelfmark.errors import InvalidInput, NotFound


class ApiTokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    user = serializers.IntegerField(source="user_id")
    username = serializers.CharField(source="user.get_username")
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


class ApiTokenListCreateApi(APIView):
    """Your API tokens (staff see everyone's; filter with `?user=`). POST issues a new token."""

    permission_classes = [permissions.IsAuthenticated]

    pagination_class = KeysetPagination
    ordering_fields = {"created": ("created_at", "id")}
    ordering_default = "-created"

    @extend_schema(
        operation_id="tokens_list",
        parameters=[OpenApiParameter("user", int, description="Staff only: one user's tokens.")],
        responses=ApiTokenSerializer(many=True),
    )
    def get(self, request):
        raw_user = request.query_params.get("user")
        # ASCII digits only: str.isdigit() accepts "²", which int() refuses (was a 500).
        if raw_user is not None and not re.fullmatch(ID_PATTERN, raw_user):
            raise InvalidInput("'user' must be a user id.", field="user")
        tokens = token_list(actor=request.user, user_id=int(raw_user) if raw_user else None)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(tokens, request, view=self)
        return paginator.get_paginated_response(ApiTokenSerializer(page, many=True).data)

    @extend_schema(
        operation_id="tokens_create",
        request=ApiTokenCreateSerializer,
        responses={201: ApiTokenCreatedSerializer},
    )
    def post(self, request):
        data = ApiTokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        days = data.validated_data.get("expires_in_days")
        token, key = token_issue(
            actor=request.user,
            user_id=data.validated_data.get("user"),
            name=data.validated_data["name"],
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        body = ApiTokenSerializer(token).data | {"key": key}
        return Response(body, status=status.HTTP_201_CREATED)


class ApiTokenDetailApi(APIView):
    """Revoke a token: yours, or anyone's for staff."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(operation_id="tokens_destroy", responses={204: None})
    def delete(self, request, pk: int):
        token = token_list(actor=request.user).filter(pk=pk).first()
        if token is None:
            raise NotFound("No such token (or not yours).")
        token_revoke(token=token, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
