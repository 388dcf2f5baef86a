"""Reads for accounts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Permission
from django.db.models import F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiToken, hash_key
from shelfmark.errors import NotAllowed
from shelfmark.expressions import JsonArray
from shelfmark.rows import RowShape, renamed

if TYPE_CHECKING:  # the user model (AUTH_USER_MODEL is Django's own)
    from django.contrib.auth.models import User

# Writing last_used_at on every request would turn each read into a write; once a minute is
# precise enough to tell a live token from a forgotten one.
LAST_USED_RESOLUTION_SECONDS = 60


def token_for_key(*, key: str) -> ApiToken | None:
    """The valid (unexpired, active user) token with this key, or None. Its user comes with
    their permissions, read in the same statement (``remember_permissions``)."""
    token = (
        ApiToken.objects.select_related("user")
        .annotate(**permission_annotations("user_id"))
        .filter(key_hash=hash_key(key))
        .order_by()  # the key is unique: no sort
        .first()
    )
    if token is None or token.is_expired or not token.user.is_active:
        return None
    remember_permissions(token.user, token)
    now = timezone.now()
    stale = token.last_used_at is None or (
        (now - token.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS
    )
    if stale:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def permission_annotations(user_id: str) -> dict[str, JsonArray]:
    """The permissions of the user whose id is the column ``user_id`` of the query, as the
    model backend names them ("app_label.codename"): granted to them (``user_permissions``)
    and through their groups (``group_permissions``); ``remember_permissions`` reads them."""

    def names(permissions: QuerySet[Permission]) -> JsonArray:
        named = permissions.annotate(
            permission=Concat("content_type__app_label", Value("."), "codename")
        ).values("permission")
        return JsonArray(named, "permission")

    return {
        "user_permissions": names(Permission.objects.filter(user=OuterRef(user_id))),
        "group_permissions": names(Permission.objects.filter(group__user=OuterRef(user_id))),
    }


def remember_permissions(user: User, row: Any) -> None:
    """Give ``user`` the permissions a row annotated with ``permission_annotations`` holds, as
    Django's ModelBackend caches them on the user object for the rest of the request: its
    ``has_perm`` then asks the database nothing. The object lives as long as the request, so a
    permission taken away counts from the next request on. Superusers are left alone: they hold
    every permission without a look-up."""
    if user.is_superuser:
        return
    granted = set(json.loads(row.user_permissions))
    through_groups = set(json.loads(row.group_permissions))
    # The attributes django.contrib.auth.backends.ModelBackend reads before it queries.
    user._user_perm_cache = granted  # type: ignore[attr-defined]
    user._group_perm_cache = through_groups  # type: ignore[attr-defined]
    user._perm_cache = granted | through_groups  # type: ignore[attr-defined]


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
        # The permission's name as the admin shows it (Django keeps it in English).
        raise NotAllowed(
            _(
                "Listing other users' tokens needs the permission 'Can view API token' "
                "(%(permission)s); without it you see your own."
            )
            % {"permission": VIEW_OTHERS_PERMISSION}
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
