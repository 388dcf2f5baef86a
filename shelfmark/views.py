"""Project-wide error views: JSON in the API's error shape under /api/, the site's pages
elsewhere (templates 400, 403, 404, 500 and 503.html, in the site's layout)."""

import sys

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.views.csrf import csrf_failure as html_csrf_failure
from django.views.defaults import bad_request as html_bad_request

from shelfmark import library
from shelfmark.api.exceptions import (
    api_bad_request,
    api_csrf_failure,
    api_server_error,
    api_unavailable,
)
from shelfmark.outages import Outage, log_outage, outage_of
from shelfmark.pages import wants_json


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: Django's answer to a SuspiciousOperation (a disallowed Host header, a body
    over the upload limit), which no view sees."""
    if request.path.startswith("/api/"):
        return api_bad_request(request, exception)
    return html_bad_request(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the site's page, rendered without the request (no session, user or
    database: any of them may be what failed), with the library's name given here since no
    context processor runs. Django calls it while the exception is being handled: one that
    tells of an outage (shelfmark.outages) is a 503 instead."""
    error = sys.exc_info()[1]
    outage = outage_of(error)
    if outage is not None:
        log_outage(request, outage, error)
        return service_unavailable(request, outage)
    if request.path.startswith("/api/"):
        return api_server_error(request)
    return HttpResponseServerError(render_to_string("500.html", library.names()))


def service_unavailable(request: HttpRequest, outage: Outage) -> HttpResponse:
    """503 with Retry-After: the API's error shape under /api/ and for a page's script asking
    for JSON, else the site's page, rendered like the 500 page without the request. In the
    request's language, which LocaleMiddleware may not have chosen yet when it failed."""
    language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language_from_request(
        request
    )
    with translation.override(language):
        response: HttpResponse
        if request.path.startswith("/api/") or wants_json(request):
            response = api_unavailable(request, storage_full=outage.storage_full)
        else:
            context = {**library.names(), "storage_full": outage.storage_full}
            response = HttpResponse(render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(outage.retry_after)
    add_never_cache_headers(response)  # no proxy keeps the outage's answer
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Only reached by non-DRF views (DRF checks CSRF itself for session-authenticated API
    writes); under /api/ that is the JSON 404 catch-all."""
    if request.path.startswith("/api/"):
        return api_csrf_failure(request, reason)
    return html_csrf_failure(request, reason)
