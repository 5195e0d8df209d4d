"""`point_access` gives the same answer as `points_for_user` + `perms_at_point`, for every kind of caller."""

from __future__ import annotations

import pytest

from pvz.accounts.models import Membership, User
from pvz.accounts.roles import Role
from pvz.accounts.selectors import perms_at_point, point_access, points_for_user
from pvz.network.models import PickupPoint
from tests.factories import PickupPointFactory, UserFactory

pytestmark = pytest.mark.django_db


def _reference(user: User, point: PickupPoint):
    visible = points_for_user(user=user).filter(pk=point.pk).first()
    return None if visible is None else (visible, perms_at_point(user=user, point=visible))


def _member(role: str, point: PickupPoint | None, *, active: bool = True) -> User:
    user = UserFactory()
    Membership.objects.create(user=user, point=point, role=role, is_active=active)
    return user


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda point, other: _member(Role.OPERATOR, point), id="operator here"),
        pytest.param(lambda point, other: _member(Role.MANAGER, point), id="manager here"),
        pytest.param(lambda point, other: _member(Role.OWNER, point), id="owner here"),
        pytest.param(lambda point, other: _member(Role.OPERATOR, other), id="operator of another point"),
        pytest.param(lambda point, other: _member(Role.OPERATOR, point, active=False), id="ended membership"),
        pytest.param(lambda point, other: _member(Role.PLATFORM_ADMIN, None), id="platform admin"),
        pytest.param(lambda point, other: _member(Role.SUPPORT, None), id="support"),
        pytest.param(lambda point, other: UserFactory(), id="no membership"),
    ],
)
def test_point_access_agrees_with_the_two_step_answer(make) -> None:
    point, other = PickupPointFactory(), PickupPointFactory()
    user = make(point, other)

    assert point_access(user=user, point_id=point.pk) == _reference(user, point)


def test_a_platform_admin_who_also_manages_the_point_gets_both_roles_permissions() -> None:
    point = PickupPointFactory()
    user = _member(Role.PLATFORM_ADMIN, None)
    Membership.objects.create(user=user, point=point, role=Role.OPERATOR)

    access = point_access(user=user, point_id=point.pk)

    assert access == _reference(user, point)
    assert access is not None and "operate" in access[1] and "admin_platform" in access[1]


def test_a_closed_point_is_not_accessible_even_to_its_own_staff() -> None:
    point = PickupPointFactory()
    user = _member(Role.OWNER, point)
    PickupPoint.objects.filter(pk=point.pk).update(is_active=False)

    assert point_access(user=user, point_id=point.pk) is None
    assert point_access(user=_member(Role.PLATFORM_ADMIN, None), point_id=point.pk) is None


def test_an_inactive_user_has_no_point() -> None:
    point = PickupPointFactory()
    user = _member(Role.OWNER, point)
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.refresh_from_db()

    assert point_access(user=user, point_id=point.pk) is None
