"""One application error class with a stable code; every interface renders it the same way."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pvz.core.requestid import current_request_id


class ErrorCode(StrEnum):
    VALIDATION_FAILED = "VALIDATION_FAILED"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_ACCEPTED = "ALREADY_ACCEPTED"
    ALREADY_ISSUED = "ALREADY_ISSUED"
    WRONG_CUSTOMER = "WRONG_CUSTOMER"
    STORAGE_EXPIRED = "STORAGE_EXPIRED"
    STORAGE_NOT_EXPIRED = "STORAGE_NOT_EXPIRED"
    RETURN_WINDOW_CLOSED = "RETURN_WINDOW_CLOSED"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    CELL_FULL = "CELL_FULL"
    CELL_TOO_SMALL = "CELL_TOO_SMALL"
    VERIFICATION_REQUIRED = "VERIFICATION_REQUIRED"
    ID_CHECK_REQUIRED = "ID_CHECK_REQUIRED"
    PAYMENT_REQUIRED = "PAYMENT_REQUIRED"
    CONFLICT = "CONFLICT"
    IDEMPOTENCY_MISMATCH = "IDEMPOTENCY_MISMATCH"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    RATE_LIMITED = "RATE_LIMITED"
    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    SESSION_ENDED = "SESSION_ENDED"
    CODE_INVALID = "CODE_INVALID"
    CODE_EXPIRED = "CODE_EXPIRED"
    CODE_EXHAUSTED = "CODE_EXHAUSTED"
    NO_MEMBERSHIP = "NO_MEMBERSHIP"
    INTERNAL = "INTERNAL"
    NO_FREE_CELL = "NO_FREE_CELL"
    ACCEPTANCE_CLOSED = "ACCEPTANCE_CLOSED"
    NOTHING_TO_UNDO = "NOTHING_TO_UNDO"
    INVENTORY_CLOSED = "INVENTORY_CLOSED"
    NO_CURRENT_CELL = "NO_CURRENT_CELL"
    CELL_OUT_OF_SCOPE = "CELL_OUT_OF_SCOPE"
    CELL_RETIRED = "CELL_RETIRED"
    ALREADY_EXTENDED = "ALREADY_EXTENDED"
    SESSION_CLOSED = "SESSION_CLOSED"
    WRONG_PARTNER = "WRONG_PARTNER"
    TOTE_SEALED = "TOTE_SEALED"
    HANDOVER_BLOCKED = "HANDOVER_BLOCKED"
    CARRIAGE_CLOSED = "CARRIAGE_CLOSED"
    POINT_CLOSING = "POINT_CLOSING"
    POINT_CLOSED = "POINT_CLOSED"
    LOCKED_OUT = "LOCKED_OUT"
    ACCOUNT_SUSPENDED = "ACCOUNT_SUSPENDED"
    PASSWORD_WEAK = "PASSWORD_WEAK"  # noqa: S105 (an error code)
    PASSWORD_INVALID = "PASSWORD_INVALID"  # noqa: S105 (an error code)
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    MANIFEST_INVALID = "MANIFEST_INVALID"
    TRY_ON_NOT_ALLOWED = "TRY_ON_NOT_ALLOWED"
    PARTIAL_REFUSAL_NOT_ALLOWED = "PARTIAL_REFUSAL_NOT_ALLOWED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


# HTTP status each code maps to in the API; anything unlisted is 400.
HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.VALIDATION_FAILED: 422,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.INVALID_TRANSITION: 409,
    ErrorCode.ALREADY_ACCEPTED: 409,
    ErrorCode.ALREADY_ISSUED: 409,
    ErrorCode.IDEMPOTENCY_MISMATCH: 422,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.NOT_AUTHENTICATED: 401,
    ErrorCode.SESSION_ENDED: 401,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL: 500,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.NO_FREE_CELL: 409,
    ErrorCode.CELL_FULL: 409,
    ErrorCode.CELL_TOO_SMALL: 422,
    ErrorCode.ACCEPTANCE_CLOSED: 409,
    ErrorCode.NOTHING_TO_UNDO: 409,
    ErrorCode.INVENTORY_CLOSED: 409,
    ErrorCode.NO_CURRENT_CELL: 409,
    ErrorCode.CELL_OUT_OF_SCOPE: 422,
    ErrorCode.CELL_RETIRED: 409,
    ErrorCode.ALREADY_EXTENDED: 409,
    ErrorCode.STORAGE_NOT_EXPIRED: 409,
    ErrorCode.STORAGE_EXPIRED: 409,
    ErrorCode.SESSION_CLOSED: 409,
    ErrorCode.WRONG_PARTNER: 409,
    ErrorCode.TOTE_SEALED: 409,
    ErrorCode.HANDOVER_BLOCKED: 409,
    ErrorCode.CARRIAGE_CLOSED: 409,
    ErrorCode.POINT_CLOSING: 409,
    ErrorCode.POINT_CLOSED: 409,
    ErrorCode.WRONG_CUSTOMER: 409,
    ErrorCode.VERIFICATION_REQUIRED: 409,
    ErrorCode.ID_CHECK_REQUIRED: 409,
    ErrorCode.PAYMENT_REQUIRED: 409,
    ErrorCode.RETURN_WINDOW_CLOSED: 409,
    ErrorCode.LOCKED_OUT: 429,
    ErrorCode.ACCOUNT_SUSPENDED: 403,
    ErrorCode.PASSWORD_WEAK: 422,
    ErrorCode.PASSWORD_INVALID: 400,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.MANIFEST_INVALID: 422,
    ErrorCode.TRY_ON_NOT_ALLOWED: 409,
    ErrorCode.PARTIAL_REFUSAL_NOT_ALLOWED: 409,
}


class DomainError(Exception):
    """A failure a person can act on: stable `code`, translated `message`, structured `details`."""

    code: ErrorCode = ErrorCode.VALIDATION_FAILED
    default_message: str | Promise = _("Проверьте введённые данные.")

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        code: ErrorCode | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        if code is not None:
            self.code = code
        self.message = message if message is not None else self.default_message
        self.details = details or {}
        super().__init__(str(self.message))

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)

    def as_dict(self) -> dict[str, Any]:
        """The error in an answer's body; within a request it names the request (`X-Request-ID`), so a
        stored idempotent answer replayed later still names the request whose log lines explain it."""
        body: dict[str, Any] = {"code": str(self.code), "message": str(self.message), "details": self.details}
        request_id = current_request_id()
        if request_id is not None:
            body["request_id"] = request_id
        return body


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND
    default_message = _("Не найдено.")


class PermissionDenied(DomainError):
    code = ErrorCode.PERMISSION_DENIED
    default_message = _("Недостаточно прав для этого действия.")


class InvalidTransition(DomainError):
    """A status change its lifecycle's table does not allow (`pvz.core.lifecycle`)."""

    code = ErrorCode.INVALID_TRANSITION
    default_message = _("Это действие недоступно для отправления в его текущем статусе.")


class Conflict(DomainError):
    code = ErrorCode.CONFLICT
    default_message = _("Кто-то изменил эти данные одновременно с вами. Обновите и повторите.")


class RateLimited(DomainError):
    code = ErrorCode.RATE_LIMITED
    default_message = _("Слишком много попыток. Подождите и повторите.")
