"""Verifying a customer found by search with an SMS code: 10 minutes, single use, 5 tries, resend limits."""

from __future__ import annotations

import datetime as dt

import pytest

from pvz.accounts.models import SmsMessage
from pvz.core.errors import DomainError
from pvz.counter.models import IssueSession, Verification
from pvz.counter.verification import session_sms_code_send, session_sms_code_verify
from tests.counter.conftest import last_sms_code, wrong

pytestmark = pytest.mark.django_db


@pytest.fixture
def send(counter, django_capture_on_commit_callbacks):
    def send_code(session) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            session_sms_code_send(actor=counter.operator, session=session)
        return last_sms_code(counter.customer.phone)

    return send_code


def verify_error(counter, session, code: str) -> DomainError:
    with pytest.raises(DomainError) as error:
        session_sms_code_verify(actor=counter.operator, session=session, code=code)
    return error.value


def test_right_code_verifies_the_session_by_sms(counter, clock, send) -> None:
    session = counter.session(Verification.NONE)
    code = send(session)

    session_sms_code_verify(actor=counter.operator, session=session, code=f" {code} ")

    stored = IssueSession.objects.get(pk=session.pk)
    assert (stored.verification, stored.verified_at) == (Verification.SMS, clock.now())
    assert SmsMessage.objects.get().phone == counter.customer.phone


def test_code_is_valid_for_exactly_10_minutes(counter, clock, send) -> None:
    session = counter.session(Verification.NONE)
    code = send(session)
    clock.advance(minutes=10, microseconds=1)

    assert verify_error(counter, session, code).code == "CODE_EXPIRED"

    clock.advance(minutes=1)
    fresh = send(session)
    clock.advance(minutes=10)
    session_sms_code_verify(actor=counter.operator, session=session, code=fresh)
    assert IssueSession.objects.get(pk=session.pk).verification == Verification.SMS


def test_fifth_wrong_try_kills_the_code_even_for_the_right_one(counter, send) -> None:
    session = counter.session(Verification.NONE)
    code = send(session)

    lefts = [verify_error(counter, session, wrong(code)).details.get("attempts_left") for _ in range(4)]
    fifth = verify_error(counter, session, wrong(code))

    assert lefts == [4, 3, 2, 1]
    assert fifth.code == "CODE_EXHAUSTED"
    assert verify_error(counter, session, code).code == "CODE_EXHAUSTED"
    assert IssueSession.objects.get(pk=session.pk).verification == Verification.NONE


def test_four_wrong_tries_then_the_right_code_verifies(counter, send) -> None:
    session = counter.session(Verification.NONE)
    code = send(session)
    for _ in range(4):
        verify_error(counter, session, wrong(code))

    session_sms_code_verify(actor=counter.operator, session=session, code=code)

    assert IssueSession.objects.get(pk=session.pk).verification == Verification.SMS


def test_a_code_is_single_use_and_only_the_newest_counts(counter, clock, send) -> None:
    session = counter.session(Verification.NONE)
    old = send(session)
    clock.advance(seconds=60)
    new = send(session)

    if old != new:
        assert verify_error(counter, session, old).code == "CODE_INVALID"
    session_sms_code_verify(actor=counter.operator, session=session, code=new)
    assert verify_error(counter, session, new).code == "CODE_INVALID"


def test_resend_is_allowed_at_60_seconds_not_before(counter, clock, send) -> None:
    session = counter.session(Verification.NONE)
    send(session)
    clock.advance(seconds=59, microseconds=500_000)

    with pytest.raises(DomainError) as error:
        session_sms_code_send(actor=counter.operator, session=session)
    assert (error.value.code, error.value.details) == ("RATE_LIMITED", {"retry_after": 1})

    clock.advance(microseconds=500_000)
    send(session)
    assert SmsMessage.objects.count() == 2


def test_at_most_five_codes_an_hour_per_customer(counter, clock, send) -> None:
    session = counter.session(Verification.NONE)
    start = clock.now()
    for _ in range(5):
        send(session)
        clock.advance(seconds=60)

    with pytest.raises(DomainError) as error:
        session_sms_code_send(actor=counter.operator, session=session)
    assert error.value.code == "RATE_LIMITED"
    assert error.value.details["retry_after"] == int(
        (start + dt.timedelta(hours=1) - clock.now()).total_seconds()
    )


def test_no_code_for_a_session_verified_already(counter) -> None:
    with pytest.raises(DomainError) as error:
        session_sms_code_send(actor=counter.operator, session=counter.session(Verification.QR))

    assert error.value.code == "VALIDATION_FAILED"
    assert not SmsMessage.objects.exists()
