from __future__ import annotations

import pytest

from pvz.core.errors import DomainError, ErrorCode
from pvz.core.phone import normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "8 916 123-45-67",
        "+7 (916) 123 45 67",
        "+79161234567",
        "89161234567",
        "916 123 45 67",
        " 7-916-123-45-67 ",
    ],
)
def test_russian_mobile_written_any_usual_way_becomes_e164(raw: str) -> None:
    assert normalize_phone(raw) == "+79161234567"


def test_foreign_number_with_country_code_keeps_its_country() -> None:
    assert normalize_phone("+1 650 253 0000") == "+16502530000"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("", "не похоже на номер телефона"),
        ("позвоните мне", "не похоже на номер телефона"),
        ("+7 916 123 45 6", "не хватает цифр"),
        ("123", "не хватает цифр"),
        ("+7 916 123 45 67 89 01 23 45 67", "лишние цифры"),
        ("+999 123 45 67", "Неизвестный код страны"),
        ("+7 123 456 78 90", "не существует"),
    ],
)
def test_invalid_phone_is_refused_saying_what_is_wrong(raw: str, says: str) -> None:
    with pytest.raises(DomainError) as caught:
        normalize_phone(raw)

    assert caught.value.code == ErrorCode.VALIDATION_FAILED
    assert caught.value.details == {"field": "phone"}
    assert says in str(caught.value.message)
