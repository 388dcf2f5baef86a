from django.contrib import admin
from django.http import HttpRequest

from accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued through the API or `manage.py create_api_token` (the key is shown
    once); the admin lists and revokes them."""

    list_display = ["name", "user", "key_hint", "created_at", "expires_at", "last_used_at"]
    list_filter = ["created_at", "expires_at"]
    search_fields = ["name", "user__username", "key_hint"]
    readonly_fields = ["user", "name", "key_hint", "created_at", "expires_at", "last_used_at"]
    list_select_related = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
