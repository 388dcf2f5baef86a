"""Writes for accounts: issuing and revoking API tokens, the first admin account, and the
counters that throttle password-reset emails."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import TOKEN_PREFIX, ApiToken, RateCount, hash_key
from accounts.selectors import REVOKE_OTHERS_PERMISSION
from shelfmark.errors import InvalidInput, NotAllowed
from shelfmark.transactions import lock_row, service_transaction

if TYPE_CHECKING:  # the user model (AUTH_USER_MODEL is Django's own)
    from django.contrib.auth.models import User


ISSUE_FOR_OTHERS_PERMISSION = "accounts.issue_token_for_others"

logger = logging.getLogger("shelfmark.logins")


@service_transaction
def token_create(
    *,
    user: User,
    name: str,
    expires_at: datetime | None = None,
    created_by: User | None = None,
) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; returns the row and the key, which is never shown again.
    ``created_by`` is who issued it (None: the command line, which has no signed-in user). Only
    ``token_issue`` checks who may issue what; this is for callers that already decided."""
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput(_("The expiry must be in the future."), field="expires_at")
    if not user.is_active:
        raise InvalidInput(
            _("User '%(user)s' is inactive and cannot have tokens.") % {"user": user},
            field="user",
        )
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip() or "API token",
        key_hash=hash_key(key),
        key_hint=key[: len(TOKEN_PREFIX) + 6],
        expires_at=expires_at,
        created_by=created_by,
    )
    return token, key


def token_issue(
    *,
    actor: User,
    name: str,
    user_id: int | None = None,
    expires_at: datetime | None = None,
    via_token: ApiToken | None,
) -> tuple[ApiToken, str]:
    """Issue a token as ``actor`` asks, for themselves or for another user, recording ``actor``
    as its issuer.

    ``via_token`` is the API token that authenticated the request (None for a browser session):
    a token with an expiry can only issue tokens that expire no later than itself, or a
    short-lived or leaked token could make itself permanent. It must be passed, so that no
    caller forgets the limit.

    Issuing for someone else lets the issuer act as them: superusers (and accounts given the
    ``accounts.issue_token_for_others`` permission) only, and only a superuser for a superuser.
    """
    owner = actor
    if user_id is not None and user_id != actor.pk:
        # Checked before the user is looked up, or "no such user" would let anyone probe which
        # ids exist. has_perm is true for every active superuser: they need no grant.
        if not actor.has_perm(ISSUE_FOR_OTHERS_PERMISSION):
            # The permission's name as the admin shows it (Django keeps it in English).
            raise NotAllowed(
                _(
                    "Only a superuser, or an account with the permission 'Can issue API tokens "
                    "for other users' (accounts.issue_token_for_others), may issue tokens for "
                    "other users."
                )
            )
        other = get_user_model().objects.filter(pk=user_id).first()
        if other is None:
            raise InvalidInput(_("No user with this id."), field="user")
        owner = other
        if owner.is_superuser and not actor.is_superuser:
            raise NotAllowed(_("Only a superuser may issue tokens for a superuser."))
    _check_lifetime(expires_at=expires_at, via_token=via_token)
    return token_create(user=owner, name=name, expires_at=expires_at, created_by=actor)


def _check_lifetime(*, expires_at: datetime | None, via_token: ApiToken | None) -> None:
    """Refuse, rather than shorten, a token that would outlive the one issuing it: a client
    that asked for a lifetime and silently got less would find out only when its script
    stops working."""
    if via_token is None or via_token.expires_at is None:
        return  # a browser session, or a token that never expires: any lifetime
    if expires_at is not None and expires_at <= via_token.expires_at:
        return
    # Whole seconds, rounded down, so that the limit as shown is itself accepted.
    # Times as the API writes them (expires_at takes the limit as it is shown).
    limit = f"{via_token.expires_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
    if expires_at is None:
        message = _(
            "This request is signed with an API token that expires at %(limit)s, so it can only "
            "issue tokens that expire no later than that; you asked for a token that never "
            "expires. Send an earlier expires_at (at most %(limit)s), or sign in with a browser "
            "session to issue a longer-lived token."
        ) % {"limit": limit}
    else:
        message = _(
            "This request is signed with an API token that expires at %(limit)s, so it can only "
            "issue tokens that expire no later than that; you asked for a token expiring at "
            "%(asked)s. Send an earlier expires_at (at most %(limit)s), or sign in with a browser "
            "session to issue a longer-lived token."
        ) % {"limit": limit, "asked": f"{expires_at.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"}
    raise NotAllowed(message, code="expiry_beyond_token")


