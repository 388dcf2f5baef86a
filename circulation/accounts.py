"""Patrons' logins: the link that lets a patron choose their password, and the email with it.

A patron's login is made without a password (circulation.services.patrons); the emailed link
(Django's password-reset token: single use, expires after PASSWORD_RESET_TIMEOUT) lets them set
one. The same view serves "forgot my password" later.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext, override

from shelfmark.languages import language_or_default


def password_setup_link(user: Any) -> str:
    path = reverse(
        "password-set",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return f"{settings.SITE_URL}{path}"


def send_password_setup_email(user: Any) -> bool:
    """Email ``user`` the link to choose a password, in their language as a patron (staff
    make the login, in whatever language their own page is); False when they have no
    address."""
    if not user.email:
        return False
    context = {
        "user": user,
        "link": password_setup_link(user),
        "library_name": settings.LIBRARY_NAME,
        "site_url": settings.SITE_URL,
    }
    patron = getattr(user, "patron", None)
    with override(language_or_default(patron.language if patron else None)):
        subject = gettext("Choose your password for %(library)s") % {
            "library": settings.LIBRARY_NAME
        }
        message = render_to_string("circulation/email/password_setup.txt", context)
    send_mail(
        subject=subject,
        message=message,
        from_email=None,  # DEFAULT_FROM_EMAIL
        recipient_list=[user.email],
    )
    return True
