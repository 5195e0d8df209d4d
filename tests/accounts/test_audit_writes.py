"""Creating a user and switching «Автораспределение» leave one audit record each; a refused or idle
write leaves none."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from pvz.accounts.roles import Role
from pvz.accounts.services import user_create, user_set_auto_placement
from pvz.audit.context import AuditContext, use_audit_context
from pvz.core.errors import DomainError, ErrorCode
from tests.audit.records import no_new_records, the_record
from tests.factories import PickupPointFactory, UserFactory, operator_at

pytestmark = pytest.mark.django_db


def test_creating_a_user_is_one_record_on_the_new_user(clock) -> None:
    admin = operator_at(PickupPointFactory(), Role.PLATFORM_ADMIN)

    user = user_create(phone="8 (916) 555-00-11", full_name="Анна Петрова", actor=admin)

    record = the_record("user.create", actor=admin, point_id=None, obj=user)
    assert record.details == {}


def test_a_user_created_from_a_points_page_is_recorded_at_that_point(clock) -> None:
    point = PickupPointFactory()
    owner = operator_at(point, Role.OWNER)
    request = RequestFactory().post("/staff/")
    request.user, request.point = owner, point

    with use_audit_context(AuditContext(ip="192.0.2.9", user_agent="UA", request=request)):
        user = user_create(phone="+79165550011", full_name="Анна", actor=owner)

    record = the_record("user.create", actor=owner, point_id=point.pk, obj=user)
    assert record.ip == "192.0.2.9"


def test_creating_a_user_with_a_taken_phone_records_nothing(clock) -> None:
    UserFactory(phone="+79165550011")

    with no_new_records(), pytest.raises(DomainError) as error:
        user_create(phone="+79165550011", full_name="Анна")
    assert error.value.code == ErrorCode.CONFLICT


def test_switching_auto_placement_is_one_record_and_setting_it_again_none(clock) -> None:
    user = UserFactory(auto_placement=False)

    user_set_auto_placement(actor=user, user=user, enabled=True)
    with no_new_records():
        user_set_auto_placement(actor=user, user=user, enabled=True)

    record = the_record("user.auto_placement", actor=user, point_id=None, obj=user)
    assert record.details == {"enabled": True}


def test_switching_someone_elses_auto_placement_records_nothing(clock) -> None:
    user, other = UserFactory(), UserFactory()

    with no_new_records(), pytest.raises(DomainError) as error:
        user_set_auto_placement(actor=other, user=user, enabled=not user.auto_placement)
    assert error.value.code == ErrorCode.PERMISSION_DENIED
