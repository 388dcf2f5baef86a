"""/healthz: 200 when the database answers, 503 when it does not. For probes and compose: cheap,
one statement.

/readyz: whether this instance can serve, for a load balancer or an orchestrator: the database
answers, Redis answers when REDIS_URL configures it, and no migration is pending (a new image
started before its migrations ran). 503 with the reason otherwise.
"""

from __future__ import annotations

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, Error, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

# Seconds Redis may take to answer /readyz.
REDIS_TIMEOUT = 2.0
# Once every migration is applied, it stays so for this process: not asked again.
_migrated = False


@never_cache
@require_safe  # GET and HEAD: some probes only send HEAD
def healthz(request: HttpRequest) -> JsonResponse:
    problem = _database_problem()
    if problem:
        return JsonResponse(
            {"status": "unavailable", "database": "error", "detail": problem}, status=503
        )
    return JsonResponse({"status": "ok", "database": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_problem() or "ok"}
    if checks["database"] == "ok":
        checks["migrations"] = "ok" if _migrations_applied() else "pending"
    checks["redis"] = (_redis_problem() or "ok") if settings.REDIS_URL else "not configured"
    ready = all(value in ("ok", "not configured") for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503
    )


def _database_problem() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Error as error:  # not DatabaseError: InterfaceError (a closed connection) is not one
        return type(error).__name__
    return ""


def _migrations_applied() -> bool:
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        _migrated = not plan
    return _migrated


def _redis_problem() -> str:
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
        try:
            client.ping()
        finally:
            client.close()
    except redis.RedisError as error:
        return type(error).__name__
    return ""
