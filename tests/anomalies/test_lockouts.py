"""Failed attempts per phone and per IP: lockout at the Nth failure, growing backoff, reset on success."""

from __future__ import annotations

import pytest

from pvz.audit.models import AuditRecord
from pvz.core.errors import ErrorCode
from pvz.guard.models import AuthLockout
from pvz.guard.services import LockedOut, attempt_check, attempt_failed, attempt_succeeded

pytestmark = pytest.mark.django_db

PHONE = "+79161234567"
IP = "192.0.2.7"


def fail(times: int, *, phone: str | None = PHONE, ip: str | None = None, kind: str = "login_code") -> None:
    for _ in range(times):
        attempt_failed(kind=kind, phone=phone, ip=ip)


def retry_after(*, phone: str | None = PHONE, ip: str | None = None, kind: str = "login_code") -> int | None:
    try:
        attempt_check(kind=kind, phone=phone, ip=ip)
    except LockedOut as exc:
        assert exc.code == ErrorCode.LOCKED_OUT
        assert exc.http_status == 429
        return exc.details["retry_after"]
    return None


def test_four_failures_do_not_lock_the_phone(clock) -> None:
    fail(4)

    assert retry_after() is None


def test_fifth_failure_locks_the_phone_for_the_base_time(clock) -> None:
    fail(5)

    assert retry_after() == 60
    clock.advance(seconds=59)
    assert retry_after() == 1
    clock.advance(seconds=1)
    assert retry_after() is None


def test_each_further_lockout_within_a_day_doubles(clock) -> None:
    for expected in (60, 120, 240, 480):
        fail(5)
        assert retry_after() == expected
        clock.advance(seconds=expected)
        assert retry_after() is None


def test_backoff_is_capped(clock, settings) -> None:
    settings.PVZ_LOCKOUT_MAX_SECONDS = 100
    seen = []
    for _ in range(3):
        fail(5)
        seen.append(retry_after())
        clock.advance(seconds=seen[-1])

    assert seen == [60, 100, 100]


def test_backoff_starts_again_after_a_day_without_lockouts(clock) -> None:
    fail(5)
    clock.advance(days=1)
    fail(5)

    assert retry_after() == 60


def test_lockout_uses_up_the_failures(clock) -> None:
    fail(5)
    clock.advance(seconds=60)
    fail(4)

    assert retry_after() is None


def test_success_resets_the_phone_count(clock) -> None:
    fail(4)
    attempt_succeeded(kind="login_code", phone=PHONE)
    fail(4)

    assert retry_after() is None


def test_failures_older_than_the_window_do_not_count(clock) -> None:
    fail(4)
    clock.advance(seconds=900)
    fail(1)

    assert retry_after() is None


def test_failures_within_the_window_count(clock) -> None:
    fail(4)
    clock.advance(seconds=899)
    fail(1)

    assert retry_after() == 60


def test_ip_is_locked_at_its_own_threshold_across_phones(clock) -> None:
    for n in range(7):
        attempt_failed(kind="login_code", phone=f"+7916000000{n}", ip=IP)
    assert retry_after(phone="+79160000099", ip=IP) is None

    attempt_failed(kind="login_code", phone="+79160000007", ip=IP)

    assert retry_after(phone="+79160000099", ip=IP) == 60
    assert retry_after(phone="+79160000099", ip="198.51.100.1") is None


def test_success_does_not_reset_the_ip_count(clock) -> None:
    fail(4, phone="+79160000001", ip=IP)
    attempt_succeeded(kind="login_code", phone="+79160000001")
    fail(4, phone="+79160000002", ip=IP)

    assert retry_after(phone="+79160000003", ip=IP) == 60


def test_kinds_are_counted_apart(clock) -> None:
    fail(5, kind="password")

    assert retry_after(kind="password") == 60
    assert retry_after(kind="login_code") is None


def test_lockout_is_audited(clock) -> None:
    fail(5, ip=IP)

    record = AuditRecord.objects.get(action="auth.locked_out")
    assert (record.actor_phone, record.details) == (
        PHONE,
        {"kind": "login_code", "scope": "phone", "key": PHONE, "seconds": 60},
    )
    assert AuthLockout.objects.count() == 1


def test_check_is_one_query(clock, django_assert_num_queries) -> None:
    with django_assert_num_queries(1):
        attempt_check(kind="login_code", phone=PHONE, ip=IP)


def test_purge_keeps_what_the_checks_still_read(clock) -> None:
    from pvz.guard.models import AuthFailure, SmsSend
    from pvz.guard.services import guard_records_purge, sms_send_check

    fail(5)  # a lockout, its failures used up
    fail(1)
    sms_send_check(phone=PHONE, ip=IP)
    clock.advance(hours=1)
    fail(1)
    assert guard_records_purge() == 1  # the failure an hour old
    clock.advance(hours=24, minutes=2)

    assert guard_records_purge() == 3  # the lockout, the SMS send, the newer failure
    assert (AuthFailure.objects.count(), AuthLockout.objects.count(), SmsSend.objects.count()) == (0, 0, 0)
