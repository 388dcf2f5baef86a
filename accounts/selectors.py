"""Reads for accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import ApiToken, hash_key
from shelfmark.rows import RowShape, renamed

if TYPE_CHECKING:  # the user model (AUTH_USER_MODEL is Django's own)
    from django.contrib.auth.models import User

# Writing last_used_at on every request would turn each read into a write; once a minute is
# precise enough to tell a live token from a forgotten one.
LAST_USED_RESOLUTION_SECONDS = 60


def token_for_key(*, key: str) -> ApiToken | None:
    """The valid (unexpired, active user) token with this key, or None."""
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    if token is None or token.is_expired or not token.user.is_active:
        return None
    now = timezone.now()
    stale = token.last_used_at is None or (
        (now - token.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
    )
    if stale:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def token_list(*, actor: User | AnonymousUser) -> QuerySet[ApiToken]:
    """Tokens ``actor`` may see: their own, or everyone's for staff (an anonymous one: none)."""
    if actor.is_staff:
        return ApiToken.objects.all()
    if actor.pk is None:  # anonymous
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user_id=actor.pk)


# A token as the API lists it: never its key or hash.
TOKEN_ROWS = RowShape(
    columns=(
        "id",
        "name",
        "user_id",
        "username",
        "key_hint",
        "created_at",
        "expires_at",
        "last_used_at",
        "created_by_id",
        "created_by_username",
    ),
    annotations=lambda: {
        "username": F(f"user__{get_user_model().USERNAME_FIELD}"),
        "created_by_username": F(f"created_by__{get_user_model().USERNAME_FIELD}"),
    },
    represent=renamed(user_id="user", created_by_id="created_by"),
)
