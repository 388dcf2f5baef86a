"""Reads for accounts."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ApiToken, hash_key

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


def token_list(*, actor: AbstractBaseUser, user_id: int | None = None) -> QuerySet[ApiToken]:
    """Tokens ``actor`` may see: their own, or anyone's (optionally one user's) for staff."""
    tokens = ApiToken.objects.select_related("user")
    if not actor.is_staff:
        return tokens.filter(user=actor)
    return tokens.filter(user_id=user_id) if user_id is not None else tokens
