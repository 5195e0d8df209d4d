"""Phone numbers in one form, E.164, whatever way a person typed them."""

from __future__ import annotations

import phonenumbers
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pvz.core.errors import DomainError, ErrorCode

# People at a Russian counter write "8 916 …" or "916 …" without the country code.
DEFAULT_REGION = "RU"

_NOT_A_NUMBER = _("Это не похоже на номер телефона. Введите номер, например +7 916 123-45-67.")
_TOO_SHORT = _("В номере телефона не хватает цифр. Введите номер полностью, например +7 916 123-45-67.")
_TOO_LONG = _("В номере телефона лишние цифры. Введите номер, например +7 916 123-45-67.")
_BAD_COUNTRY = _("Неизвестный код страны в номере телефона. Российский номер начинается с +7 или 8.")
_NO_SUCH_NUMBER = _("Такого номера телефона не существует. Проверьте код оператора и цифры номера.")

_PARSE_ERRORS: dict[int, Promise] = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: _BAD_COUNTRY,
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: _TOO_SHORT,
    phonenumbers.NumberParseException.TOO_SHORT_NSN: _TOO_SHORT,
    phonenumbers.NumberParseException.TOO_LONG: _TOO_LONG,
}
_IMPOSSIBLE: dict[int, Promise] = {
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: _BAD_COUNTRY,
    phonenumbers.ValidationResult.TOO_SHORT: _TOO_SHORT,
    phonenumbers.ValidationResult.TOO_LONG: _TOO_LONG,
}


def _invalid(message: Promise) -> DomainError:
    return DomainError(message, code=ErrorCode.VALIDATION_FAILED, details={"field": "phone"})


def normalize_phone(raw: str) -> str:
    """The E.164 form (`+79161234567`) of a phone number; raises VALIDATION_FAILED saying what is wrong."""
    try:
        number = phonenumbers.parse(raw or "", DEFAULT_REGION)
    except phonenumbers.NumberParseException as error:
        raise _invalid(_PARSE_ERRORS.get(error.error_type, _NOT_A_NUMBER)) from None
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason in _IMPOSSIBLE:
        raise _invalid(_IMPOSSIBLE[reason])
    if not phonenumbers.is_valid_number(number):
        raise _invalid(_NO_SUCH_NUMBER)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_masked(phone: str | None) -> str:
    """+79161234567 → "+7 916 ***-**-67": enough to confirm with the customer, not enough to copy."""
    if not phone:
        return ""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.startswith("+7") and len(digits) == 11:
        return f"+7 {digits[1:4]} ***-**-{digits[-2:]}"
    return f"***{digits[-2:]}"
