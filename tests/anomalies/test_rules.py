"""Rules over counter operations fire at their thresholds and not one below."""

from __future__ import annotations

import pytest

from pvz.anomalies.models import AnomalyFlag, Rule
from pvz.anomalies.rules import point_is_open
from pvz.audit.models import AuditRecord
from pvz.counter.models import Verification
from pvz.counter.services import session_open
from pvz.counter.verification import session_sms_code_send, session_sms_code_verify
from tests.anomalies.helpers import issue, rules_fired
from tests.counter.conftest import last_sms_code
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

WEEK = {day: ["09:00", "21:00"] for day in ("mon", "tue", "wed", "thu", "fri")} | {"sat": None, "sun": None}


# ---- issues without a parcel scan -----------------------------------------------------------------------


def test_two_typed_parcels_issued_raise_no_flag(counter) -> None:
    issue(counter, typed=1)
    issue(counter, typed=1, scanned=3)

    assert rules_fired() == []


def test_third_typed_parcel_issued_within_the_hour_raises_a_flag(counter) -> None:
    issue(counter, typed=2)
    issue(counter, typed=1)

    flag = AnomalyFlag.objects.get()
    assert (flag.rule, flag.user, flag.point, flag.details) == (
        Rule.UNSCANNED_ISSUES,
        counter.operator,
        counter.point,
        {"count": 3, "threshold": 3, "minutes": 60},
    )
    assert AuditRecord.objects.filter(action="anomaly.flagged", object_id=str(flag.pk)).count() == 1


def test_typed_parcels_an_hour_apart_do_not_add_up(counter, clock) -> None:
    issue(counter, typed=2)
    clock.advance(minutes=60)
    issue(counter, typed=1)

    assert rules_fired() == []


def test_counting_starts_again_after_a_flag(counter, clock) -> None:
    issue(counter, typed=3)
    clock.advance(minutes=1)
    issue(counter, typed=2)
    assert rules_fired() == [Rule.UNSCANNED_ISSUES]

    issue(counter, typed=1)

    assert rules_fired() == [Rule.UNSCANNED_ISSUES, Rule.UNSCANNED_ISSUES]


# ---- manual code entry ------------------------------------------------------------------------------------


def test_two_typed_pickup_codes_raise_no_flag(counter) -> None:
    issue(counter, scanned=1, verification=Verification.PICKUP_CODE)
    issue(counter, scanned=1, verification=Verification.PICKUP_CODE)
    issue(counter, scanned=1)  # the scanned QR is not manual entry

    assert rules_fired() == []


def test_third_typed_pickup_code_within_ten_minutes_raises_a_flag(counter, clock) -> None:
    issue(counter, scanned=1, verification=Verification.PICKUP_CODE)
    clock.advance(minutes=5)
    issue(counter, scanned=1, verification=Verification.PICKUP_CODE)
    clock.advance(minutes=4, seconds=59)
    issue(counter, scanned=1, verification=Verification.PICKUP_CODE)

    flag = AnomalyFlag.objects.get()
    assert (flag.rule, flag.details) == (Rule.MANUAL_CODES, {"count": 3, "threshold": 3, "minutes": 10})


def test_pickup_codes_ten_minutes_apart_do_not_add_up(counter, clock) -> None:
    issue(counter, scanned=1, verification=Verification.PICKUP_CODE)
    clock.advance(minutes=5)
    issue(counter, scanned=1, verification=Verification.PICKUP_CODE)
    clock.advance(minutes=5)
    issue(counter, scanned=1, verification=Verification.PICKUP_CODE)

    assert rules_fired() == []


def test_pickup_code_counting_starts_again_after_a_flag(counter, clock) -> None:
    for _ in range(3):
        issue(counter, scanned=1, verification=Verification.PICKUP_CODE)
        clock.advance(minutes=1)
    assert rules_fired() == [Rule.MANUAL_CODES]

    issue(counter, scanned=1, verification=Verification.PICKUP_CODE)
    issue(counter, scanned=1, verification=Verification.PICKUP_CODE)
    assert rules_fired() == [Rule.MANUAL_CODES]  # two since the flag, though five within ten minutes

    issue(counter, scanned=1, verification=Verification.PICKUP_CODE)
    assert rules_fired() == [Rule.MANUAL_CODES, Rule.MANUAL_CODES]


