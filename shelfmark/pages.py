"""The website's staff pages: who may open them, and the POSTs their scripts may send again.

- ``staff_page``: one rule for every app's staff pages (the desk, adding books, imports), so
  they answer alike - an anonymous visitor is sent to sign in, a signed-in account without the
  rights gets a 403 page that names what is missing. A page's script asking for JSON gets the
  same answers in the API's error shape (401, 403) instead of a page it cannot read.
- ``idempotent_post``: ``Idempotency-Key`` on a page's POST (shelfmark.idempotency has the rules
  and their one implementation), for a script that must be able to send a request again after
  an answer it never received.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from shelfmark.api.exceptions import error_body
from shelfmark.errors import DomainError
from shelfmark.idempotency import (
    HEADER,
    REPLAYED_HEADER,
    Answer,
    answer_once,
    keyed_request,
    parse_key,
)

View = Callable[..., HttpResponseBase]
JSON = "application/json"


def wants_json(request: HttpRequest) -> bool:
    """Whether the request is a page's script asking for JSON (``Accept: application/json``);
    a browser loading a page prefers HTML."""
    return request.get_preferred_type(["text/html", JSON]) == JSON


def error_response(error: DomainError) -> JsonResponse:
    """A domain error in the API's error shape, for a page's script."""
    body = error_body(
        error.status_code, error.code, error.message, error.as_field_errors(), error.extra
    )
    return JsonResponse(body, status=error.status_code)


# --- Who may open a staff page -------------------------------------------------------------------


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
    403, anonymous visitors the sign-in page (scripts: a 401 or 403 in JSON)."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                if wants_json(request):
                    return JsonResponse(
                        error_body(401, "not_authenticated", _("Sign in again to go on.")),
                        status=401,
                    )
                return redirect_to_login(request.get_full_path())
            if not is_staff_with(request.user, permissions):
                if wants_json(request):
                    message = _("This account may not do this; it needs: %(permissions)s.") % {
                        "permissions": ", ".join(permissions)
                    }
                    return JsonResponse(error_body(403, "permission_denied", message), status=403)
                return forbidden_page(request, forbidden, permissions)
            return view(request, *args, **kwargs)

        return run

    return decorate


# --- Idempotency-Key on a page's POST ------------------------------------------------------------


def idempotent_post(view: View) -> View:
    """A page's POST that honours ``Idempotency-Key``, under the rules of shelfmark.idempotency.

    Without the header the view runs as always (the page's own form). With it, the view must
    answer JSON, or a redirect without a body; a domain error it raises is answered in the API's
    error shape and kept or not by the same rules as the API's. "The same request" is the same
    method, path and form fields - not the CSRF token, which changes when the user signs in
    again, while the request waiting to be sent does not. Place it inside the decorator that
    checks the account: keys are per account.
    """

    @functools.wraps(view)
    def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        try:
            key = parse_key(request.headers.get(HEADER))
            if key is None:
                return view(request, *args, **kwargs)
            keyed = keyed_request(
                request.user, key, method="POST", path=request.path, body=_sent(request)
            )
            return answer_once(
                keyed,
                lambda: _run(view, request, *args, **kwargs),
                as_answer=_as_answer,
                replay=_replay,
            )
        except DomainError as error:  # a malformed key (400), or a key used for another request
            return error_response(error)

    return run


def _sent(request: HttpRequest) -> dict[str, Any]:
    """What the request sends: its form fields, or the body as text for other content types."""
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields = dict(request.POST.lists())
        fields.pop("csrfmiddlewaretoken", None)
        return {"form": fields}
    return {"body": request.body.decode("utf-8", "surrogateescape")}


def _run(view: View, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
    try:
        return view(request, *args, **kwargs)
    except DomainError as error:
        return error_response(error)


def _as_answer(response: HttpResponseBase) -> Answer:
    body = response.content.decode() if isinstance(response, HttpResponse) else ""
    if body and not response.get("Content-Type", "").startswith(JSON):
        # A page would be replayed as JSON: the view must answer its script in JSON.
        raise ImproperlyConfigured(f"{HEADER} needs a JSON answer, not {response['Content-Type']}.")
    error_code = None
    if body and response.status_code >= 400:
        data = json.loads(body)
        error = data.get("error") if isinstance(data, dict) else None
        error_code = str(error.get("code")) if isinstance(error, dict) else None
    return Answer(
        status_code=response.status_code,
        body=body,
        location=response.get("Location", ""),
        error_code=error_code,
    )


def _replay(answer: Answer) -> HttpResponse:
    response = HttpResponse(
        answer.body, status=answer.status_code, content_type=JSON if answer.body else None
    )
    response[REPLAYED_HEADER] = "true"
    if answer.location:
        response["Location"] = answer.location
    return response
