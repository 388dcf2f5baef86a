"""The protocols' endpoints: thin views over protocols.sru and protocols.oai."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from protocols import oai, sru
from shelfmark.middleware import answers_control_characters


# SRU's HTTP GET, and its POST of the same parameters as a form (yaz-client's "sru post"). A
# read like GET, for anyone, as the catalog is: no session, so no CSRF token to ask for. A
# control character in a parameter is SRU's diagnostic, not the site's 400 page.
@answers_control_characters
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def sru_endpoint(request: HttpRequest) -> HttpResponse:
    """SRU 1.2 for other library systems (union catalogs, discovery layers, Z39.50 gateways)."""
    given = request.POST if request.method == "POST" else request.GET
    parameters = {name: given.get(name, "") for name in given}
    base_url = request.build_absolute_uri(request.path)
    return HttpResponse(
        sru.respond(parameters, base_url=base_url), content_type="text/xml; charset=utf-8"
    )


# OAI-PMH's GET, and its POST of the same arguments as a form; a read for anyone, as SRU's.
@answers_control_characters
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def oai_endpoint(request: HttpRequest) -> HttpResponse:
    """OAI-PMH 2.0 for harvesters (union catalogs, discovery layers)."""
    given = request.POST if request.method == "POST" else request.GET
    base_url = request.build_absolute_uri(request.path)
    return HttpResponse(
        oai.respond(dict(given.lists()), base_url=base_url),
        content_type="text/xml; charset=utf-8",
    )
