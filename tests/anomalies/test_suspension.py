"""A flag alerts the point's owners; with PVZ_ANOMALY_SUSPEND it also suspends the account until the
owner of the point or a platform admin lifts it."""

from __future__ import annotations

import pytest

from pvz.accounts.models import SmsMessage
from pvz.accounts.roles import Role
from pvz.anomalies.models import AnomalyFlag, Rule, Suspension
from pvz.anomalies.selectors import user_is_suspended
from pvz.anomalies.services import anomaly_flag_raise, anomaly_flag_resolve, suspension_lift
from pvz.audit.models import AuditRecord
from pvz.core.errors import Conflict, NotFound, PermissionDenied
from tests.anomalies.helpers import issue
from tests.factories import PickupPointFactory, operator_at

pytestmark = pytest.mark.django_db


def test_flag_texts_the_point_owners_after_commit(counter, django_capture_on_commit_callbacks) -> None:
    owner = operator_at(counter.point, Role.OWNER)
    operator_at(PickupPointFactory(), Role.OWNER)  # another point's owner hears nothing

    with django_capture_on_commit_callbacks(execute=True):
        issue(counter, typed=3)

    message = SmsMessage.objects.get()
    assert message.phone == owner.phone
    assert "«Выдачи без сканирования посылки»" in message.text
    assert counter.point.name in message.text


def test_flag_without_the_suspend_setting_leaves_the_account_working(counter) -> None:
    issue(counter, typed=3)

    assert AnomalyFlag.objects.count() == 1
    assert Suspension.objects.count() == 0
    assert not user_is_suspended(user_id=counter.operator.pk)


def test_flag_with_the_suspend_setting_suspends_the_account(counter, settings) -> None:
    settings.PVZ_ANOMALY_SUSPEND = True

    issue(counter, typed=3)

    suspension = Suspension.objects.get()
    assert (suspension.user, suspension.point, suspension.flag) == (
        counter.operator,
        counter.point,
        AnomalyFlag.objects.get(),
    )
    assert user_is_suspended(user_id=counter.operator.pk)
    assert AuditRecord.objects.filter(action="anomaly.suspended", object_id=str(suspension.pk)).exists()


def test_a_second_flag_keeps_one_suspension(counter, settings) -> None:
    settings.PVZ_ANOMALY_SUSPEND = True
    for _ in range(2):
        anomaly_flag_raise(rule=Rule.OUTSIDE_HOURS, user=counter.operator, point=counter.point, details={})

    assert AnomalyFlag.objects.count() == 2
    assert Suspension.objects.count() == 1


def test_platform_admin_is_never_suspended(counter, settings) -> None:
    settings.PVZ_ANOMALY_SUSPEND = True
    admin = operator_at(counter.point, Role.PLATFORM_ADMIN)

    anomaly_flag_raise(rule=Rule.OUTSIDE_HOURS, user=admin, point=counter.point, details={})

    assert Suspension.objects.count() == 0


@pytest.fixture
def suspended(counter, settings) -> Suspension:
    settings.PVZ_ANOMALY_SUSPEND = True
    anomaly_flag_raise(rule=Rule.MANUAL_CODES, user=counter.operator, point=counter.point, details={})
    return Suspension.objects.get()


def test_owner_of_the_point_lifts_the_suspension(counter, suspended, clock) -> None:
    owner = operator_at(counter.point, Role.OWNER)

    lifted = suspension_lift(actor=owner, point=counter.point, suspension_id=suspended.pk)

    assert (lifted.lifted_by, lifted.lifted_at) == (owner, clock.now())
    assert not user_is_suspended(user_id=counter.operator.pk)
    record = AuditRecord.objects.get(action="anomaly.suspension_lifted")
    assert (record.actor, record.point_id, record.details) == (
        owner,
        counter.point.pk,
        {"user_id": counter.operator.pk},
    )


def test_platform_admin_lifts_the_suspension(counter, suspended) -> None:
    admin = operator_at(counter.point, Role.PLATFORM_ADMIN)

    suspension_lift(actor=admin, point=counter.point, suspension_id=suspended.pk)

    assert not user_is_suspended(user_id=counter.operator.pk)


def test_manager_of_the_point_cannot_lift_the_suspension(counter, suspended) -> None:
    manager = operator_at(counter.point, Role.MANAGER)

    with pytest.raises(PermissionDenied):
        suspension_lift(actor=manager, point=counter.point, suspension_id=suspended.pk)

    assert user_is_suspended(user_id=counter.operator.pk)


def test_another_points_owner_cannot_find_the_suspension(counter, suspended) -> None:
    other = PickupPointFactory()
    owner = operator_at(other, Role.OWNER)

    with pytest.raises(NotFound):
        suspension_lift(actor=owner, point=other, suspension_id=suspended.pk)

    assert user_is_suspended(user_id=counter.operator.pk)


def test_lifting_twice_is_a_conflict(counter, suspended) -> None:
    owner = operator_at(counter.point, Role.OWNER)
    suspension_lift(actor=owner, point=counter.point, suspension_id=suspended.pk)

    with pytest.raises(Conflict):
        suspension_lift(actor=owner, point=counter.point, suspension_id=suspended.pk)


def test_resolving_a_flag_records_who_and_when_once(counter, clock) -> None:
    manager = operator_at(counter.point, Role.MANAGER)
    flag = anomaly_flag_raise(rule=Rule.OUTSIDE_HOURS, user=counter.operator, point=counter.point, details={})

    anomaly_flag_resolve(actor=manager, point=counter.point, flag_id=flag.pk)
    clock.advance(minutes=1)
    again = anomaly_flag_resolve(actor=manager, point=counter.point, flag_id=flag.pk)

    assert (again.resolved_by, again.resolved_at) == (manager, clock.now().replace(minute=0))
    assert AuditRecord.objects.filter(action="anomaly.resolved").count() == 1


def test_another_points_flag_is_not_found(counter) -> None:
    flag = anomaly_flag_raise(rule=Rule.OUTSIDE_HOURS, user=counter.operator, point=counter.point, details={})
    other = PickupPointFactory()

    with pytest.raises(NotFound):
        anomaly_flag_resolve(actor=operator_at(other, Role.OWNER), point=other, flag_id=flag.pk)
