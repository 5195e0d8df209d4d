"""Reads about users and the points they may act at."""

from __future__ import annotations

from django.db.models import QuerySet

from pvz.accounts.models import Membership, User
from pvz.accounts.roles import PLATFORM_ROLES, ROLE_PERMS, Perm
from pvz.network.models import PickupPoint


def points_for_user(*, user: User) -> QuerySet[PickupPoint]:
    """Points the user may work at: all of them for platform roles, else those of active memberships."""
    if not user.is_authenticated or not user.is_active:
        return PickupPoint.objects.none()
    if user.platform_roles:
        return PickupPoint.objects.filter(is_active=True)
    return PickupPoint.objects.filter(
        is_active=True, memberships__user=user, memberships__is_active=True
    ).distinct()


def roles_at_point(*, user: User, point: PickupPoint) -> set[str]:
    roles = set(
        Membership.objects.filter(user=user, point=point, is_active=True).values_list("role", flat=True)
    )
    return roles | set(user.platform_roles & PLATFORM_ROLES)


def perms_at_point(*, user: User, point: PickupPoint | None) -> frozenset[Perm]:
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    roles = set(user.platform_roles) if point is None else roles_at_point(user=user, point=point)
    perms: set[Perm] = set()
    for role in roles:
        perms |= ROLE_PERMS[role]
    return frozenset(perms)


def user_can(*, user: User, perm: Perm, point: PickupPoint | None) -> bool:
    return perm in perms_at_point(user=user, point=point)
