"""The server error handler: a database outage is 503 with Retry-After (try again in a few seconds), never
500; anything else is Django's 500. Django calls it inside its `except`, for a failure anywhere in the
middleware or the view, so the exception is still at hand."""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

from pvz.core.errors import ErrorCode
from pvz.core.logging import get_logger
from pvz.core.outage import RETRY_AFTER_SECONDS, connections_drop, is_database_outage

log = get_logger("pvz.outage")


def server_error(request: HttpRequest) -> HttpResponse:
    exc = sys.exc_info()[1]
    if not is_database_outage(exc):
        return defaults.server_error(request)
    log.warning("database_unavailable", path=request.path, error=type(exc).__name__, detail=str(exc)[:200])
    # The failed connection goes back to the pool checked, not reused by the next request of this thread.
    connections_drop()
    message = _("База данных временно недоступна. Повторите через несколько секунд.")
    response: HttpResponse
    if request.path.startswith("/api/"):
        body = {"error": {"code": str(ErrorCode.SERVICE_UNAVAILABLE), "message": message, "details": {}}}
        response = JsonResponse(body, status=503)
    else:
        # Rendered without a request context: the context processors would query the database again.
        html = loader.get_template("503.html").render({"message": message})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
