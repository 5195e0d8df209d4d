"""Reading anomaly flags and suspensions of one point. Who may read them is the interface's check
(MANAGE_POINT at the point: owners, managers, platform admins)."""

from __future__ import annotations

from django.db.models import QuerySet

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.accounts.selectors import perms_at_point
from pvz.anomalies.models import AnomalyFlag, Suspension
from pvz.network.models import PickupPoint

LIST_LIMIT = 200


def may_lift_suspension(*, user: User, point: PickupPoint) -> bool:
    """Lifting a suspension: `Perm.LIFT_SUSPENSION` at its point (owners and platform admins)."""
    return Perm.LIFT_SUSPENSION in perms_at_point(user=user, point=point)


def flags_at_point(
    *, point: PickupPoint, open_only: bool = False, limit: int = LIST_LIMIT
) -> list[AnomalyFlag]:
    """The point's flags, open first, newest first within each."""
    rows = AnomalyFlag.objects.filter(point=point).select_related("user", "resolved_by")
    if open_only:
        rows = rows.filter(resolved_at=None)
    return sorted(rows.order_by("-created_at", "-id")[:limit], key=lambda flag: flag.resolved_at is not None)


def open_flag_count(*, point: PickupPoint) -> int:
    return AnomalyFlag.objects.filter(point=point, resolved_at=None).count()


def suspensions_at_point(*, point: PickupPoint) -> QuerySet[Suspension]:
    """The point's active suspensions, newest first."""
    return (
        Suspension.objects.filter(point=point, lifted_at=None)
        .select_related("user", "flag")
        .order_by("-created_at", "-id")
    )


def user_is_suspended(*, user_id: int) -> bool:
    """One query on the partial unique index of active suspensions."""
    return Suspension.objects.filter(user_id=user_id, lifted_at=None).exists()
