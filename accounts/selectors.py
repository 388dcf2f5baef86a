"""Reads for accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from accounts.models import ApiToken, hash_key
from shelfmark.errors import NotAllowed
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


# Seeing or revoking another user's tokens is the token model's own permissions (the admin's
# "view" and "delete"), not staff status: a cataloguer's account has no business with the keys
# the desk's or the administrators' scripts use. Superusers hold them without a grant.
VIEW_OTHERS_PERMISSION = "accounts.view_apitoken"
REVOKE_OTHERS_PERMISSION = "accounts.delete_apitoken"


def may_see_others_tokens(actor: User | AnonymousUser) -> bool:
    return actor.has_perm(VIEW_OTHERS_PERMISSION)


def token_list_check(*, actor: User | AnonymousUser, user_id: int | None) -> None:
    """Refuse (NotAllowed) a list of another user's tokens without the permission, rather than
    answer with one's own, which would look like that user's list."""
    if user_id is not None and user_id != actor.pk and not may_see_others_tokens(actor):
        raise NotAllowed(
            "Listing other users' tokens needs the permission 'Can view API token' "
            f"({VIEW_OTHERS_PERMISSION}); without it you see your own."
        )


def token_list(*, actor: User | AnonymousUser) -> QuerySet[ApiToken]:
    """Tokens ``actor`` may see: their own and those they issued for others (whose keys they
    were given, and answer for), or everyone's with ``accounts.view_apitoken`` (an anonymous
    one: none)."""
    if actor.pk is None:  # anonymous
        return ApiToken.objects.none()
    if may_see_others_tokens(actor):
        return ApiToken.objects.all()
    return ApiToken.objects.filter(Q(user_id=actor.pk) | Q(created_by_id=actor.pk))


def tokens_to_revoke(*, actor: User | AnonymousUser) -> QuerySet[ApiToken]:
    """Where a revoke looks its token up. Staff look among everyone's, so that a token they may
    not revoke is a 403 naming the permission (token_revoke_check), as in the admin; anyone
    else among their own, so that another user's token is a 404 and its id says nothing."""
    if actor.pk is None:
        return ApiToken.objects.none()
    if actor.is_staff:
        return ApiToken.objects.all()
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
