"""Where a request to Open Library may go: also what the Add by ISBN page's Content-Security-Policy
allows for a cover's preview, so the page can ask without loading the HTTP client."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def allowed_origins() -> tuple[str, ...]:
    """Where a request to Open Library may go, redirects included, in the syntax of a
    Content-Security-Policy source (the Add by ISBN page's preview of a cover allows the same):
    the configured server, its covers server, and the Internet Archive's servers, to which
    covers.openlibrary.org redirects."""
    return (
        _origin(settings.OPENLIBRARY_BASE_URL),
        _origin(settings.OPENLIBRARY_COVERS_URL),
        "https://*.archive.org",
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
