"""Liveness and readiness: answers 200 only when the database answers."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from pvz.core.readiness import readiness
from pvz.web.permissions import public_page


@public_page
@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means not ready
        return JsonResponse({"status": "error", "database": type(exc).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@public_page
@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness for a load balancer: 200 when the database (and Redis, where configured) answer; the job
    backlog is reported beside them (pvz.core.readiness)."""
    ready, report = readiness()
    return JsonResponse(report, status=200 if ready else 503)
