"""Conditional GET: "304 Not Modified" for a page the client has, decided before the expensive
work.

A page's ETag is a digest of what decides its content: the rows' ids and versions (a column the
database raises whenever anything shown of the row changes, such as ``Book.version``), the URL
with its query, what the client accepts and the language, and this process's start (so that
new code never answers 304 for a page an older one rendered). It is computed right after the
page's own query, which reads the versions anyway; on a match the related rows, the extensions,
the serializing and the templates are all skipped.

Only for visitors who are not signed in: a signed-in reader's pages carry their own state (may
they place a hold, the staff's views of patrons), which no book version follows. Their pages
are answered in full, as before.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from typing import Any

from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers

# Changes with every start of the application: an ETag never outlives the code that made it.
# Set when the apps load (shelfmark.apps), so workers forked from one preloaded master share it.
_STARTED = str(time.time_ns())


def page_etag(
    request: HttpRequest, rows: Iterable[dict[str, Any]], *, version: str, extra: str = ""
) -> str | None:
    """The weak ETag of the page made of ``rows`` (each with "id" and the ``version`` column)
    for this request, or None when the page must not have one (a signed-in viewer, messages
    waiting to be shown)."""
    user = getattr(request, "user", None)
    if user is None or user.is_authenticated:
        return None
    if len(get_messages(request)):
        return None  # the page shows one-time messages (counting them does not use them up)
    digest = hashlib.blake2b(digest_size=16)
    for part in (
        _STARTED,
        request.get_full_path(),
        request.headers.get("Accept", ""),
        getattr(request, "LANGUAGE_CODE", ""),
        extra,
    ):
        digest.update(part.encode())
        digest.update(b"\x00")
    digest.update(",".join(f"{row['id']}:{row[version]}" for row in rows).encode())
    return f'W/"{digest.hexdigest()}"'


def not_modified(request: HttpRequest, etag: str | None) -> HttpResponseBase | None:
    """The answer to the request's preconditions on ``etag`` (Django's, RFC 9110: a 304 when
    If-None-Match names it, weakly compared; a 412 when If-Match does not), else None."""
    if etag is None:
        return None
    answer = get_conditional_response(request, etag=etag)
    return None if answer is None else with_etag(answer, etag)


def with_etag(response: HttpResponseBase, etag: str | None) -> HttpResponseBase:
    """``response`` carrying ``etag``, to be revalidated on each use (``no-cache``), and kept
    apart for signed-in visitors (Vary: Cookie, Authorization)."""
    if etag is None or response.status_code not in (200, 304):
        return response
    response.headers["ETag"] = etag
    patch_cache_control(response, no_cache=True)
    patch_vary_headers(response, ("Cookie", "Authorization"))
    return response
