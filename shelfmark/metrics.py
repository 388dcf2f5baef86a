"""Prometheus metrics at /metrics, for whoever watches the service.

- ``shelfmark_http_requests_total`` {method, route, status}: requests answered;
- ``shelfmark_http_request_duration_seconds`` {method, route}: how long they took (a
  histogram);
- ``shelfmark_db_queries_total`` {route}: the database statements they ran;
- ``shelfmark_tasks`` {queue, status}: the background tasks the database holds (ready ones are
  the queue's depth; failed ones stay until purged), read when scraped.

Under gunicorn each worker is a process of its own: with ``PROMETHEUS_MULTIPROC_DIR`` set (the
Docker image sets it, and ``./scripts/serve --production``), prometheus_client keeps every
worker's numbers in files there and a scrape adds them up, whichever worker answers.

/metrics is off (404) until ``METRICS_TOKEN`` is set; then it asks for that token as a bearer
token (``Authorization: Bearer …``), so the numbers are for the monitoring, not for anyone.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterator

from django.conf import settings
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

REQUESTS = Counter(
    "shelfmark_http_requests",
    "HTTP requests answered, by method, route (URL pattern) and status.",
    ["method", "route", "status"],
)
DURATION = Histogram(
    "shelfmark_http_request_duration_seconds",
    "How long HTTP requests took, by method and route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
QUERIES = Counter(
    "shelfmark_db_queries",
    "Database statements HTTP requests ran, by route.",
    ["route"],
)


def observe_request(method: str, route: str, status: int, seconds: float, queries: int) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    DURATION.labels(method, route).observe(seconds)
    QUERIES.labels(route).inc(queries)


class TaskCollector(Collector):
    """The background tasks in the database, by queue and status, counted when scraped."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django_tasks_db.models import DBTaskResult

        family = GaugeMetricFamily(
            "shelfmark_tasks",
            "Background tasks in the database by queue and status (READY is the queue's "
            "depth; FAILED ones stay until purged).",
            labels=["queue", "status"],
        )
        counts = DBTaskResult.objects.values("queue_name", "status").annotate(n=Count("id"))
        for row in counts.order_by("queue_name", "status"):
            family.add_metric([row["queue_name"], row["status"]], row["n"])
        yield family


@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        response = HttpResponse("A bearer token is needed: METRICS_TOKEN.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    tasks = CollectorRegistry()
    tasks.register(TaskCollector())
    return HttpResponse(body + generate_latest(tasks), content_type=CONTENT_TYPE_LATEST)
