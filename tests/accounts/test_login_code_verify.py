from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

import pytest
from django.conf import settings

from pvz.accounts.models import OneTimeCode
from pvz.accounts.services import login_code_verify
from pvz.core.clock import FrozenClock
from pvz.core.errors import DomainError, ErrorCode
from tests.accounts.conftest import PHONE, wrong
from tests.factories import UserFactory

RequestCode = Callable[..., str]


def refusal(code: str, phone: str = PHONE) -> DomainError:
    with pytest.raises(DomainError) as caught:
        login_code_verify(phone=phone, code=code)
    return caught.value


@pytest.mark.django_db
def test_right_code_logs_the_user_in_and_is_spent(clock: FrozenClock, request_code: RequestCode) -> None:
    user = UserFactory(phone=PHONE)
    code = request_code()

    assert login_code_verify(phone=PHONE, code=code) == user
    assert OneTimeCode.objects.get().used_at == clock.now()


@pytest.mark.django_db
def test_phone_is_normalised_before_the_code_is_checked(
    clock: FrozenClock, request_code: RequestCode
) -> None:
    user = UserFactory(phone=PHONE)
    code = request_code()

    assert login_code_verify(phone="8 916 123-45-67", code=code) == user


@pytest.mark.django_db
def test_code_typed_with_spaces_is_accepted(clock: FrozenClock, request_code: RequestCode) -> None:
    user = UserFactory(phone=PHONE)
    code = request_code()

    assert login_code_verify(phone=PHONE, code=f" {code[:3]} {code[3:]} ") == user


@pytest.mark.django_db
def test_code_is_valid_at_exactly_ten_minutes(clock: FrozenClock, request_code: RequestCode) -> None:
    user = UserFactory(phone=PHONE)
    code = request_code()

    clock.advance(minutes=10)

    assert login_code_verify(phone=PHONE, code=code) == user


@pytest.mark.django_db
def test_code_is_expired_one_microsecond_after_ten_minutes(
    clock: FrozenClock, request_code: RequestCode
) -> None:
    UserFactory(phone=PHONE)
    code = request_code()

    clock.advance(minutes=10, microseconds=1)

    assert refusal(code).code == ErrorCode.CODE_EXPIRED


@pytest.mark.django_db
def test_four_wrong_attempts_leave_the_right_code_working(
    clock: FrozenClock, request_code: RequestCode
) -> None:
    user = UserFactory(phone=PHONE)
    code = request_code()

    errors = [refusal(wrong(code)) for _ in range(4)]

    assert [e.code for e in errors] == [ErrorCode.CODE_INVALID] * 4
    assert [e.details["attempts_left"] for e in errors] == [4, 3, 2, 1]
    assert login_code_verify(phone=PHONE, code=code) == user


@pytest.mark.django_db
def test_code_is_dead_after_five_wrong_attempts(clock: FrozenClock, request_code: RequestCode) -> None:
    UserFactory(phone=PHONE)
    code = request_code()
    for _ in range(4):
        refusal(wrong(code))

    fifth = refusal(wrong(code))
    with_right_code = refusal(code)

    assert fifth.code == ErrorCode.CODE_EXHAUSTED
    assert with_right_code.code == ErrorCode.CODE_EXHAUSTED
    assert OneTimeCode.objects.get().attempts == 5
    assert OneTimeCode.objects.get().used_at is None


@pytest.mark.django_db(transaction=True)
def test_wrong_attempt_is_committed_although_an_error_is_raised(
    clock: FrozenClock, request_code: RequestCode
) -> None:
    UserFactory(phone=PHONE)
    code = request_code()

    refusal(wrong(code))

    assert OneTimeCode.objects.get().attempts == 1


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["12345", "1234567", "12a456", "", "１２３４５６"])
def test_code_of_the_wrong_shape_is_refused_and_counts_as_an_attempt(
    clock: FrozenClock, request_code: RequestCode, typed: str
) -> None:
    UserFactory(phone=PHONE)
    request_code()

    error = refusal(typed)

    assert error.code == ErrorCode.CODE_INVALID
    assert error.details == {"attempts_left": 4}
    assert OneTimeCode.objects.get().attempts == 1


@pytest.mark.django_db
def test_code_cannot_be_used_twice(clock: FrozenClock, request_code: RequestCode) -> None:
    UserFactory(phone=PHONE)
    code = request_code()
    login_code_verify(phone=PHONE, code=code)

    assert refusal(code).code == ErrorCode.CODE_INVALID


@pytest.mark.django_db
def test_phone_without_any_code_is_refused_as_invalid(clock: FrozenClock) -> None:
    UserFactory(phone=PHONE)

    error = refusal("123456")

    assert error.code == ErrorCode.CODE_INVALID
    assert error.details == {}


@pytest.mark.django_db
def test_newer_code_retires_the_older_one(
    clock: FrozenClock, request_code: RequestCode, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = UserFactory(phone=PHONE)
    drawn = iter([111111, 222222])
    monkeypatch.setattr("pvz.core.codes.secrets.randbelow", lambda _limit: next(drawn))
    older = request_code()
    clock.advance(seconds=60)
    newer = request_code()

    assert (older, newer) == ("111111", "222222")
    assert refusal(older).code == ErrorCode.CODE_INVALID
    assert login_code_verify(phone=PHONE, code=newer) == user


@pytest.mark.django_db
def test_deactivated_user_is_refused_even_with_the_right_code(
    clock: FrozenClock, request_code: RequestCode
) -> None:
    user = UserFactory(phone=PHONE)
    code = request_code()
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert refusal(code).code == ErrorCode.CODE_INVALID


@pytest.mark.django_db
def test_code_is_kept_only_as_a_keyed_hash(clock: FrozenClock, request_code: RequestCode) -> None:
    UserFactory(phone=PHONE)
    code = request_code()

    expected = hmac.new(
        settings.SECRET_KEY.encode(), f"{PHONE}:login:{code}".encode(), hashlib.sha256
    ).hexdigest()
    assert OneTimeCode.objects.get().code_hash == expected


@pytest.mark.django_db
def test_expiry_is_reported_before_a_wrong_code_is_counted(
    clock: FrozenClock, request_code: RequestCode
) -> None:
    UserFactory(phone=PHONE)
    code = request_code()
    clock.advance(minutes=11)

    assert refusal(wrong(code)).code == ErrorCode.CODE_EXPIRED
    assert OneTimeCode.objects.get().attempts == 0