def token_revoke_check(*, token: ApiToken, actor: User) -> None:
    """Raise NotAllowed unless ``actor`` may revoke ``token`` (the admin asks this too): their
    own, or anyone's with ``accounts.delete_apitoken``."""
    if token.user_id != actor.pk and not actor.has_perm(REVOKE_OTHERS_PERMISSION):
        # The permission's name as the admin shows it (Django keeps it in English).
        raise NotAllowed(
            _(
                "Revoking another user's token needs the permission 'Can delete API token' "
                "(%(permission)s); you can revoke your own."
            )
            % {"permission": REVOKE_OTHERS_PERMISSION}
        )
    # The line token_issue draws: staff have no say over superusers' accounts, and revoking
    # their tokens would let staff break the administrators' scripts.
    if not actor.is_superuser and token.user.is_superuser:
        raise NotAllowed(_("Only a superuser may revoke a superuser's tokens."))


@service_transaction
def token_revoke(*, token: ApiToken, actor: User) -> None:
    token = lock_row(ApiToken, token.pk)  # a double-clicked revoke: the second is a 404
    token_revoke_check(token=token, actor=actor)
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


# --- Throttling password-reset emails ----------------------------------------------------------

PASSWORD_RESET_WINDOW = timedelta(hours=1)


def rate_count(*, key: str, window: timedelta) -> int:
    """Count one more under ``key`` in the current window (fixed windows of ``window``, from
    the Unix epoch: whole clock hours for an hour) and return the window's count, this one
    included.

    One statement, INSERT … ON CONFLICT DO UPDATE … RETURNING (PostgreSQL and SQLite alike),
    so requests at the same moment in any worker process or container each get a number of
    their own and none is lost, as a read-then-write would lose them. Windows that have ended
    are deleted on the way."""
    now = timezone.now()
    seconds = int(window.total_seconds())
    start = datetime.fromtimestamp(int(now.timestamp()) // seconds * seconds, tz=UTC)
    # The model's own names (its fields have no db_column), quoted as the database wants.
    table, key_column, start_column, count_column = (
        connection.ops.quote_name(name)
        for name in (RateCount._meta.db_table, "key", "window_start", "count")
    )
    # Every name comes from the model, every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({key_column}, {start_column}, {count_column}) "  # noqa: S608
        f"VALUES (%s, %s, 1) ON CONFLICT ({key_column}, {start_column}) "
        f"DO UPDATE SET {count_column} = {table}.{count_column} + 1 RETURNING {count_column}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key, connection.ops.adapt_datetimefield_value(start)])
        (count,) = cursor.fetchone()
    RateCount.objects.filter(window_start__lt=start).delete()
    return int(count)


def _email_key(email: str) -> str:
    # Hashed: the table needs to tell addresses apart, not to hold them.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


@service_transaction
def password_reset_allowed(*, email: str, client: str | None) -> bool:
    """Count a password-reset request for ``email`` from ``client`` (its address, by the sign-in
    throttle's rule) and say whether its email may be sent: at most
    PASSWORD_RESET_LIMIT_PER_EMAIL per email address and PASSWORD_RESET_LIMIT_PER_IP per client
    address in each clock hour. Every request counts, whether or not an account has the
    address, so that the limit says nothing about which addresses have accounts; the page
    answers the same either way (the caller's part). The counts are taken in the same order
    every time (the email's, then the client's), so two requests cannot deadlock on them."""
    by_email = rate_count(
        key=f"password-reset:email:{_email_key(email)}", window=PASSWORD_RESET_WINDOW
    )
    by_client = (
        rate_count(key=f"password-reset:ip:{client}", window=PASSWORD_RESET_WINDOW) if client else 0
    )
    if by_email > settings.PASSWORD_RESET_LIMIT_PER_EMAIL:
        logger.warning(
            "Password reset not sent: request %d this hour for one email address (limit %d)",
            by_email,
            settings.PASSWORD_RESET_LIMIT_PER_EMAIL,
        )
        return False
    if by_client > settings.PASSWORD_RESET_LIMIT_PER_IP:
        logger.warning(
            "Password reset not sent: request %d this hour from address %s (limit %d)",
            by_client,
            client,
            settings.PASSWORD_RESET_LIMIT_PER_IP,
        )
        return False
    return True
