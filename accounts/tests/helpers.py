"""Helpers shared by the accounts tests."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission


def grant_issue_for_others(user):
    """``user`` with the permission to issue tokens for other users, freshly read (Django caches
    an instance's permissions)."""
    user.user_permissions.add(
        Permission.objects.get(
            content_type__app_label="accounts", codename="issue_token_for_others"
        )
    )
    return get_user_model().objects.get(pk=user.pk)


def grant_token_permissions(user, codenames=("view_apitoken", "delete_apitoken")):
    """``user`` with the token model's permissions (seeing and revoking everyone's tokens, as
    the admin grants them), freshly read."""
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
    )
    return get_user_model().objects.get(pk=user.pk)
