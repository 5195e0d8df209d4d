"""SMS code limits against SMS pumping: per phone a day, per IP an hour and a day, the platform a day."""

from __future__ import annotations

import pytest

from pvz.core.errors import ErrorCode, RateLimited
from pvz.guard.models import SmsSend
from pvz.guard.services import sms_send_check

pytestmark = pytest.mark.django_db

IP = "192.0.2.7"


def refused(*, phone: str, ip: str | None = None) -> dict | None:
    try:
        sms_send_check(phone=phone, ip=ip)
    except RateLimited as exc:
        assert (exc.code, exc.http_status) == (ErrorCode.RATE_LIMITED, 429)
        return exc.details
    return None


def test_third_sms_to_a_phone_in_a_day_passes_and_the_fourth_is_refused(clock) -> None:
    for _ in range(3):
        assert refused(phone="+79160000001") is None
        clock.advance(hours=1)

    assert refused(phone="+79160000001") == {"retry_after": 21 * 3600, "limit": "phone_day"}
    assert refused(phone="+79160000002") is None
    assert SmsSend.objects.filter(phone="+79160000001").count() == 3


def test_phone_may_get_an_sms_again_a_day_after_its_oldest(clock) -> None:
    for _ in range(3):
        sms_send_check(phone="+79160000001", ip=None)
    clock.advance(seconds=24 * 3600 - 1)
    assert refused(phone="+79160000001") == {"retry_after": 1, "limit": "phone_day"}

    clock.advance(seconds=1)

    assert refused(phone="+79160000001") is None


def test_ip_hourly_limit_at_three_and_four(clock) -> None:
    for n in range(3):
        assert refused(phone=f"+7916000000{n}", ip=IP) is None
        clock.advance(minutes=10)

    assert refused(phone="+79160000009", ip=IP) == {"retry_after": 30 * 60, "limit": "ip_hour"}
    assert refused(phone="+79160000009", ip="198.51.100.1") is None


def test_ip_daily_limit_at_five_and_six(clock) -> None:
    for n in range(5):
        assert refused(phone=f"+7916000000{n}", ip=IP) is None
        clock.advance(hours=1)

    assert refused(phone="+79160000009", ip=IP) == {"retry_after": 19 * 3600, "limit": "ip_day"}


def test_platform_daily_cap_at_seven_and_eight(clock) -> None:
    for n in range(7):
        assert refused(phone=f"+7916000000{n}") is None
    clock.advance(hours=2)

    assert refused(phone="+79160000009") == {"retry_after": 22 * 3600, "limit": "platform_day"}
