from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from accounts.models import ApiToken
from accounts.services import token_revoke_check
from shelfmark.errors import NotAllowed


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued through the API or `manage.py create_api_token` (the key is shown
    once); the admin lists and revokes them, under the same rule as the API."""

    list_display = [
        "name",
        "user",
        "key_hint",
        "created_at",
        "created_by",
        "expires_at",
        "last_used_at",
    ]
    list_filter = ["created_at", "expires_at"]
    search_fields = ["name", "user__username", "key_hint"]
    readonly_fields = [
        "user",
        "name",
        "key_hint",
        "created_at",
        "created_by",
        "expires_at",
        "last_used_at",
    ]
    list_select_related = ["user", "created_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        # Asked per token by the delete page and by the bulk delete action (which then refuses
        # the whole selection), so a superuser's token is out of reach of other staff here too.
        allowed = super().has_delete_permission(request, obj)
        if not allowed or obj is None:
            return allowed
        actor = request.user
        if isinstance(actor, AnonymousUser):  # not reached: the admin lets only staff in
            return False
        try:
            token_revoke_check(token=obj, actor=actor)
        except NotAllowed:
            return False
        return True
