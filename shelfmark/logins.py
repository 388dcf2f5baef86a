"""Sign-in throttling: the project's pieces that django-axes calls (the AXES_* settings).

Failed sign-ins (the site's sign-in page, /admin/login/ and /api-auth/login/) are counted once per
username and once per client address, where every worker process and container shares the
counts: in Redis when REDIS_URL is set (axes' cache handler), else in the database (axes'
database handler; settings.AXES_HANDLER). At LOGIN_FAILURE_LIMIT either is locked for
LOGIN_COOLOFF_MINUTES, counted from the last failed try; a locked try is refused before the
password is checked, so a flood costs no password hashing.
"""

from __future__ import annotations

import logging
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger("shelfmark.logins")


class LoginThrottleBackend(AxesStandaloneBackend):
    """axes' gate before the password check. It refuses to run without a request, which code
    that calls authenticate() itself may not have (Django's test Client.login, a script): with
    no client there is nothing to count or throttle, so it steps aside and the next backend
    decides. Sign-ins over HTTP always pass their request (Django's login views do)."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> AbstractBaseUser | None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


class DatabaseLoginCounts(AxesDatabaseHandler):
    """axes' database handler (settings.AXES_HANDLER without REDIS_URL), except for tries made
    while locked out. axes writes each failed try's GET and POST data onto the end of its row,
    locked tries too, so a flood against a locked username would grow one row without end,
    each update rewriting all of it. A locked try only moves the rows' time on here (the
    lockout lasts the cool-off after the last try, as with the cache handler); the tries
    before the lockout, at most the limit per username and per address, are recorded as axes
    records them."""

    def user_login_failed(
        self,
        sender: Any,
        credentials: dict[str, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        # The backend refused a locked try before its password check but, with axes' default
        # AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT, did not mark the request; ask again.
        if request is None or not self.is_locked(request, credentials):
            super().user_login_failed(sender, credentials, request=request, **kwargs)
            return
        attempt_time = request.axes_attempt_time  # type: ignore[attr-defined]  # set by axes
        for attempts in self.get_user_attempts(request, credentials):
            attempts.update(attempt_time=attempt_time)
        # What axes' handlers set on a locked try: the middleware answers it with the lockout.
        request.axes_locked_out = True  # type: ignore[attr-defined]
        request.axes_credentials = credentials  # type: ignore[attr-defined]
        user_locked_out.send(
            "axes",
            request=request,
            username=get_client_username(request, credentials),
            ip_address=request.axes_ip_address,  # type: ignore[attr-defined]  # set by axes
        )


def client_address(request: HttpRequest) -> str | None:
    """The client's address by the API rate limits' rule: REMOTE_ADDR, or with NUM_PROXIES set,
    the address that many proxies back in X-Forwarded-For."""
    return BaseThrottle().get_ident(Request(request))


def _username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    if credentials:
        return str(credentials.get("username") or "")
    return str(request.POST.get("username") or "")


def username_key(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """What axes counts a username's failures under. axes keys each count by the bare value, so
    without a prefix a username spelled like an address ("10.0.0.7") would share that address's
    count, and failing with it would lock everyone out who signs in from there."""
    username = _username(request, credentials)
    return f"user:{username}" if username else None


def cool_off_seconds() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any]
) -> HttpResponse:
    """429 with Retry-After, as a page: both sign-in forms are HTML."""
    username = _username(request, credentials)
    address = getattr(request, "axes_ip_address", None) or client_address(request)
    seconds = cool_off_seconds()
    minutes = max(1, round(seconds / 60))
    # %r: the username is whatever was typed, so a newline in it cannot forge a log line.
    logger.warning(
        "Sign-in locked out: username %r from address %s after %s failed tries; "
        "refused for %d seconds",
        username,
        address,
        getattr(request, "axes_failures_since_start", "repeated"),
        seconds,
    )
    response = render(
        request,
        "shelfmark/login_locked.html",
        {"username": username, "minutes": minutes, "retry_path": request.path},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
