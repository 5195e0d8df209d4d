"""Reads of closing a point: what still holds it open, who may close it, and the closed points whose
history the caller may still read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from pvz.accounts.models import User
from pvz.accounts.roles import Perm, Role
from pvz.accounts.selectors import perms_at_point, user_can
from pvz.inbound.models import Carriage, CarriageFlow, CarriageStatus, Tote, ToteStatus
from pvz.network.models import PickupPoint, PointStatus
from pvz.returns.models import CustomerReturn
from pvz.shipments.models import EventKind, Shipment, ShipmentEvent
from pvz.shipments.statuses import AT_POINT, Status


@dataclass(frozen=True)
class PointLeftovers:
    """What still holds a closing point open: parcels on its shelves, the return zone, carriages that
    have not finished (announced deliveries, return carriages being assembled) and totes at the point."""

    to_issue: int  # STORED: customers may still collect them, else they expire into the return flow
    to_return: int  # at the point, not yet in the return zone (accepted, damaged, refused, expired…)
    in_return_zone: int  # AWAITING_DISPATCH: leave with a return carriage
    inbound_carriages: int  # direct carriages announced before closing and not closed yet
    return_carriages: int  # return carriages not handed over yet
    totes: int  # totes standing at the point (full, empty or with returns)

    @property
    def total(self) -> int:
        return (
            self.to_issue
            + self.to_return
            + self.in_return_zone
            + self.inbound_carriages
            + self.return_carriages
            + self.totes
        )

    @property
    def is_empty(self) -> bool:
        return self.total == 0

    def as_dict(self) -> dict[str, int]:
        return {
            "to_issue": self.to_issue,
            "to_return": self.to_return,
            "in_return_zone": self.in_return_zone,
            "inbound_carriages": self.inbound_carriages,
            "return_carriages": self.return_carriages,
            "totes": self.totes,
        }


def point_leftovers(*, point: PickupPoint) -> PointLeftovers:
    """Everything that must leave `point` (or finish there) before it can close, counted in four queries."""
    by_status = {
        row["status"]: row["n"]
        for row in Shipment.objects.filter(point=point, status__in=AT_POINT)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
    }
    stored = by_status.pop(Status.STORED, 0)
    awaiting = by_status.pop(Status.AWAITING_DISPATCH, 0)
    carriages = {
        row["flow"]: row["n"]
        for row in Carriage.objects.filter(point=point)
        .exclude(status=CarriageStatus.CLOSED)
        .order_by()
        .values("flow")
        .annotate(n=Count("id"))
    }
    totes = Tote.objects.filter(
        point=point, status__in=(ToteStatus.FULL, ToteStatus.EMPTY, ToteStatus.RETURNS)
    ).count()
    return PointLeftovers(
        to_issue=stored,
        to_return=sum(by_status.values()),
        in_return_zone=awaiting,
        inbound_carriages=carriages.get(CarriageFlow.DIRECT, 0),
        return_carriages=carriages.get(CarriageFlow.RETURN, 0),
        totes=totes,
    )


def point_may_close(*, user: User, point: PickupPoint) -> bool:
    """Closing is the owner's decision (or a platform admin's): `Perm.CLOSE_POINT`; a manager runs the
    point but may not close it."""
    return user_can(user=user, perm=Perm.CLOSE_POINT, point=point)


@dataclass(frozen=True)
class ClosedPointSummary:
    """A closed point with the statistics kept after closing: its history stays, its staff screens go."""

    point: PickupPoint
    shipments: int  # shipments ever addressed to the point
    issued: int  # issues to customers recorded there
    customer_returns: int  # return acts written there


def points_closed_visible_to(*, user: User) -> QuerySet[PickupPoint]:
    """CLOSED points whose history `user` may still read: all of them for platform admins, else those the
    user owned (the owner membership is kept when a point closes)."""
    closed = PickupPoint.objects.filter(status=PointStatus.CLOSED)
    if not user.is_authenticated or not user.is_active:
        return closed.none()
    if Perm.ADMIN_PLATFORM in perms_at_point(user=user, point=None):
        return closed.order_by("-closed_at", "name")
    return closed.filter(
        memberships__user=user, memberships__role=Role.OWNER, memberships__is_active=True
    ).order_by("-closed_at", "name")


def closed_points_summary(*, user: User) -> list[ClosedPointSummary]:
    """The caller's closed points with their statistics, in four queries whatever the number of points."""
    points = list(points_closed_visible_to(user=user))
    ids = [point.pk for point in points]

    def per_point(rows: Iterable[dict[str, int]]) -> dict[int, int]:
        return {row["point"]: row["n"] for row in rows}

    shipments = per_point(
        Shipment.objects.filter(point__in=ids).order_by().values("point").annotate(n=Count("id"))
    )
    issued = per_point(
        ShipmentEvent.objects.filter(point__in=ids, kind=EventKind.TRANSITION, to_status=Status.ISSUED)
        .order_by()
        .values("point")
        .annotate(n=Count("id"))
    )
    returns = per_point(
        CustomerReturn.objects.filter(point__in=ids).order_by().values("point").annotate(n=Count("id"))
    )
    return [
        ClosedPointSummary(
            point=point,
            shipments=shipments.get(point.pk, 0),
            issued=issued.get(point.pk, 0),
            customer_returns=returns.get(point.pk, 0),
        )
        for point in points
    ]
