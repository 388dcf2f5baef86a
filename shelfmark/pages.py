"""Who may open a staff page of the website: one rule for every app's pages (the desk, adding
books, imports), so they answer alike — an anonymous visitor is sent to sign in, a signed-in
account without the rights gets a 403 page that names what is missing."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

View = Callable[..., HttpResponseBase]


def is_staff_with(user: Any, permissions: tuple[str, ...]) -> bool:
    """An active staff account holding every one of ``permissions`` (a superuser holds all).
    The site's navigation asks the same question as the page it links to."""
    return bool(user.is_authenticated and user.is_staff and user.has_perms(permissions))


def forbidden_page(
    request: HttpRequest, template: str, permissions: tuple[str, ...], **context: Any
) -> HttpResponse:
    return render(request, template, {"permissions": permissions, **context}, status=403)


def staff_page(*permissions: str, forbidden: str) -> Callable[[View], View]:
    """A view for staff holding ``permissions``; others get ``forbidden`` (a template) with a
    403, anonymous visitors the sign-in page."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not is_staff_with(request.user, permissions):
                return forbidden_page(request, forbidden, permissions)
            return view(request, *args, **kwargs)

        return run

    return decorate
