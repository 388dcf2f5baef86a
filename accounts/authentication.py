"""``Authorization: Token <key>`` or ``Authorization: Bearer <key>`` for scripts.

One statement per request reads the token, its user and the user's permissions
(``accounts.selectors.token_for_key``); the permission checks that follow (the views'
``StaffModelPermissions``, a checkout's overrides) ask the database nothing more. Nothing is kept
between requests, so a revoked token, a deactivated account or a permission taken away counts
from the very next request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from accounts.selectors import token_for_key

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from accounts.models import ApiToken

KEYWORDS = ("token", "bearer")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() not in KEYWORDS:
            return None  # not ours: let session auth try
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Malformed Authorization header: send 'Token <key>' or 'Bearer <key>'.")
            )
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = token_for_key(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Present so that DRF answers 401 (not 403) to unauthenticated writes.
        return 'Token realm="api"'
