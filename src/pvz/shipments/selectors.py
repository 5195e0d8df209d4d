"""Reads on shipments, always scoped to the caller's points."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from pvz.accounts.models import User
from pvz.accounts.selectors import point_access, points_for_user
from pvz.core import clock
from pvz.core.errors import NotFound
from pvz.core.lookups import at_point, found
from pvz.core.scan import normalize_scan
from pvz.network.models import PickupPoint
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.statuses import Status
from pvz.shipments.storage import end_of_local_day, start_of_local_day


def shipments_visible_to(*, user: User) -> QuerySet[Shipment]:
    return Shipment.objects.filter(point__in=points_for_user(user=user))


def shipments_named(*, user: User, value: str, point: PickupPoint | None = None) -> QuerySet[Shipment]:
    """The caller's shipments (at `point` if given) whose barcode or posting number is the normalised scan
    `value`, newest first. Barcodes are unique per partner only, so there may be several."""
    qs = shipments_visible_to(user=user)
    if point is not None:
        qs = qs.filter(point=point)
    return (
        qs.filter(Q(barcode=value.lower()) | Q(posting_number=value))
        .select_related("point", "partner", "order__customer", "cell", "carriage", "tote")
        .order_by("-updated_at")
    )


def shipment_find(*, user: User, code: str, point: PickupPoint | None = None) -> Shipment:
    """The shipment with this barcode or posting number among the caller's points (at `point` if given).

    A shipment of a point the caller does not belong to is reported as not found, never as forbidden.
    """
    value = normalize_scan(code)
    if not value:
        raise NotFound(details={"code": code})
    shipment = shipments_named(user=user, value=value, point=point).first()
    if shipment is None:
        raise NotFound(details={"code": code, "normalized": value})
    return shipment


def shipment_get(*, user: User, shipment_id: int, point: PickupPoint | None = None) -> Shipment:
    """One shipment among the caller's points (at `point` if given, e.g. the point being worked at)."""
    qs = at_point(shipments_visible_to(user=user), point)
    qs = qs.select_related("point", "partner", "order__customer", "cell", "carriage", "tote")
    return found(qs.filter(pk=shipment_id), shipment_id=shipment_id)


def shipment_history(*, shipment: Shipment) -> list[ShipmentEvent]:
    return list(shipment.events.select_related("actor", "cell", "point").order_by("at", "id"))


@dataclass(frozen=True)
class DashboardCounts:
    expected_today: int
    stored: int
    expiring_today: int
    awaiting_dispatch: int
    # Cancelled by the partner and still to be scanned into the return zone.
    cancelled: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def point_dashboard_counts(*, point: PickupPoint, now: dt.datetime | None = None) -> DashboardCounts:
    """Counts for the point dashboard, with "today" taken in the point's own timezone."""
    now = now or clock.now()
    today = point.local_date(now)
    day_start, day_end = start_of_local_day(today, point), end_of_local_day(today, point)
    qs = Shipment.objects.filter(point=point)
    return DashboardCounts(
        expected_today=qs.filter(
            status=Status.EXPECTED, carriage__eta__gte=day_start, carriage__eta__lte=day_end
        ).count(),
        stored=qs.filter(status=Status.STORED).count(),
        expiring_today=_expiring_today(point, now).count(),
        awaiting_dispatch=qs.filter(status=Status.AWAITING_DISPATCH).count(),
        cancelled=qs.filter(status=Status.CANCELLED).count(),
    )


def _expiring_today(point: PickupPoint, now: dt.datetime) -> QuerySet[Shipment]:
    """STORED at `point` and still issuable, but only until the end of the point's local today:
    `now <= deadline <= 23:59:59.999999 local`."""
    day_end = end_of_local_day(point.local_date(now), point)
    return Shipment.objects.filter(
        point=point, status=Status.STORED, storage_deadline__gte=now, storage_deadline__lte=day_end
    )


def _point_of_caller(user: User, point: PickupPoint) -> PickupPoint:
    if point_access(user=user, point_id=point.pk) is None:
        raise NotFound(details={"point": point.pk})
    return point


_LIST_RELATED = ("partner", "order__customer", "cell", "point")


def shipments_expiring_today(
    *, user: User, point: PickupPoint, now: dt.datetime | None = None
) -> list[Shipment]:
    """«Истекает сегодня»: the point's STORED parcels whose deadline falls within the point's local today
    (from now on), by cell address, so they are picked up on one walk along the racks."""
    _point_of_caller(user, point)
    return list(
        _expiring_today(point, now or clock.now())
        .select_related(*_LIST_RELATED)
        .order_by("cell__address", "posting_number")
    )


def shipments_expired_on_shelves(*, user: User, point: PickupPoint) -> list[Shipment]:
    """«Истёк срок: в зону возврата»: the point's EXPIRED parcels, each still in the place it expired in
    (a customer cell, or wherever it was moved), by address; scanning one sends it to the return zone."""
    _point_of_caller(user, point)
    return list(
        Shipment.objects.filter(point=point, status=Status.EXPIRED)
        .select_related(*_LIST_RELATED)
        .order_by("cell__address", "posting_number")
    )
