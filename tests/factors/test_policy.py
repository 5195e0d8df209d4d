"""An owner requires a second factor of everyone working at their point."""

from __future__ import annotations

import pytest

from pvz.accounts.roles import Role
from pvz.audit.models import AuditRecord
from pvz.core.errors import PermissionDenied
from pvz.factors import services
from pvz.factors.selectors import point_requires_second_factor, second_factor_required
from tests.factories import MembershipFactory, PickupPointFactory, operator_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def point():
    return PickupPointFactory()


def test_an_owner_switches_the_rule_on_and_it_is_audited(point):
    owner = operator_at(point, Role.OWNER)

    services.point_factor_policy_set(actor=owner, point=point, required=True)

    assert point_requires_second_factor(point=point)
    record = AuditRecord.objects.get(action="factor.policy_set")
    assert (record.actor, record.point_id, record.details) == (owner, point.pk, {"required": True})


def test_setting_the_same_value_again_records_nothing(point):
    owner = operator_at(point, Role.OWNER)
    services.point_factor_policy_set(actor=owner, point=point, required=True)

    services.point_factor_policy_set(actor=owner, point=point, required=True)

    assert AuditRecord.objects.filter(action="factor.policy_set").count() == 1


def test_a_platform_admin_may_switch_the_rule(point):
    admin = operator_at(point, Role.PLATFORM_ADMIN)

    services.point_factor_policy_set(actor=admin, point=point, required=True)

    assert point_requires_second_factor(point=point)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.OPERATOR, Role.SUPPORT])
def test_others_may_not_switch_the_rule(point, role):
    with pytest.raises(PermissionDenied):
        services.point_factor_policy_set(actor=operator_at(point, role), point=point, required=True)

    assert not point_requires_second_factor(point=point)


def test_the_owner_of_another_point_may_not_switch_the_rule(point):
    other_owner = operator_at(PickupPointFactory(), Role.OWNER)

    with pytest.raises(PermissionDenied):
        services.point_factor_policy_set(actor=other_owner, point=point, required=True)


def test_the_rule_applies_to_every_active_membership_at_the_point(point):
    owner = operator_at(point, Role.OWNER)
    operator = operator_at(point, Role.OPERATOR)
    elsewhere = operator_at(PickupPointFactory(), Role.OPERATOR)
    left = MembershipFactory(point=point, role=Role.OPERATOR, is_active=False).user
    support = operator_at(point, Role.SUPPORT)

    services.point_factor_policy_set(actor=owner, point=point, required=True)

    assert second_factor_required(user=owner)
    assert second_factor_required(user=operator)
    assert not second_factor_required(user=elsewhere)
    assert not second_factor_required(user=left)
    assert not second_factor_required(user=support)  # platform roles reach the point without a membership


def test_the_last_factor_of_someone_who_must_have_one_cannot_be_removed(point, enrol):
    owner = operator_at(point, Role.OWNER)
    operator = operator_at(point, Role.OPERATOR)
    app, _codes = enrol(operator)
    services.point_factor_policy_set(actor=owner, point=point, required=True)

    with pytest.raises(services.FactorLast):
        services.factor_remove(user=operator, method="totp", code=app.code())
