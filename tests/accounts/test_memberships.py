from __future__ import annotations

from collections.abc import Callable

import pytest

from pvz.accounts.models import Membership, User
from pvz.accounts.roles import Role
from pvz.accounts.services import membership_grant, membership_revoke, user_create
from pvz.core.errors import DomainError, ErrorCode
from tests.factories import PickupPointFactory, UserFactory, operator_at


def error_of(call: Callable[..., object], **kwargs: object) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    return caught.value


@pytest.mark.django_db
def test_user_create_stores_the_phone_in_e164_and_no_password() -> None:
    user = user_create(phone="8 916 123-45-67", full_name="  Анна Петрова ")

    stored = User.objects.get(pk=user.pk)
    assert (stored.phone, stored.full_name, stored.is_active) == ("+79161234567", "Анна Петрова", True)
    assert stored.has_usable_password() is False


@pytest.mark.django_db
def test_user_create_refuses_a_phone_that_already_has_a_user() -> None:
    UserFactory(phone="+79161234567")

    error = error_of(user_create, phone="+7 916 123 45 67", full_name="Двойник")

    assert error.code == ErrorCode.CONFLICT
    assert error.details == {"field": "phone"}
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_operator_is_granted_at_a_point() -> None:
    user, point = UserFactory(), PickupPointFactory()

    membership = membership_grant(actor=None, user=user, role=Role.OPERATOR, point=point)

    assert (membership.user, membership.point, membership.role, membership.is_active) == (
        user,
        point,
        Role.OPERATOR,
        True,
    )


@pytest.mark.django_db
def test_platform_role_cannot_be_tied_to_a_point() -> None:
    error = error_of(
        membership_grant, actor=None, user=UserFactory(), role=Role.SUPPORT, point=PickupPointFactory()
    )

    assert error.code == ErrorCode.VALIDATION_FAILED
    assert error.details == {"field": "point"}
    assert Membership.objects.count() == 0


@pytest.mark.django_db
def test_point_role_needs_a_point() -> None:
    error = error_of(membership_grant, actor=None, user=UserFactory(), role=Role.MANAGER, point=None)

    assert error.code == ErrorCode.VALIDATION_FAILED
    assert error.details == {"field": "point"}


@pytest.mark.django_db
def test_unknown_role_is_refused() -> None:
    error = error_of(membership_grant, actor=None, user=UserFactory(), role="janitor", point=None)

    assert error.code == ErrorCode.VALIDATION_FAILED
    assert error.details == {"field": "role"}


@pytest.mark.django_db
def test_granting_a_held_role_again_changes_nothing() -> None:
    user, point = UserFactory(), PickupPointFactory()
    first = membership_grant(actor=None, user=user, role=Role.OPERATOR, point=point)

    again = membership_grant(actor=None, user=user, role=Role.OPERATOR, point=point)

    assert again.pk == first.pk
    assert Membership.objects.count() == 1


@pytest.mark.django_db
def test_granting_platform_admin_makes_the_same_user_object_staff() -> None:
    user = UserFactory()
    assert user.is_staff is False

    membership_grant(actor=None, user=user, role=Role.PLATFORM_ADMIN, point=None)

    assert user.is_staff is True


@pytest.mark.django_db
def test_revoked_membership_is_kept_inactive_and_restored_by_a_new_grant() -> None:
    user, point = UserFactory(), PickupPointFactory()
    membership = membership_grant(actor=None, user=user, role=Role.OPERATOR, point=point)

    membership_revoke(actor=None, membership=membership)
    assert Membership.objects.get(pk=membership.pk).is_active is False

    restored = membership_grant(actor=None, user=user, role=Role.OPERATOR, point=point)
    assert (restored.pk, restored.is_active) == (membership.pk, True)


@pytest.mark.django_db
def test_operator_cannot_grant_roles() -> None:
    point = PickupPointFactory()
    operator = operator_at(point)

    error = error_of(membership_grant, actor=operator, user=UserFactory(), role=Role.OPERATOR, point=point)

    assert error.code == ErrorCode.PERMISSION_DENIED
    assert Membership.objects.filter(role=Role.OPERATOR).count() == 1


