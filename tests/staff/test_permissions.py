"""Optional permissions on top of a role: who may grant which, and that they count at once everywhere
permissions are read."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pvz.accounts.models import Membership, User
from pvz.accounts.roles import ROLE_GRANTABLE, ROLE_PERMS, Perm, Role
from pvz.accounts.selectors import may_manage_role, perms_at_point, point_access, points_with_access, user_can
from pvz.audit.models import AuditRecord
from pvz.core.errors import DomainError, ErrorCode
from pvz.network.models import PickupPoint
from pvz.staff.models import PermissionGrant
from pvz.staff.services import permission_grant, permission_withdraw
from tests.factories import PickupPointFactory, UserFactory, operator_at

pytestmark = pytest.mark.django_db


def error_of(call: Callable[..., object], **kwargs: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    return caught.value


def member(point: PickupPoint, role: str) -> tuple[User, Membership]:
    user = UserFactory()
    return user, Membership.objects.create(user=user, point=point, role=role)


@pytest.fixture
def point() -> PickupPoint:
    return PickupPointFactory()


@pytest.fixture
def owner(point: PickupPoint) -> User:
    return operator_at(point, Role.OWNER)


def test_manager_with_view_finance_granted_passes_the_check_that_fails_without(
    point: PickupPoint, owner: User, clock
) -> None:
    manager, membership = member(point, Role.MANAGER)
    assert user_can(user=manager, perm=Perm.VIEW_FINANCE, point=point) is False

    permission_grant(actor=owner, membership=membership, perm=Perm.VIEW_FINANCE)

    assert user_can(user=manager, perm=Perm.VIEW_FINANCE, point=point) is True
    assert point_access(user=manager, point_id=point.pk) == (
        point,
        ROLE_PERMS[Role.MANAGER] | {Perm.VIEW_FINANCE},
    )
    assert [access.perms for access in points_with_access(user=manager)] == [
        ROLE_PERMS[Role.MANAGER] | {Perm.VIEW_FINANCE}
    ]
    record = AuditRecord.objects.get(action="permission.grant")
    assert (record.actor, record.point_id, record.details) == (
        owner,
        point.pk,
        {"user": manager.pk, "role": "manager", "perm": "view_finance"},
    )


def test_withdrawing_the_grant_takes_it_away_at_once(point: PickupPoint, owner: User, clock) -> None:
    manager, membership = member(point, Role.MANAGER)
    permission_grant(actor=owner, membership=membership, perm=Perm.VIEW_AUDIT)

    permission_withdraw(actor=owner, membership=membership, perm=Perm.VIEW_AUDIT)

    assert perms_at_point(user=manager, point=point) == ROLE_PERMS[Role.MANAGER]
    assert PermissionGrant.objects.count() == 0
    assert AuditRecord.objects.filter(action="permission.withdraw").count() == 1


def test_a_grant_counts_only_at_its_own_point(point: PickupPoint, owner: User) -> None:
    manager, membership = member(point, Role.MANAGER)
    other = PickupPointFactory()
    Membership.objects.create(user=manager, point=other, role=Role.MANAGER)

    permission_grant(actor=owner, membership=membership, perm=Perm.VIEW_FINANCE)

    assert Perm.VIEW_FINANCE not in perms_at_point(user=manager, point=other)


def test_a_grant_on_a_revoked_membership_counts_for_nothing(point: PickupPoint, owner: User) -> None:
    manager, membership = member(point, Role.MANAGER)
    permission_grant(actor=owner, membership=membership, perm=Perm.VIEW_FINANCE)

    Membership.objects.filter(pk=membership.pk).update(is_active=False)

    assert perms_at_point(user=manager, point=point) == frozenset()


def test_granting_twice_keeps_one_grant_and_one_record(point: PickupPoint, owner: User) -> None:
    _, membership = member(point, Role.MANAGER)

    first = permission_grant(actor=owner, membership=membership, perm=Perm.VIEW_FINANCE)
    again = permission_grant(actor=owner, membership=membership, perm=Perm.VIEW_FINANCE)

    assert again.pk == first.pk
    assert AuditRecord.objects.filter(action="permission.grant").count() == 1


def test_a_permission_the_role_may_not_get_is_refused(point: PickupPoint, owner: User) -> None:
    _, membership = member(point, Role.OPERATOR)

    error = error_of(permission_grant, actor=owner, membership=membership, perm=Perm.VIEW_FINANCE)

    assert (error.code, error.details) == (
        ErrorCode.VALIDATION_FAILED,
        {"field": "perm", "perm": "view_finance"},
    )
    assert PermissionGrant.objects.count() == 0


def test_manage_staff_is_never_optional(point: PickupPoint, owner: User) -> None:
    _, membership = member(point, Role.OPERATOR)

    error = error_of(permission_grant, actor=owner, membership=membership, perm=Perm.MANAGE_STAFF)

    assert error.code == ErrorCode.VALIDATION_FAILED


def test_manager_grants_manage_point_to_an_operator_of_their_point(point: PickupPoint) -> None:
    manager, _ = member(point, Role.MANAGER)
    operator, membership = member(point, Role.OPERATOR)

    permission_grant(actor=manager, membership=membership, perm=Perm.MANAGE_POINT)

    assert Perm.MANAGE_POINT in perms_at_point(user=operator, point=point)


def test_manager_cannot_grant_a_permission_to_another_manager(point: PickupPoint, owner: User) -> None:
    manager, own = member(point, Role.MANAGER)
    permission_grant(actor=owner, membership=own, perm=Perm.VIEW_FINANCE)
    _, colleague = member(point, Role.MANAGER)

    error = error_of(permission_grant, actor=manager, membership=colleague, perm=Perm.VIEW_FINANCE)

    assert error.code == ErrorCode.PERMISSION_DENIED
    assert PermissionGrant.objects.filter(membership=colleague).count() == 0


def test_nobody_grants_a_permission_they_do_not_hold(
    point: PickupPoint, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were operators allowed finance, a manager without finance still could not hand it out; once the
    owner grants the manager finance, they can."""
    monkeypatch.setitem(ROLE_GRANTABLE, Role.OPERATOR, frozenset({Perm.MANAGE_POINT, Perm.VIEW_FINANCE}))
    manager, own = member(point, Role.MANAGER)
    _, operator = member(point, Role.OPERATOR)

    error = error_of(permission_grant, actor=manager, membership=operator, perm=Perm.VIEW_FINANCE)
    assert (error.code, error.details) == (ErrorCode.PERMISSION_DENIED, {"permission": "view_finance"})

    permission_grant(actor=owner, membership=own, perm=Perm.VIEW_FINANCE)
    permission_grant(actor=manager, membership=operator, perm=Perm.VIEW_FINANCE)
    assert PermissionGrant.objects.filter(membership=operator).count() == 1


