"""/healthz: 200 when the database answers, 503 when it does not. For probes and compose."""

from django.db import Error, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@never_cache
@require_safe  # GET and HEAD: some probes only send HEAD
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Error as error:  # not DatabaseError: InterfaceError (a closed connection) is not one
        return JsonResponse(
            {"status": "unavailable", "database": "error", "detail": type(error).__name__},
            status=503,
        )
    return JsonResponse({"status": "ok", "database": "ok"})
