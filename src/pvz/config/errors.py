"""The server error handler: a database outage is 503 with Retry-After (try again in a few seconds), never
500; anything else is a 500. Django calls it inside its `except`, for a failure anywhere in the
middleware or the view, so the exception is still at hand. Both answers name the request's id
(`pvz.core.requestid`), which support finds in the log lines of the failure."""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

from pvz.core.errors import DomainError, ErrorCode
from pvz.core.logging import get_logger
from pvz.core.outage import OUTAGE_MESSAGE, RETRY_AFTER_SECONDS, connections_drop, is_database_outage
from pvz.core.requestid import current_request_id

log = get_logger("pvz.outage")


def server_error(request: HttpRequest) -> HttpResponse:
    exc = sys.exc_info()[1]
    if not is_database_outage(exc):
        return _internal_error(request)
    log.warning("database_unavailable", path=request.path, error=type(exc).__name__, detail=str(exc)[:200])
    # The failed connection goes back to the pool checked, not reused by the next request of this thread.
    connections_drop()
    message = OUTAGE_MESSAGE
    response: HttpResponse
    if request.path.startswith("/api/"):
        error = DomainError(message, code=ErrorCode.SERVICE_UNAVAILABLE)
        response = JsonResponse({"error": error.as_dict()}, status=503)
    else:
        # Rendered without a request context: the context processors would query the database again.
        context = {"message": message, "request_id": current_request_id()}
        response = HttpResponse(loader.get_template("503.html").render(context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _internal_error(request: HttpRequest) -> HttpResponse:
    """A failure outside the API's own handler (a middleware's): the API's body for API paths, else the
    `500.html` page, rendered without a request context (as Django's own handler does, so that a failing
    context processor cannot fail the error page too); both name the request's id."""
    if request.path.startswith("/api/"):
        message = _(
            "Внутренняя ошибка. Повторите позже; если не поможет, сообщите в поддержку номер запроса."
        )
        error = DomainError(message, code=ErrorCode.INTERNAL)
        return JsonResponse({"error": error.as_dict()}, status=500)
    page = loader.get_template("500.html").render({"request_id": current_request_id()})
    return HttpResponseServerError(page)