@pytest.mark.django_db
def test_manager_grants_operators_at_own_point_but_not_owners() -> None:
    point = PickupPointFactory()
    manager = operator_at(point, Role.MANAGER)

    membership_grant(actor=manager, user=UserFactory(), role=Role.OPERATOR, point=point)
    error = error_of(membership_grant, actor=manager, user=UserFactory(), role=Role.OWNER, point=point)

    assert error.code == ErrorCode.PERMISSION_DENIED
    assert Membership.objects.filter(role=Role.OWNER).count() == 0


@pytest.mark.django_db
def test_manager_cannot_grant_at_another_point() -> None:
    manager = operator_at(PickupPointFactory(), Role.MANAGER)

    error = error_of(
        membership_grant, actor=manager, user=UserFactory(), role=Role.OPERATOR, point=PickupPointFactory()
    )

    assert error.code == ErrorCode.PERMISSION_DENIED


@pytest.mark.django_db
def test_manager_cannot_grant_platform_roles() -> None:
    manager = operator_at(PickupPointFactory(), Role.MANAGER)

    error = error_of(membership_grant, actor=manager, user=UserFactory(), role=Role.SUPPORT, point=None)

    assert error.code == ErrorCode.PERMISSION_DENIED


@pytest.mark.django_db
def test_owner_grants_managers_but_not_another_owner_at_own_point() -> None:
    """Co-owners are made by a platform admin (ROLE_MANAGES): an owner manages managers and operators."""
    point = PickupPointFactory()
    owner = operator_at(point, Role.OWNER)

    manager = membership_grant(actor=owner, user=UserFactory(), role=Role.MANAGER, point=point)
    error = error_of(membership_grant, actor=owner, user=UserFactory(), role=Role.OWNER, point=point)

    assert manager.is_active is True
    assert error.code == ErrorCode.PERMISSION_DENIED
    assert Membership.objects.filter(role=Role.OWNER).count() == 1


@pytest.mark.django_db
def test_platform_admin_may_grant_any_role_anywhere() -> None:
    admin = operator_at(PickupPointFactory(), Role.PLATFORM_ADMIN)
    point = PickupPointFactory()

    owner = membership_grant(actor=admin, user=UserFactory(), role=Role.OWNER, point=point)
    support = membership_grant(actor=admin, user=UserFactory(), role=Role.SUPPORT, point=None)

    assert (owner.role, support.role) == (Role.OWNER, Role.SUPPORT)


@pytest.mark.django_db
def test_last_platform_admin_cannot_be_revoked() -> None:
    only_admin = membership_grant(actor=None, user=UserFactory(), role=Role.PLATFORM_ADMIN, point=None)

    error = error_of(membership_revoke, actor=None, membership=only_admin)

    assert error.code == ErrorCode.CONFLICT
    assert Membership.objects.get(pk=only_admin.pk).is_active is True


@pytest.mark.django_db
def test_platform_admin_can_be_revoked_while_another_remains() -> None:
    first = membership_grant(actor=None, user=UserFactory(), role=Role.PLATFORM_ADMIN, point=None)
    membership_grant(actor=None, user=UserFactory(), role=Role.PLATFORM_ADMIN, point=None)

    membership_revoke(actor=None, membership=first)

    assert Membership.objects.get(pk=first.pk).is_active is False


@pytest.mark.django_db
def test_manager_cannot_revoke_an_owner() -> None:
    point = PickupPointFactory()
    manager = operator_at(point, Role.MANAGER)
    owner = membership_grant(actor=None, user=UserFactory(), role=Role.OWNER, point=point)

    error = error_of(membership_revoke, actor=manager, membership=owner)

    assert error.code == ErrorCode.PERMISSION_DENIED
    assert Membership.objects.get(pk=owner.pk).is_active is True