def test_manager_cannot_touch_an_operator_of_another_point(point: PickupPoint) -> None:
    manager, _ = member(point, Role.MANAGER)
    _, foreign_operator = member(PickupPointFactory(), Role.OPERATOR)

    error = error_of(permission_grant, actor=manager, membership=foreign_operator, perm=Perm.MANAGE_POINT)

    assert error.code == ErrorCode.PERMISSION_DENIED


def test_operator_cannot_grant_anything(point: PickupPoint) -> None:
    operator, _ = member(point, Role.OPERATOR)
    _, colleague = member(point, Role.OPERATOR)

    error = error_of(permission_grant, actor=operator, membership=colleague, perm=Perm.MANAGE_POINT)

    assert error.code == ErrorCode.PERMISSION_DENIED


@pytest.mark.parametrize(
    ("actor_role", "role", "allowed"),
    [
        (Role.OWNER, Role.OWNER, False),
        (Role.OWNER, Role.MANAGER, True),
        (Role.OWNER, Role.OPERATOR, True),
        (Role.MANAGER, Role.OWNER, False),
        (Role.MANAGER, Role.MANAGER, False),
        (Role.MANAGER, Role.OPERATOR, True),
        (Role.OPERATOR, Role.OPERATOR, False),
        (Role.SUPPORT, Role.OPERATOR, False),
        (Role.PLATFORM_ADMIN, Role.OWNER, True),
    ],
)
def test_who_manages_which_role_at_their_point(
    point: PickupPoint, actor_role: str, role: str, allowed: bool
) -> None:
    actor = operator_at(point, actor_role)

    assert may_manage_role(actor=actor, role=role, point=point) is allowed


def test_owner_manages_nobody_at_a_point_that_is_not_theirs(point: PickupPoint, owner: User) -> None:
    assert may_manage_role(actor=owner, role=Role.OPERATOR, point=PickupPointFactory()) is False


def test_point_access_reads_roles_and_grants_in_one_query(
    point: PickupPoint, owner: User, django_assert_num_queries
) -> None:
    manager, membership = member(point, Role.MANAGER)
    permission_grant(actor=owner, membership=membership, perm=Perm.VIEW_FINANCE)
    permission_grant(actor=owner, membership=membership, perm=Perm.VIEW_AUDIT)
    Membership.objects.create(user=manager, point=point, role=Role.OPERATOR)
    manager = User.objects.get(pk=manager.pk)
    assert manager.platform_roles == frozenset()  # cached per user object, as on a request

    with django_assert_num_queries(1):
        access = point_access(user=manager, point_id=point.pk)

    assert access == (point, ROLE_PERMS[Role.MANAGER] | {Perm.VIEW_FINANCE, Perm.VIEW_AUDIT})


def test_a_grant_the_role_may_no_longer_get_counts_for_nothing(
    point: PickupPoint, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager, membership = member(point, Role.MANAGER)
    permission_grant(actor=owner, membership=membership, perm=Perm.VIEW_FINANCE)

    monkeypatch.setitem(ROLE_GRANTABLE, Role.MANAGER, frozenset({Perm.VIEW_AUDIT}))

    assert perms_at_point(user=manager, point=point) == ROLE_PERMS[Role.MANAGER]
