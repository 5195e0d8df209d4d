"""What a partner may read through its API: only its own carriages and shipments (anything else is
NOT_FOUND, so another partner's codes are not disclosed)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from pvz.core.lookups import found
from pvz.inbound.models import Carriage
from pvz.network.models import Partner
from pvz.partners.models import CarriageTrackingPoint
from pvz.shipments.models import Shipment, ShipmentEvent

PAGE_SIZE_MAX = 200


def partner_carriage_get(*, partner: Partner, number: str) -> Carriage:
    carriages = Carriage.objects.select_related("point").filter(
        partner=partner, number=number.strip().upper()
    )
    return found(carriages, carriage=number)


def partner_shipment_get(*, partner: Partner, barcode: str) -> Shipment:
    shipments = Shipment.objects.select_related("point").filter(
        partner=partner, barcode=barcode.strip().lower()
    )
    return found(shipments, shipment=barcode)


def partner_shipment_events(*, shipment: Shipment) -> QuerySet[ShipmentEvent]:
    return (
        ShipmentEvent.objects.filter(shipment=shipment).select_related("point", "cell").order_by("at", "id")
    )


def partner_carriages(
    *,
    partner: Partner,
    status: str | None = None,
    updated_since: dt.datetime | None = None,
    after: int | None = None,
    limit: int = 50,
) -> tuple[list[Carriage], int | None]:
    """The partner's carriages, oldest id first, `limit` at a time after id `after`; and the id to pass as
    `after` for the next page (None on the last)."""
    rows = Carriage.objects.select_related("point").filter(partner=partner).order_by("id")
    if status:
        rows = rows.filter(status=status)
    if updated_since is not None:
        rows = rows.filter(updated_at__gte=updated_since)
    if after is not None:
        rows = rows.filter(id__gt=after)
    page = list(rows[: limit + 1])
    if len(page) > limit:
        return page[:limit], page[limit - 1].pk
    return page, None


def carriage_tracking_points(*, carriage: Carriage) -> QuerySet[CarriageTrackingPoint]:
    return CarriageTrackingPoint.objects.filter(carriage=carriage).order_by("at", "id")
