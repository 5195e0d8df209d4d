"""How a refused manifest is reported: MANIFEST_INVALID with `details.errors` = [{line, field, code,
message}], the per-line codes stable for partners' integrations and each with its Russian message."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from pvz.core.errors import DomainError, ErrorCode

# Per-line error codes (stable, in `details.errors[].code`).
REQUIRED = "required"
INVALID = "invalid"
TOO_LONG = "too_long"
DUPLICATE = "duplicate"
ALREADY_EXISTS = "already_exists"
UNKNOWN_FIELD = "unknown_field"
UNKNOWN_POINT = "unknown_point"
POINT_NOT_SERVED = "point_not_served"
BAD_SIZE = "bad_size"
NOT_POSITIVE = "not_positive"
NEGATIVE = "negative"
TOO_LARGE = "too_large"
BAD_PHONE = "bad_phone"
ORDER_CUSTOMER_MISMATCH = "order_customer_mismatch"
EMPTY = "empty"
TOO_MANY = "too_many"

MESSAGES: dict[str, Any] = {
    REQUIRED: _("Обязательное поле."),
    INVALID: _("Неверное значение."),
    TOO_LONG: _("Слишком длинное значение."),
    DUPLICATE: _("Значение повторяется в манифесте."),
    ALREADY_EXISTS: _("Такое отправление у партнёра уже есть."),
    UNKNOWN_FIELD: _("Неизвестное поле."),
    UNKNOWN_POINT: _("Нет такой точки."),
    POINT_NOT_SERVED: _("Партнёр не работает с этой точкой."),
    BAD_SIZE: _("Размер должен быть одним из S, M, L, XL."),
    NOT_POSITIVE: _("Значение должно быть больше нуля."),
    NEGATIVE: _("Сумма не может быть отрицательной."),
    TOO_LARGE: _("Слишком большое значение."),
    BAD_PHONE: _("Неверный номер телефона."),
    ORDER_CUSTOMER_MISMATCH: _("Заказ с этим номером принадлежит другому покупателю."),
    EMPTY: _("В манифесте нет отправлений."),
    TOO_MANY: _("Слишком много отправлений в одном манифесте."),
}


class ManifestInvalid(DomainError):
    code = ErrorCode.MANIFEST_INVALID
    default_message = _("Манифест не принят: исправьте ошибки в строках и отправьте его целиком заново.")


def manifest_error(line: int | None, field: str, code: str) -> dict[str, Any]:
    """One entry of `details.errors`: `line` None for the manifest's own fields."""
    return {"line": line, "field": field, "code": code, "message": str(MESSAGES[code])}
