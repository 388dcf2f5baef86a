"""Project-wide error views: JSON in the API's error shape under /api/, HTML elsewhere."""

from django.http import HttpRequest, HttpResponse
from django.views.csrf import csrf_failure as html_csrf_failure
from django.views.defaults import bad_request as html_bad_request
from django.views.defaults import server_error as html_server_error

from shelfmark.api.exceptions import api_bad_request, api_csrf_failure, api_server_error


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: Django's answer to a SuspiciousOperation (a disallowed Host header, a body
    over the upload limit), which no view sees."""
    if request.path.startswith("/api/"):
        return api_bad_request(request, exception)
    return html_bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return api_server_error(request)
    return html_server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Only reached by non-DRF views (DRF checks CSRF itself for session-authenticated API
    writes); under /api/ that is the JSON 404 catch-all."""
    if request.path.startswith("/api/"):
        return api_csrf_failure(request, reason)
    return html_csrf_failure(request, reason)
