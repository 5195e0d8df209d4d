from __future__ import annotations

import datetime as dt
import re

import pytest
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from pvz.accounts.models import CodePurpose, OneTimeCode, SmsMessage
from pvz.accounts.services import login_code_request
from pvz.core.clock import FrozenClock
from pvz.core.errors import DomainError, ErrorCode, RateLimited
from tests.accounts.conftest import PHONE
from tests.factories import UserFactory

SMS_TEXT = re.compile(r"^Код для входа в OpenPVZ: (\d{6})\. Никому не сообщайте его\.$")
STRANGER = "+79035550101"


def retry_after_of(phone: str) -> int:
    with pytest.raises(RateLimited) as caught:
        login_code_request(phone=phone)
    assert caught.value.code == ErrorCode.RATE_LIMITED
    return caught.value.details["retry_after"]


@pytest.mark.django_db
def test_sms_is_sent_only_after_commit_and_lands_in_the_outbox(
    clock: FrozenClock, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    UserFactory(phone=PHONE)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        login_code_request(phone=PHONE)
    assert SmsMessage.objects.count() == 0
    assert len(callbacks) == 1

    callbacks[0]()
    message = SmsMessage.objects.get()
    assert message.phone == PHONE
    assert message.created_at == clock.now()
    assert SMS_TEXT.match(message.text), message.text


@pytest.mark.django_db
def test_code_is_stored_for_ten_minutes_with_the_requesting_ip(clock: FrozenClock) -> None:
    UserFactory(phone=PHONE)

    login_code_request(phone="8 (916) 123-45-67", ip="192.0.2.7")

    otp = OneTimeCode.objects.get()
    assert otp.phone == PHONE
    assert otp.purpose == CodePurpose.LOGIN
    assert otp.created_at == clock.now()
    assert otp.expires_at == clock.now() + dt.timedelta(minutes=10)
    assert otp.attempts == 0
    assert otp.used_at is None
    assert otp.ip == "192.0.2.7"


@pytest.mark.django_db
def test_second_code_within_a_minute_is_refused(clock: FrozenClock) -> None:
    UserFactory(phone=PHONE)
    login_code_request(phone=PHONE)

    clock.advance(seconds=59)

    assert retry_after_of(PHONE) == 1
    assert OneTimeCode.objects.count() == 1


@pytest.mark.django_db
def test_second_code_after_a_full_minute_is_allowed(clock: FrozenClock) -> None:
    UserFactory(phone=PHONE)
    login_code_request(phone=PHONE)

    clock.advance(seconds=60)
    login_code_request(phone=PHONE)

    assert OneTimeCode.objects.count() == 2


@pytest.mark.django_db
def test_sixth_code_in_an_hour_is_refused_until_the_first_leaves_the_hour(clock: FrozenClock) -> None:
    UserFactory(phone=PHONE)
    start = clock.now()
    for minute in range(5):
        clock.set(start + dt.timedelta(minutes=minute))
        login_code_request(phone=PHONE)

    clock.set(start + dt.timedelta(minutes=5))
    assert retry_after_of(PHONE) == 55 * 60
    clock.set(start + dt.timedelta(minutes=59, seconds=59))
    assert retry_after_of(PHONE) == 1
    assert OneTimeCode.objects.count() == 5

    clock.set(start + dt.timedelta(hours=1))
    login_code_request(phone=PHONE)
    assert OneTimeCode.objects.count() == 6


@pytest.mark.django_db
def test_rate_limited_request_sends_nothing(
    clock: FrozenClock, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    UserFactory(phone=PHONE)
    with django_capture_on_commit_callbacks(execute=True):
        login_code_request(phone=PHONE)
    clock.advance(seconds=10)

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RateLimited):
        login_code_request(phone=PHONE)

    assert callbacks == []
    assert SmsMessage.objects.count() == 1


@pytest.mark.django_db
def test_unknown_phone_gets_the_same_answer_and_limits_but_no_sms(
    clock: FrozenClock, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    UserFactory(phone=PHONE)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        login_code_request(phone=PHONE)
        login_code_request(phone=STRANGER)
    clock.advance(seconds=30)

    assert len(callbacks) == 1
    assert list(SmsMessage.objects.values_list("phone", flat=True)) == [PHONE]
    assert retry_after_of(STRANGER) == retry_after_of(PHONE) == 30


@pytest.mark.django_db
def test_inactive_user_gets_no_sms(
    clock: FrozenClock, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    UserFactory(phone=PHONE, is_active=False)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        login_code_request(phone=PHONE)

    assert callbacks == []
    assert SmsMessage.objects.count() == 0
    assert OneTimeCode.objects.filter(phone=PHONE).count() == 1


@pytest.mark.django_db
def test_invalid_phone_is_refused_before_anything_is_stored(clock: FrozenClock) -> None:
    with pytest.raises(DomainError) as caught:
        login_code_request(phone="12345")

    assert caught.value.code == ErrorCode.VALIDATION_FAILED
    assert caught.value.details == {"field": "phone"}
    assert OneTimeCode.objects.count() == 0
