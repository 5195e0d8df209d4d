"""Withdrawing a role at a point and switching a person off everywhere: who may, and what stays."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pvz.accounts.models import Membership, User
from pvz.accounts.roles import Perm, Role
from pvz.accounts.selectors import perms_at_point, points_for_user
from pvz.audit.models import AuditRecord
from pvz.core.errors import DomainError, ErrorCode
from pvz.network.models import PickupPoint
from pvz.staff.models import PermissionGrant
from pvz.staff.services import permission_grant, staff_withdraw, user_deactivate, user_reactivate
from tests.factories import PickupPointFactory, UserFactory, operator_at

pytestmark = pytest.mark.django_db


def error_of(call: Callable[..., object], **kwargs: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    return caught.value


def member(point: PickupPoint, role: str, user: User | None = None) -> tuple[User, Membership]:
    user = user or UserFactory()
    return user, Membership.objects.create(user=user, point=point, role=role)


@pytest.fixture
def point() -> PickupPoint:
    return PickupPointFactory()


@pytest.fixture
def owner(point: PickupPoint) -> User:
    return operator_at(point, Role.OWNER)


def test_manager_withdraws_an_operator_of_their_point_and_the_grants_go_too(point: PickupPoint) -> None:
    manager, _ = member(point, Role.MANAGER)
    operator, membership = member(point, Role.OPERATOR)
    permission_grant(actor=manager, membership=membership, perm=Perm.MANAGE_POINT)

    staff_withdraw(actor=manager, membership=membership)

    assert Membership.objects.get(pk=membership.pk).is_active is False
    assert perms_at_point(user=operator, point=point) == frozenset()
    assert PermissionGrant.objects.count() == 0
    assert AuditRecord.objects.filter(action="membership.revoke", actor=manager).count() == 1


def test_manager_cannot_withdraw_another_manager(point: PickupPoint) -> None:
    manager, _ = member(point, Role.MANAGER)
    _, colleague = member(point, Role.MANAGER)

    error = error_of(staff_withdraw, actor=manager, membership=colleague)

    assert error.code == ErrorCode.PERMISSION_DENIED
    assert Membership.objects.get(pk=colleague.pk).is_active is True


def test_manager_cannot_withdraw_an_operator_of_another_point(point: PickupPoint) -> None:
    manager, _ = member(point, Role.MANAGER)
    _, foreign = member(PickupPointFactory(), Role.OPERATOR)

    error = error_of(staff_withdraw, actor=manager, membership=foreign)

    assert error.code == ErrorCode.PERMISSION_DENIED


def test_nobody_withdraws_themself(point: PickupPoint) -> None:
    admin = operator_at(point, Role.PLATFORM_ADMIN)
    _, own = member(point, Role.MANAGER, user=admin)

    error = error_of(staff_withdraw, actor=admin, membership=own)

    assert error.code == ErrorCode.PERMISSION_DENIED
    assert Membership.objects.get(pk=own.pk).is_active is True


def test_the_last_owner_of_a_point_cannot_be_withdrawn(point: PickupPoint, owner: User) -> None:
    admin = operator_at(point, Role.PLATFORM_ADMIN)
    membership = owner.memberships.get()

    error = error_of(staff_withdraw, actor=admin, membership=membership)

    assert error.code == ErrorCode.CONFLICT
    assert Membership.objects.get(pk=membership.pk).is_active is True


def test_an_owner_can_be_withdrawn_while_another_active_owner_remains(
    point: PickupPoint, owner: User
) -> None:
    admin = operator_at(point, Role.PLATFORM_ADMIN)
    member(point, Role.OWNER)

    staff_withdraw(actor=admin, membership=owner.memberships.get())

    assert owner.memberships.get().is_active is False


def test_a_deactivated_co_owner_does_not_count_as_remaining(point: PickupPoint, owner: User) -> None:
    admin = operator_at(point, Role.PLATFORM_ADMIN)
    member(point, Role.OWNER, user=UserFactory(is_active=False))

    error = error_of(staff_withdraw, actor=admin, membership=owner.memberships.get())

    assert error.code == ErrorCode.CONFLICT


def test_owner_deactivates_a_manager_who_works_only_at_their_points(
    point: PickupPoint, owner: User, clock
) -> None:
    manager, membership = member(point, Role.MANAGER)

    user_deactivate(actor=owner, user=manager)

    manager.refresh_from_db()
    assert manager.is_active is False
    assert list(points_for_user(user=manager)) == []
    assert Membership.objects.get(pk=membership.pk).is_active is True  # kept for reactivation
    record = AuditRecord.objects.get(action="user.deactivate")
    assert (record.actor, record.object_id) == (owner, str(manager.pk))


def test_reactivation_restores_the_roles_they_had(point: PickupPoint, owner: User) -> None:
    manager, _ = member(point, Role.MANAGER)
    user_deactivate(actor=owner, user=manager)

    user_reactivate(actor=owner, user=manager)

    manager.refresh_from_db()
    assert manager.is_active is True
    assert list(points_for_user(user=manager)) == [point]
    assert AuditRecord.objects.filter(action="user.activate").count() == 1


def test_owner_cannot_deactivate_someone_who_also_works_at_another_owners_point(
    point: PickupPoint, owner: User
) -> None:
    operator, _ = member(point, Role.OPERATOR)
    member(PickupPointFactory(), Role.OPERATOR, user=operator)

    error = error_of(user_deactivate, actor=owner, user=operator)

    assert error.code == ErrorCode.PERMISSION_DENIED
    assert User.objects.get(pk=operator.pk).is_active is True


def test_owner_cannot_deactivate_someone_who_works_only_elsewhere(point: PickupPoint, owner: User) -> None:
    stranger, _ = member(PickupPointFactory(), Role.OPERATOR)

    error = error_of(user_deactivate, actor=owner, user=stranger)

    assert error.code == ErrorCode.NOT_FOUND


def test_manager_cannot_deactivate_even_an_operator_of_their_point(point: PickupPoint) -> None:
    manager, _ = member(point, Role.MANAGER)
    operator, _ = member(point, Role.OPERATOR)

    error = error_of(user_deactivate, actor=manager, user=operator)

    assert error.code == ErrorCode.PERMISSION_DENIED
    assert User.objects.get(pk=operator.pk).is_active is True


def test_nobody_deactivates_themself(point: PickupPoint) -> None:
    admin = operator_at(point, Role.PLATFORM_ADMIN)

    error = error_of(user_deactivate, actor=admin, user=admin)

    assert error.code == ErrorCode.PERMISSION_DENIED


def test_platform_admin_cannot_deactivate_the_last_owner_of_a_point(point: PickupPoint, owner: User) -> None:
    admin = operator_at(point, Role.PLATFORM_ADMIN)

    error = error_of(user_deactivate, actor=admin, user=owner)

    assert error.code == ErrorCode.CONFLICT
    assert User.objects.get(pk=owner.pk).is_active is True


def test_deactivating_twice_changes_nothing_more(point: PickupPoint, owner: User) -> None:
    manager, _ = member(point, Role.MANAGER)
    user_deactivate(actor=owner, user=manager)

    user_deactivate(actor=owner, user=manager)

    assert AuditRecord.objects.filter(action="user.deactivate").count() == 1
