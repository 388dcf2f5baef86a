"""The library's own name and logo (settings.LIBRARY_NAME, LIBRARY_LOGO): what every template
is given, and the view that serves the logo.

The logo is a file in MEDIA_ROOT, served from this site (not a URL elsewhere): the
Content-Security-Policy keeps img-src to 'self', and an operator changes the logo by replacing
the file, with no rebuild of the static files.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET


def names() -> dict[str, str]:
    """``library_name``, and ``library_logo_url`` ('' without a logo), for templates."""
    return {
        "library_name": settings.LIBRARY_NAME,
        "library_logo_url": reverse("library-logo") if settings.LIBRARY_LOGO else "",
        "fines_currency": settings.FINES_CURRENCY,
    }


def context(request: HttpRequest) -> dict[str, str]:
    """The template context processor: every page rendered with a request has ``names()``."""
    return names()


@require_GET
@cache_control(public=True, max_age=3600)  # an hour: a replaced logo shows within one
def logo(request: HttpRequest) -> FileResponse:
    if not settings.LIBRARY_LOGO:
        raise Http404("This library has no logo.")
    path = Path(settings.MEDIA_ROOT) / settings.LIBRARY_LOGO
    try:
        # FileResponse closes the file when the response is done.
        file = path.open("rb")
    except OSError:
        raise Http404("The library's logo file is missing.") from None
    content_type = settings.LIBRARY_LOGO_TYPES[path.suffix.lower()]
    return FileResponse(file, content_type=content_type)
