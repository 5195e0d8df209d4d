"""Limits that count rows and then insert one hold under simultaneous requests: the requests queue on
`core.locks.lock_for_transaction`, so a limit is never passed by two requests that counted at once.
Threads on a real database (PostgreSQL, or the file SQLite whose write transactions are IMMEDIATE)."""

from __future__ import annotations

import pytest
from django.db import transaction

from pvz.core.errors import RateLimited
from pvz.core.locks import lock_for_transaction
from pvz.guard.models import AuthFailure, AuthLockout, SmsSend
from pvz.guard.services import attempt_failed, sms_send_check
from tests.races import race

PHONE = "+79161234567"


@pytest.mark.django_db(transaction=True)
def test_simultaneous_failures_lock_out_exactly_once_at_the_fifth(needs_file_database, clock) -> None:
    for _ in range(3):
        attempt_failed(kind="login_code", phone=PHONE, ip=None)

    # The 4th, 5th, 6th and 7th failure at once: the 5th locks out, the two after it start a new count.
    outcomes = race(*[lambda: attempt_failed(kind="login_code", phone=PHONE, ip=None)] * 4)

    assert outcomes == [None] * 4
    assert AuthLockout.objects.filter(scope="phone", key=PHONE).count() == 1
    assert AuthFailure.objects.filter(scope="phone", key=PHONE).count() == 2


@pytest.mark.django_db(transaction=True)
def test_simultaneous_sms_requests_cannot_both_take_the_last_place(needs_file_database, clock) -> None:
    for _ in range(2):  # the phone's limit is 3 a day (tests/anomalies/conftest.py)
        sms_send_check(phone=PHONE, ip=None)

    outcomes = race(*[lambda: sms_send_check(phone=PHONE, ip=None)] * 4)

    assert sum(outcome is None for outcome in outcomes) == 1
    assert sum(isinstance(outcome, RateLimited) for outcome in outcomes) == 3
    assert SmsSend.objects.filter(phone=PHONE).count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_lock_refuses_to_be_taken_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError):
        lock_for_transaction("anything")
    with transaction.atomic():
        lock_for_transaction("anything")  # inside one it is taken (a no-op on SQLite)
