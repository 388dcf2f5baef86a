"""Writes for accounts: issuing and revoking API tokens, the first admin account."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.models import TOKEN_PREFIX, ApiToken, hash_key
from shelfmark.errors import InvalidInput, NotAllowed

if TYPE_CHECKING:  # the user model (AUTH_USER_MODEL is Django's own)
    from django.contrib.auth.models import User


def token_create(
    *, user: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; returns the row and the key, which is never shown again."""
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("The expiry must be in the future.", field="expires_at")
    if not user.is_active:
        raise InvalidInput(f"User '{user}' is inactive and cannot have tokens.", field="user")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip() or "API token",
        key_hash=hash_key(key),
        key_hint=key[: len(TOKEN_PREFIX) + 6],
        expires_at=expires_at,
    )
    return token, key


def token_issue(
    *,
    actor: User,
    name: str,
    user_id: int | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token as ``actor`` asks: for themselves, or (staff) for another user. Staff who
    are not superusers cannot issue tokens for a superuser: that would give them its powers."""
    owner = actor
    if user_id is not None and user_id != actor.pk:
        if not actor.is_staff:
            raise NotAllowed("Only staff may issue tokens for other users.")
        other = get_user_model().objects.filter(pk=user_id).first()
        if other is None:
            raise InvalidInput("No user with this id.", field="user")
        owner = other
        if owner.is_superuser and not actor.is_superuser:
            raise NotAllowed("Only a superuser may issue tokens for a superuser.")
    return token_create(user=owner, name=name, expires_at=expires_at)


def token_revoke(*, token: ApiToken, actor: User) -> None:
    if token.user_id != actor.pk and not actor.is_staff:
        raise NotAllowed("You can only revoke your own tokens.")
    token.delete()


def admin_ensure(*, username: str, password: str, email: str = "") -> tuple[User, bool]:
    """Create the superuser ``username`` unless it exists; returns (user, created)."""
    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"email": email, "is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
    return user, created
