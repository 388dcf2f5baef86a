"""Permission building blocks. The project default (settings) is ``IsAuthenticated``: an
endpoint is closed to anonymous clients unless its view opts in, as the public catalog does.

A permission that lets anonymous clients read says so with ``anonymous_reads = True``; the
OpenAPI schema (shelfmark.api.schema) marks such GETs as needing no credentials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.permissions import SAFE_METHODS, BasePermission

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def is_staff(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


class IsStaff(BasePermission):
    """Active staff accounts only."""

    message = gettext_lazy("Only staff accounts may do this.")

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_staff(request.user)


class StaffModelPermissions(BasePermission):
    """Active staff accounts holding the model permission for the request, as in the admin:
    GET (and HEAD, OPTIONS) ``view``, POST ``add``, PUT and PATCH ``change``, DELETE ``delete``,
    on the model of the view's scope (``circulation.view_patron`` …; superusers hold them all).

    A view whose method means another action names it in ``model_permission_actions``: a
    check-in is a POST that changes loans, ``{"POST": "change"}``.

    Signed-in non-staff accounts get 403 with ``message``, staff without the permission 403
    naming it.
    """

    # Read when DRF refuses: a lazy translation, or this request's own message (below).
    message: StrOrPromise = gettext_lazy("Only staff accounts may do this.")
    actions = {
        "GET": "view",
        "HEAD": "view",
        "OPTIONS": "view",
        "POST": "add",
        "PUT": "change",
        "PATCH": "change",
        "DELETE": "delete",
    }

    def has_permission(self, request: Any, view: Any) -> bool:
        return is_staff(request.user) and self.has_model_permission(request, view)

    def has_model_permission(self, request: Any, view: Any) -> bool:
        options = view.get_queryset().model._meta
        actions = {**self.actions, **getattr(view, "model_permission_actions", {})}
        action = actions.get(request.method, "change")
        permission = f"{options.app_label}.{action}_{options.model_name}"
        if request.user.has_perm(permission):
            return True
        # Set on this instance, for this request only (DRF reads it when refusing).
        self.message = refusal(action) % {
            "things": options.verbose_name_plural,
            "permission": permission,
        }
        return False


def refusal(action: str) -> str:
    """The refusal for staff without the model permission of ``action``: a whole sentence per
    action, since the verb's place and form differ between languages."""
    sentences = {
        "view": _(
            "Your account may not view %(things)s (permission %(permission)s); "
            "ask an administrator."
        ),
        "add": _(
            "Your account may not add %(things)s (permission %(permission)s); ask an administrator."
        ),
        "change": _(
            "Your account may not change %(things)s (permission %(permission)s); "
            "ask an administrator."
        ),
        "delete": _(
            "Your account may not delete %(things)s (permission %(permission)s); "
            "ask an administrator."
        ),
    }
    return sentences.get(
        action,
        _("Your account may not do this (permission %(permission)s); ask an administrator."),
    )


class AnyoneReadsStaffWrites(StaffModelPermissions):
    """Anyone may read (GET, HEAD, OPTIONS); writing needs an active staff account holding the
    model permission for it, as in the admin: POST ``add``, PUT and PATCH ``change``, DELETE
    ``delete`` (``catalog.add_book`` …; superusers hold them all).

    Anonymous writers get 401 (with WWW-Authenticate, from the token authenticator), signed-in
    non-staff writers 403 with ``message``, which apps override to name what is protected, and
    staff without the permission 403 naming it.
    """

    anonymous_reads = True
    message = gettext_lazy("Only staff accounts may make this change.")

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().has_permission(request, view)
