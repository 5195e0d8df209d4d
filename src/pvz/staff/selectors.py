"""Reads about a point's staff, as the person managing them may see them."""

from __future__ import annotations

from dataclasses import dataclass

from pvz.accounts.models import Membership, User
from pvz.accounts.roles import PERM_LABELS, PLATFORM_ROLES, ROLE_GRANTABLE, ROLE_MANAGES, Perm, Role
from pvz.accounts.selectors import may_manage_role, perms_at_point, roles_at_point
from pvz.core.errors import NotFound
from pvz.network.models import PickupPoint

# Owners first, then managers, then operators; within a role by name.
_ROLE_ORDER: dict[str, int] = {Role.OWNER: 0, Role.MANAGER: 1, Role.OPERATOR: 2}


@dataclass(frozen=True)
class PermToggle:
    perm: Perm
    label: str
    granted: bool
    can_change: bool  # the viewer manages this role and holds the permission themself


@dataclass(frozen=True)
class StaffMember:
    membership: Membership
    user: User
    role: str
    role_label: str
    toggles: list[PermToggle]
    can_manage: bool  # the viewer may withdraw this role and tune its permissions
    can_deactivate: bool  # the viewer may deactivate people here (owners) and this is someone else


def _visible_roles(*, actor: User, point: PickupPoint) -> set[str]:
    """Owners and platform admins see everybody at the point; a manager only the roles they manage."""
    roles = roles_at_point(user=actor, point=point)
    if Role.OWNER in roles or roles & PLATFORM_ROLES:
        return set(_ROLE_ORDER)
    return set().union(*(ROLE_MANAGES.get(role, frozenset()) for role in roles))


def staff_at_point(*, actor: User, point: PickupPoint) -> list[StaffMember]:
    """The point's active roles the actor may see, each with its optional permissions, in three queries
    plus one per role the actor could manage."""
    visible = _visible_roles(actor=actor, point=point)
    memberships = list(
        Membership.objects.filter(point=point, is_active=True, role__in=sorted(visible))
        .select_related("user")
        .prefetch_related("permission_grants")
    )
    memberships.sort(key=lambda m: (_ROLE_ORDER[m.role], m.user.full_name, m.user.phone))
    held = perms_at_point(user=actor, point=point)
    manages = {role: may_manage_role(actor=actor, role=role, point=point) for role in visible}
    deactivates = Perm.DEACTIVATE_STAFF in held
    members = []
    for membership in memberships:
        granted = {grant.perm for grant in membership.permission_grants.all()}
        can_manage = manages[membership.role] and membership.user_id != actor.pk
        members.append(
            StaffMember(
                membership=membership,
                user=membership.user,
                role=membership.role,
                role_label=str(Role(membership.role).label),
                toggles=[
                    PermToggle(
                        perm=perm,
                        label=str(PERM_LABELS[perm]),
                        granted=perm in granted,
                        can_change=can_manage and perm in held,
                    )
                    for perm in sorted(ROLE_GRANTABLE[membership.role])
                ],
                can_manage=can_manage,
                can_deactivate=can_manage and deactivates,
            )
        )
    return members


def staff_member_get(*, actor: User, point: PickupPoint, membership_id: int) -> Membership:
    """An active membership at `point` that the actor may see; NOT_FOUND otherwise (also for a role the
    actor may not see, so a manager learns nothing about owners)."""
    visible = _visible_roles(actor=actor, point=point)
    membership = (
        Membership.objects.filter(pk=membership_id, point=point, is_active=True, role__in=sorted(visible))
        .select_related("user", "point")
        .first()
    )
    if membership is None:
        raise NotFound(details={"membership": membership_id})
    return membership


def staff_roles_to_invite(*, actor: User, point: PickupPoint) -> list[str]:
    """The roles the actor may hand out at `point`, most senior first."""
    return [role for role in _ROLE_ORDER if may_manage_role(actor=actor, role=role, point=point)]
