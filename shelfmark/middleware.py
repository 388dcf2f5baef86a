"""Project-wide request guards that run before any view.

``ControlCharacterGuard``: a query string holding NUL or another control character is answered
400, before any view, filter or admin changelist sees it. PostgreSQL refuses NUL in text, so
such a value reaching a query is a 500 on any search or filter that passes it through (the
desk's patron search, the admin's list filters, an API filter) — and no one types a control
character into a search: it is a probe or a broken client. One guard here instead of a check in
every view, filter and changelist (the admin's, and those of installed apps, are not ours to
patch), and a refusal rather than stripping: a search for something other than what was sent
would answer a question nobody asked, and silently.

A view may answer such a request itself (``answers_control_characters``): the library
protocols' endpoints must answer in their protocol's terms, a diagnostic or error code in XML,
never the site's HTML page.

Tab, line feed and carriage return stay allowed: a scanner configured to end a code with Tab,
or text pasted into a search field, can send them, and every database stores them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy

from shelfmark.api.exceptions import error_body

View = TypeVar("View", bound=Callable[..., HttpResponse])

# C0 controls but tab, LF and CR, and DEL.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MESSAGE = gettext_lazy(
    "The query string holds a control character (such as NUL, %00), which no search or filter "
    "accepts. Remove it and try again."
)


def has_control_character(request: HttpRequest) -> bool:
    """Whether a name or value of the query string (as Django decodes it) holds one."""
    return any(
        CONTROL_CHARACTER.search(name) or any(CONTROL_CHARACTER.search(v) for v in values)
        for name, values in request.GET.lists()
    )


def answers_control_characters(view: View) -> View:
    """Marks a view that answers a query string with a control character itself, in its own
    protocol's terms, instead of the guard's 400 page."""
    view.answers_control_characters = True  # type: ignore[attr-defined]
    return view


def _answers_itself(request: HttpRequest) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return bool(getattr(match.func, "answers_control_characters", False))


class ControlCharacterGuard:
    """400 for a query string with a control character: the API's error shape under /api/, the
    site's 400 page elsewhere (the admin's too)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_control_character(request) and not _answers_itself(request):
            return self.refuse(request)
        return self.get_response(request)

    @staticmethod
    def refuse(request: HttpRequest) -> HttpResponse:
        message = str(MESSAGE)  # in the request's language
        if request.path.startswith("/api/"):
            return JsonResponse(error_body(400, "control_character", message), status=400)
        return render(request, "400.html", {"message": message}, status=400)
