"""One error shape for the whole API.

Every error body is ``{"error": {"status": 400, "code": "invalid", "message": "…",
"fields": {"isbn": ["…"]}}}``; ``fields`` is present only for input errors, and a domain error
may add keys of its own (a refused checkout's ``reasons``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from shelfmark.api.parsers import RequestTooLarge
from shelfmark.errors import DomainError


def error_body(
    status_code: int,
    code: str,
    message: str,
    fields: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    error: dict[str, Any] = {"status": status_code, "code": code, "message": message}
    if fields:
        error["fields"] = fields
    error.update(extra or {})
    return {"error": error}


def flatten_field_errors(detail: Any, path: str = "") -> dict[str, list[str]]:
    """DRF nests errors for lists and nested objects ({"authors": {"1": ["…"]}}); the error
    shape promises one level, so nested ones get dotted paths: {"authors.1": ["…"]}."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(flatten_field_errors(value, f"{path}.{key}" if path else str(key)))
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            flat.update(flatten_field_errors(item, f"{path}.{index}" if path else str(index)))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {path or "non_field_errors": [str(message) for message in messages]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.status_code, exc.code, exc.message, exc.as_field_errors(), exc.extra),
            status=exc.status_code,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):  # request.body read before the parser saw it
        exc = RequestTooLarge()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer 500
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            response.status_code,
            "invalid",
            _("The request has invalid fields; see 'fields'."),
            flatten_field_errors(exc.detail),
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        response.data = error_body(
            response.status_code, code if isinstance(code, str) else "error", str(detail)
        )
    return response


@csrf_exempt  # it changes nothing; a write to an unknown path is a 404, not a CSRF failure
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Unknown paths under /api/ answer in the API's error shape, not with an HTML page."""
    message = _("No API endpoint at %(path)s. See /api/ for the list.")
    # This catch-all matches every path under /api/, so CommonMiddleware's APPEND_SLASH never
    # sees a miss: say where the endpoint is instead of only that this path is not one.
    if settings.APPEND_SLASH and not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/", getattr(request, "urlconf", None))
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            message = _(
                "No API endpoint at %(path)s. Did you mean %(path)s/ (with a trailing slash)?"
            )
    return JsonResponse(
        error_body(404, "not_found", message % {"path": request.path}),
        status=status.HTTP_404_NOT_FOUND,
    )


def api_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body(
            500, "server_error", _("Something went wrong on the server; it has been logged.")
        ),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def api_unavailable(request: HttpRequest, *, storage_full: bool) -> JsonResponse:
    """A 503 (shelfmark.outages): something the server depends on is away for a moment, or its
    storage is full. What exactly stays in the log."""
    if storage_full:
        body = error_body(
            503,
            "storage_full",
            _(
                "The server has no room to store this just now; it has been logged. Try again "
                "later."
            ),
        )
    else:
        body = error_body(
            503,
            "unavailable",
            _("The service is unavailable for a moment; try again in a few seconds."),
        )
    return JsonResponse(body, status=status.HTTP_503_SERVICE_UNAVAILABLE)


def api_bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django's 400s under /api/ (a SuspiciousOperation before or outside DRF's handling): the
    body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413, a Host header not in ALLOWED_HOSTS a 400."""
    if isinstance(exception, RequestDataTooBig):
        error = RequestTooLarge()
        return JsonResponse(
            error_body(error.status_code, "request_too_large", str(error.detail)),
            status=error.status_code,
        )
    if isinstance(exception, DisallowedHost):
        # The host is not echoed: it is the client's own input, and says nothing it lacks.
        body = error_body(
            400, "disallowed_host", _("The Host header names a host this site does not serve.")
        )
    else:
        body = error_body(400, "bad_request", _("The request is malformed and cannot be handled."))
    return JsonResponse(body, status=status.HTTP_400_BAD_REQUEST)


def api_csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return JsonResponse(
        error_body(
            403,
            "csrf_failed",
            # The reason is Django's own (English) text.
            _("CSRF check failed: %(reason)s. Send the CSRF token.") % {"reason": reason},
        ),
        status=status.HTTP_403_FORBIDDEN,
    )
