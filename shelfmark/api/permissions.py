"""Permission building blocks. The project default (settings) is ``IsAuthenticated``: an
endpoint is closed to anonymous clients unless its view opts in, as the public catalog does.

A permission that lets anonymous clients read says so with ``anonymous_reads = True``; the
OpenAPI schema (shelfmark.api.schema) marks such GETs as needing no credentials.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission


def is_staff(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


class IsStaff(BasePermission):
    """Active staff accounts only."""

    message = "Only staff accounts may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_staff(request.user)


class AnyoneReadsStaffWrites(BasePermission):
    """Anyone may read (GET, HEAD, OPTIONS); writing needs an active staff account.

    Anonymous writers get 401 (with WWW-Authenticate, from the token authenticator), signed-in
    non-staff writers 403 with ``message``, which apps override to name what is protected.
    """

    anonymous_reads = True
    message = "Only staff accounts may make this change."

    def has_permission(self, request: Any, view: Any) -> bool:
        return request.method in SAFE_METHODS or is_staff(request.user)