# ---- outside opening hours --------------------------------------------------------------------------------


@pytest.fixture
def hours(counter):
    counter.point.opening_hours = WEEK
    counter.point.save(update_fields=["opening_hours"])
    return counter


def test_issue_in_the_last_minute_of_opening_hours_raises_no_flag(hours, clock) -> None:
    clock.advance(hours=10, minutes=59, seconds=59)  # Friday 20:59:59 in Moscow

    issue(hours, scanned=1)

    assert rules_fired() == []


def test_issue_at_closing_time_raises_a_flag(hours, clock) -> None:
    clock.advance(hours=11)  # Friday 21:00

    issue(hours, scanned=1)

    flag = AnomalyFlag.objects.get()
    assert (flag.rule, flag.details["local_time"], flag.details["issued"]) == (Rule.OUTSIDE_HOURS, "21:00", 1)


def test_issue_at_opening_time_raises_no_flag_and_a_second_before_it_does(hours, clock) -> None:
    clock.advance(hours=-1)  # Friday 09:00
    issue(hours, scanned=1)
    assert rules_fired() == []

    clock.advance(seconds=-1)
    issue(hours, scanned=1)

    assert rules_fired() == [Rule.OUTSIDE_HOURS]


def test_issue_on_a_closed_day_raises_a_flag_once_an_hour(hours, clock) -> None:
    clock.advance(days=1)  # Saturday: closed
    issue(hours, scanned=1)
    clock.advance(minutes=59)
    issue(hours, scanned=1)
    assert rules_fired() == [Rule.OUTSIDE_HOURS]

    clock.advance(minutes=1)
    issue(hours, scanned=1)

    assert rules_fired() == [Rule.OUTSIDE_HOURS, Rule.OUTSIDE_HOURS]


def test_point_without_opening_hours_is_never_outside_them(counter, clock) -> None:
    clock.advance(days=1, hours=13)

    issue(counter, scanned=1)

    assert point_is_open(point=counter.point, at=clock.now()) is None
    assert rules_fired() == []


def test_outside_hours_rule_can_be_switched_off(hours, clock, settings) -> None:
    settings.PVZ_ANOMALY_OUTSIDE_HOURS = False
    clock.advance(days=1)

    issue(hours, scanned=1)

    assert rules_fired() == []


# ---- SMS verifications ------------------------------------------------------------------------------------


@pytest.fixture
def verify_by_sms(counter, django_capture_on_commit_callbacks):
    def verify() -> None:
        customer = CustomerFactory()
        session = session_open(actor=counter.operator, point=counter.point, customer=customer)
        with django_capture_on_commit_callbacks(execute=True):
            session_sms_code_send(actor=counter.operator, session=session)
        code = last_sms_code(customer.phone)
        session_sms_code_verify(actor=counter.operator, session=session, code=code)

    return verify


def test_two_sms_verifications_raise_no_flag(verify_by_sms) -> None:
    verify_by_sms()
    verify_by_sms()

    assert rules_fired() == []


def test_third_sms_verification_within_half_an_hour_raises_a_flag(verify_by_sms, clock, counter) -> None:
    verify_by_sms()
    clock.advance(minutes=29)
    verify_by_sms()
    verify_by_sms()

    flag = AnomalyFlag.objects.get()
    assert (flag.rule, flag.user, flag.details) == (
        Rule.SMS_VERIFICATIONS,
        counter.operator,
        {"count": 3, "threshold": 3, "minutes": 30},
    )


def test_sms_verifications_half_an_hour_apart_do_not_add_up(verify_by_sms, clock) -> None:
    verify_by_sms()
    clock.advance(minutes=30)
    verify_by_sms()
    verify_by_sms()

    assert rules_fired() == []
