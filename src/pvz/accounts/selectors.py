"""Reads about users and the points they may act at."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from django.db.models import F, QuerySet

from pvz.accounts.models import Membership, SmsMessage, User
from pvz.accounts.roles import PLATFORM_ROLES, ROLE_GRANTABLE, ROLE_MANAGES, ROLE_PERMS, Perm
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


# The reverse name of `staff.PermissionGrant.membership`: accounts reads the grants by this name so that
# it does not import the staff app, which builds on accounts.
GRANTED = "permission_grants__perm"


def _effective_perms(rows: Iterable[tuple[str, str | None]]) -> frozenset[Perm]:
    """Role permissions plus optional ones granted on top, from (role, granted perm or None) pairs. A grant
    the role may no longer receive (ROLE_GRANTABLE narrowed since) counts for nothing."""
    perms: set[Perm] = set()
    for role, granted in rows:
        perms |= ROLE_PERMS[role]
        if granted is not None and granted in ROLE_GRANTABLE[role]:
            perms.add(Perm(granted))
    return frozenset(perms)


def perms_at_point(*, user: User, point: PickupPoint | None) -> frozenset[Perm]:
    """What the user may do at `point` (platform-wide when None): their roles' permissions there and the
    optional permissions granted on those memberships."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    rows: list[tuple[str, str | None]] = [(role, None) for role in user.platform_roles]
    if point is not None:
        rows += Membership.objects.filter(user=user, point=point, is_active=True).values_list("role", GRANTED)
    return _effective_perms(rows)


def point_access(*, user: User, point_id: int) -> tuple[PickupPoint, frozenset[Perm]] | None:
    """The point `point_id` with the user's permissions there, or None when the user may not work at it:
    the answer of `points_for_user` + `perms_at_point` in one query (plus the cached platform roles)."""
    if not user.is_authenticated or not user.is_active:
        return None
    # One row per membership and grant (a left join), so the grants cost no query of their own.
    memberships = list(
        Membership.objects.filter(user=user, point_id=point_id, is_active=True, point__is_active=True)
        .select_related("point")
        .annotate(granted=F(GRANTED))
    )
    rows = [(membership.role, membership.granted) for membership in memberships]
    rows += [(role, None) for role in user.platform_roles & PLATFORM_ROLES]
    point = memberships[0].point if memberships else None
    if point is None and rows:  # platform roles work at every active point
        point = PickupPoint.objects.filter(pk=point_id, is_active=True).first()
    if point is None:
        return None
    return point, _effective_perms(rows)


def user_can(*, user: User, perm: Perm, point: PickupPoint | None) -> bool:
    return perm in perms_at_point(user=user, point=point)


class PointAccess(NamedTuple):
    point: PickupPoint
    roles: list[str]
    perms: frozenset[Perm]


def points_with_access(*, user: User) -> list[PointAccess]:
    """The user's points, each with the user's roles there (platform roles included) and the effective
    permissions (optional grants included), in two queries."""
    points = list(points_for_user(user=user))
    platform_rows: list[tuple[str, str | None]] = [(role, None) for role in user.platform_roles]
    by_point: dict[int, list[tuple[str, str | None]]] = {point.pk: list(platform_rows) for point in points}
    for point_id, role, granted in Membership.objects.filter(
        user=user, is_active=True, point_id__in=list(by_point)
    ).values_list("point_id", "role", GRANTED):
        by_point[point_id].append((role, granted))
    return [
        PointAccess(
            point=point,
            roles=sorted({role for role, _ in by_point[point.pk]}),
            perms=_effective_perms(by_point[point.pk]),
        )
        for point in points
    ]


def points_with_roles(*, user: User) -> list[tuple[PickupPoint, list[str]]]:
    """The user's points, each with the user's roles there (platform roles included), in two queries."""
    return [(access.point, access.roles) for access in points_with_access(user=user)]


def may_manage_role(*, actor: User, role: str, point: PickupPoint | None) -> bool:
    """Whether `actor` may hand out or withdraw `role` at `point`. Platform admins may do it anywhere;
    otherwise the actor needs staff management at that point, a role there that manages `role`
    (ROLE_MANAGES: owners their managers and operators, managers their operators), and every permission
    of `role` themself: nobody hands out more than they hold."""
    if Perm.ADMIN_PLATFORM in perms_at_point(user=actor, point=None):
        return True
    if point is None or not actor.is_authenticated or not actor.is_active:
        return False
    rows = list(
        Membership.objects.filter(user=actor, point=point, is_active=True).values_list("role", GRANTED)
    )
    held = _effective_perms(rows)
    managed = set().union(*(ROLE_MANAGES.get(actor_role, frozenset()) for actor_role, _ in rows))
    return Perm.MANAGE_STAFF in held and role in managed and ROLE_PERMS[role] <= held


def sms_outbox_latest(*, limit: int = 50) -> list[SmsMessage]:
    """The newest messages of the development SMS gateway's outbox."""
    return list(SmsMessage.objects.order_by("-created_at", "-id")[:limit])
