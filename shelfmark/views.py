"""Project-wide error views: JSON in the API's error shape under /api/, the site's pages
elsewhere (templates 400, 403, 404 and 500.html, in the site's layout)."""

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template.loader import render_to_string
from django.views.csrf import csrf_failure as html_csrf_failure
from django.views.defaults import bad_request as html_bad_request

from shelfmark import library
from shelfmark.api.exceptions import api_bad_request, api_csrf_failure, api_server_error


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: Django's answer to a SuspiciousOperation (a disallowed Host header, a body
    over the upload limit), which no view sees."""
    if request.path.startswith("/api/"):
        return api_bad_request(request, exception)
    return html_bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the site's page, rendered without the request (no session, user or
    database: any of them may be what failed), with the library's name given here since no
    context processor runs."""
    if request.path.startswith("/api/"):
        return api_server_error(request)
    return HttpResponseServerError(render_to_string("500.html", library.names()))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Only reached by non-DRF views (DRF checks CSRF itself for session-authenticated API
    writes); under /api/ that is the JSON 404 catch-all."""
    if request.path.startswith("/api/"):
        return api_csrf_failure(request, reason)
    return html_csrf_failure(request, reason)
