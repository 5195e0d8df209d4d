"""The guard inside staff login by SMS code: lockout across codes, daily SMS limits."""

from __future__ import annotations

import pytest

from pvz.accounts.models import OneTimeCode, SmsMessage
from pvz.accounts.services import login_code_request, login_code_verify
from pvz.core.errors import DomainError, ErrorCode, RateLimited
from pvz.guard.services import LockedOut
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PHONE = "+79161234567"


@pytest.fixture(autouse=True)
def outbox(settings) -> None:
    settings.PVZ_SMS_BACKEND = "pvz.accounts.sms.OutboxSmsGateway"


@pytest.fixture
def request_code(django_capture_on_commit_callbacks):
    """Request a login code and return the digits from the SMS, or None when none was sent."""

    def request(ip: str | None = None) -> str | None:
        with django_capture_on_commit_callbacks(execute=True):
            login_code_request(phone=PHONE, ip=ip)
        message = SmsMessage.objects.filter(phone=PHONE).order_by("-id").first()
        return message.text.split(": ")[1][:6] if message is not None else None

    return request


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_failures_across_codes_lock_the_phone_even_for_the_right_code(clock, settings, request_code) -> None:
    settings.PVZ_LOCKOUT_PHONE_FAILURES = 6
    UserFactory(phone=PHONE)
    first = request_code(ip="192.0.2.7")
    for _ in range(5):
        with pytest.raises(DomainError):
            login_code_verify(phone=PHONE, code=_wrong(first), ip="192.0.2.7")
    clock.advance(seconds=60)
    second = request_code(ip="192.0.2.7")
    with pytest.raises(DomainError) as sixth:
        login_code_verify(phone=PHONE, code=_wrong(second), ip="192.0.2.7")
    assert sixth.value.code == ErrorCode.CODE_INVALID

    with pytest.raises(LockedOut) as locked:
        login_code_verify(phone=PHONE, code=second, ip="192.0.2.7")

    assert locked.value.details == {"retry_after": 60}
    clock.advance(seconds=60)
    assert login_code_verify(phone=PHONE, code=second, ip="192.0.2.7").phone == PHONE


def test_login_codes_stop_at_the_daily_limit_per_phone(clock, request_code) -> None:
    UserFactory(phone=PHONE)
    for _ in range(3):
        assert request_code() is not None
        clock.advance(minutes=20)  # past the 1/min and 5/h limits of the codes themselves

    with pytest.raises(RateLimited) as refused:
        login_code_request(phone=PHONE)

    # The first of the three was sent 60 minutes ago: a day after it, the phone may get one again.
    assert refused.value.details == {"retry_after": 23 * 3600, "limit": "phone_day"}
    assert OneTimeCode.objects.filter(phone=PHONE).count() == 3
    assert SmsMessage.objects.filter(phone=PHONE).count() == 3


def test_unknown_phone_gets_the_same_daily_limit(clock) -> None:
    for _ in range(3):
        login_code_request(phone=PHONE)
        clock.advance(minutes=20)

    with pytest.raises(RateLimited) as refused:
        login_code_request(phone=PHONE)

    assert refused.value.details["limit"] == "phone_day"
    assert SmsMessage.objects.count() == 0
