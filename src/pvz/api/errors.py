"""Every API failure leaves as one body, `{"error": {"code", "message", "details", "request_id"}}`.

Domain errors keep their stable code and HTTP status; framework failures (authentication, validation,
unknown paths) are mapped onto the same vocabulary; anything unexpected becomes a bare INTERNAL error
with an incident id (the request's id) that points support at the server log, never at a traceback.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import Field

from pvz.audit.services import audit_access_denied
from pvz.core.errors import DomainError, ErrorCode, NotFound
from pvz.core.logging import get_logger
from pvz.core.outage import OUTAGE_MESSAGE, RETRY_AFTER_SECONDS, connections_drop, is_database_outage
from pvz.core.requestid import current_request_id

log = get_logger(__name__)

# Not a domain outcome: nothing in the domain raises it; the API uses it for unexpected failures.
INTERNAL = ErrorCode.INTERNAL

_STATUS_CODES: dict[int, ErrorCode] = {
    400: ErrorCode.VALIDATION_FAILED,
    401: ErrorCode.NOT_AUTHENTICATED,
    403: ErrorCode.PERMISSION_DENIED,
    404: ErrorCode.NOT_FOUND,
    409: ErrorCode.CONFLICT,
    422: ErrorCode.VALIDATION_FAILED,
    429: ErrorCode.RATE_LIMITED,
}

# Pydantic's own messages are English; the ones a caller meets most often get a Russian source text.
_FIELD_MESSAGES: dict[str, str | Promise] = {
    "missing": _("Обязательное поле."),
    "int_parsing": _("Нужно целое число."),
    "string_too_short": _("Слишком короткое значение."),
    "string_too_long": _("Слишком длинное значение."),
}


class ErrorBody(Schema):
    code: str = Field(description="Stable machine-readable code, e.g. NOT_FOUND.")
    message: str = Field(description="Human-readable message in the caller's language.")
    details: dict[str, Any] = Field(description="Structured context of the failure; may be empty.")
    request_id: str | None = Field(
        default=None,
        description=(
            "The id of the request that produced this answer, as in its X-Request-ID response header and "
            "in the server's log lines; quote it to support. A replayed idempotent answer keeps the id of "
            "the request that first produced it (the header names the current request)."
        ),
    )


class ErrorOut(Schema):
    error: ErrorBody


# The answers operations document, shared by every router. Every request under /api/v1/ may be 429 (the
# rate limit, `pvz.api.ratelimit`); 403 comes from `@requires` and, on writes, from the CSRF check;
# 404 from a point or object of another point; 422 from a query or body that fails validation.
READ_BY_ID_ERRORS: dict[int, type[ErrorOut]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut}
READ_ERRORS: dict[int, type[ErrorOut]] = {**READ_BY_ID_ERRORS, 422: ErrorOut}
WRITE_ERRORS: dict[int, type[ErrorOut]] = {**READ_ERRORS, 400: ErrorOut, 409: ErrorOut}
# The caller's own data (`/me/…`): no point, so no 404.
SELF_READ_ERRORS: dict[int, type[ErrorOut]] = {401: ErrorOut, 429: ErrorOut}
SELF_WRITE_ERRORS: dict[int, type[ErrorOut]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


def _answer(
    api: NinjaAPI, request: HttpRequest, error: DomainError, *, status: int | None = None
) -> HttpResponse:
    """`error` in the shared body, with its code's HTTP status (or `status`: a framework's own)."""
    return api.create_response(request, {"error": error.as_dict()}, status=status or error.http_status)


def _field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    fields = []
    for error in exc.errors:
        location, *path = [str(part) for part in error.get("loc", ())] or ["body"]
        kind = str(error.get("type", ""))
        fields.append(
            {
                "in": location,
                "field": ".".join(path),
                "type": kind,
                "message": str(_FIELD_MESSAGES.get(kind, error.get("msg", ""))),
            }
        )
    return fields


def error_answer(error: DomainError) -> Status[Any]:
    """An error answered rather than raised, with the shared body: for a refusal whose side effect (a
    counted wrong code) must stay saved with the idempotent request's stored answer."""
    return Status(error.http_status, {"error": error.as_dict()})


def audit_denial(request: HttpRequest, *, status: int, details: dict[str, Any]) -> None:
    """A 403 answer goes into the audit log (after the handler's transaction, so it is kept)."""
    if status == 403:
        point = details.get("point")
        audit_access_denied(
            permission=str(details.get("permission", "")),
            point_id=point if isinstance(point, int) else None,
            path=request.path,
        )


def register_error_handlers(api: NinjaAPI) -> None:
    """Framework failures are answered as the domain errors they amount to, so every body is one shape."""

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        audit_denial(request, status=exc.http_status, details=exc.details)
        return _answer(api, request, exc)

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        failed = DomainError(_("Проверьте введённые данные."), details={"fields": _field_errors(exc)})
        return _answer(api, request, failed)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        anonymous = DomainError(_("Войдите в систему, чтобы продолжить."), code=ErrorCode.NOT_AUTHENTICATED)
        return _answer(api, request, anonymous)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        # Ninja raises a bare 403 when the CSRF token of a session request is missing or stale.
        message: str | Promise = (
            _("Страница устарела. Обновите её и повторите действие.")
            if exc.status_code == 403 and "csrf" in exc.message.lower()
            else exc.message
        )
        code = _STATUS_CODES.get(exc.status_code, ErrorCode.VALIDATION_FAILED)
        return _answer(api, request, DomainError(message, code=code), status=exc.status_code)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _answer(api, request, NotFound(details={"path": request.path}))

    @api.exception_handler(RequestDataTooBig)
    def payload_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        # Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE; that is a 413, not a bad request.
        too_large = DomainError(
            _("Слишком большой запрос."),
            code=ErrorCode.PAYLOAD_TOO_LARGE,
            details={"max_bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
        )
        return _answer(api, request, too_large)

    @api.exception_handler(OverflowError)
    def id_out_of_range(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        # SQLite refuses an integer beyond 64 bits before the query runs (PostgreSQL just finds no row):
        # an id no row can have names nothing, so it is the same 404 on both databases, not a 500.
        return not_found(request, Http404())

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        if is_database_outage(exc):
            # The database is away, not a bug: 503 with Retry-After, as Django's handler answers outside
            # the API's views (pvz.config.errors); one log line, the dead connection dropped.
            log.warning(
                "database_unavailable", path=request.path, error=type(exc).__name__, detail=str(exc)[:200]
            )
            connections_drop()
            outage = DomainError(OUTAGE_MESSAGE, code=ErrorCode.SERVICE_UNAVAILABLE)
            response = _answer(api, request, outage)
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        # The request's id (X-Request-ID): the number the person reads out is the one the log lines carry.
        incident = current_request_id() or uuid.uuid4().hex[:12]
        log.exception("api_unhandled_error", incident=incident, method=request.method, path=request.path)
        message = _(
            "Внутренняя ошибка. Повторите позже; если не поможет, сообщите в поддержку номер %(id)s."
        ) % {"id": incident}
        return _answer(api, request, DomainError(message, code=INTERNAL, details={"incident": incident}))
