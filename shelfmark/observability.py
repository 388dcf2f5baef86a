"""What each request did, for the people who run Shelfmark: its id, a log line, metrics.

``RequestObservation`` is the outermost middleware. For every request it

- takes the request's id: the ``X-Request-ID`` a proxy sent, when it is a plain token, else a
  new one; it is the response's ``X-Request-ID`` header and in every log line written meanwhile
  (shelfmark.logs);
- writes one line on ``shelfmark.requests``: method, path, route, status, duration, user id,
  database queries and the request id (JSON fields in production);
- counts it in the Prometheus metrics (shelfmark.metrics): requests and their durations by
  route, method and status, and the database queries they made.

The route is the URL pattern that answered (``books/<int:pk>/``), not the path, so the metrics
have a bounded set of labels whatever clients ask for.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

from shelfmark import metrics
from shelfmark.logs import REQUEST_ID

logger = logging.getLogger("shelfmark.requests")

# An id a proxy (nginx's $request_id, a load balancer's) may hand on: letters, digits and a few
# separators, not too long. Anything else is replaced, so no one writes into the logs through it.
ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
HEADER = "X-Request-ID"
# The container's own health probe (docker/healthcheck.py) asks every few seconds: not logged.
PROBE_AGENT = "shelfmark-healthcheck"


class RequestObservation:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get(HEADER, "")
        request_id = given if ACCEPTED_ID.fullmatch(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        queries = _QueryCount()
        started = time.perf_counter()
        try:
            with connection.execute_wrapper(queries):
                response = self.get_response(request)
            seconds = time.perf_counter() - started
            response[HEADER] = request_id
            self._record(request, response, seconds, queries.count)
            return response
        finally:
            REQUEST_ID.reset(token)

    def _record(
        self,
        request: HttpRequest,
        response: HttpResponse,
        seconds: float,
        queries: int,
    ) -> None:
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None else "<unmatched>"
        metrics.observe_request(request.method or "", route, response.status_code, seconds, queries)
        if request.path == "/healthz" and request.headers.get("User-Agent") == PROBE_AGENT:
            return
        logger.info(
            "%s %s %s %.0fms",
            request.method,
            request.get_full_path(),
            response.status_code,
            seconds * 1000,
            extra={
                "method": request.method,
                "path": request.path,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
                "user_id": _user_id(request),
                "queries": queries,
            },
        )


class _QueryCount:
    """A database execute wrapper that counts the statements a request runs."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def _user_id(request: HttpRequest) -> int | None:
    """The signed-in user's id, without loading a user nobody asked for (Django's lazy user is
    read only if the request read it; DRF puts the user it authenticated in its place)."""
    user = getattr(request, "user", None)
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    return user.pk if user.is_authenticated else None
