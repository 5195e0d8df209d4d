"""Reads about users and the points they may act at."""

from __future__ import annotations

from django.db.models import QuerySet

from pvz.accounts.models import Membership, SmsMessage, User
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


def point_access(*, user: User, point_id: int) -> tuple[PickupPoint, frozenset[Perm]] | None:
    """The point `point_id` with the user's permissions there, or None when the user may not work at it:
    the answer of `points_for_user` + `perms_at_point` in one query (plus the cached platform roles)."""
    if not user.is_authenticated or not user.is_active:
        return None
    memberships = list(
        Membership.objects.filter(
            user=user, point_id=point_id, is_active=True, point__is_active=True
        ).select_related("point")
    )
    roles = {membership.role for membership in memberships} | (user.platform_roles & PLATFORM_ROLES)
    point = memberships[0].point if memberships else None
    if point is None and roles:  # platform roles work at every active point
        point = PickupPoint.objects.filter(pk=point_id, is_active=True).first()
    if point is None:
        return None
    perms: set[Perm] = set()
    for role in roles:
        perms |= ROLE_PERMS[role]
    return point, frozenset(perms)


def user_can(*, user: User, perm: Perm, point: PickupPoint | None) -> bool:
    return perm in perms_at_point(user=user, point=point)


def points_with_roles(*, user: User) -> list[tuple[PickupPoint, list[str]]]:
    """The user's points, each with the user's roles there (platform roles included), in two queries."""
    points = list(points_for_user(user=user))
    by_point: dict[int, set[str]] = {point.pk: set(user.platform_roles) for point in points}
    for point_id, role in Membership.objects.filter(
        user=user, is_active=True, point_id__in=list(by_point)
    ).values_list("point_id", "role"):
        by_point[point_id].add(role)
    return [(point, sorted(by_point[point.pk])) for point in points]


def sms_outbox_latest(*, limit: int = 50) -> list[SmsMessage]:
    """The newest messages of the development SMS gateway's outbox."""
    return list(SmsMessage.objects.order_by("-created_at", "-id")[:limit])
