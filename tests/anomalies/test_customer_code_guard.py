"""The guard inside the counter's customer SMS codes: daily SMS limits and lockout across codes."""

from __future__ import annotations

import pytest

from pvz.core.errors import DomainError, ErrorCode, RateLimited
from pvz.counter.models import CustomerCode, Verification
from pvz.counter.verification import session_sms_code_send, session_sms_code_verify
from pvz.guard.services import LockedOut
from tests.counter.conftest import last_sms_code, wrong

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(counter, django_capture_on_commit_callbacks):
    def send_code(session) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            session_sms_code_send(actor=counter.operator, session=session)
        return last_sms_code(counter.customer.phone)

    return send_code


def test_fourth_customer_code_in_a_day_is_refused(counter, clock, send) -> None:
    session = counter.session(Verification.NONE)
    for _ in range(3):
        send(session)
        clock.advance(minutes=20)

    with pytest.raises(RateLimited) as refused:
        session_sms_code_send(actor=counter.operator, session=session)

    assert refused.value.details == {"retry_after": 23 * 3600, "limit": "phone_day"}
    assert CustomerCode.objects.count() == 3


def test_failures_across_customer_codes_lock_the_phone(counter, clock, send, settings) -> None:
    settings.PVZ_LOCKOUT_PHONE_FAILURES = 6
    session = counter.session(Verification.NONE)
    first = send(session)
    for _ in range(5):
        with pytest.raises(DomainError):
            session_sms_code_verify(actor=counter.operator, session=session, code=wrong(first))
    clock.advance(minutes=1)
    second = send(session)
    with pytest.raises(DomainError) as sixth:
        session_sms_code_verify(actor=counter.operator, session=session, code=wrong(second))
    assert sixth.value.code == ErrorCode.CODE_INVALID

    with pytest.raises(LockedOut) as locked:
        session_sms_code_verify(actor=counter.operator, session=session, code=second)

    assert locked.value.details == {"retry_after": 60}
    clock.advance(seconds=60)
    assert session_sms_code_verify(actor=counter.operator, session=session, code=second).is_verified
