"""Shipment endpoints: find a parcel by what was scanned and show its whole story."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from pvz.accounts.models import User
from pvz.accounts.selectors import points_for_user
from pvz.api.errors import ErrorOut
from pvz.core.errors import NotFound
from pvz.network.models import PickupPoint
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.selectors import shipment_find, shipment_history
from pvz.shipments.statuses import Status, allowed_next

router = Router(tags=["shipments"])


class StatusOut(Schema):
    code: str = Field(description="Stable status code from the lifecycle table, e.g. STORED.")
    label: str = Field(description="Translated status name.")

    @classmethod
    def of(cls, value: str) -> StatusOut:
        return cls(code=value, label=str(Status(value).label))


class PointRefOut(Schema):
    id: int
    code: str
    name: str
    timezone: str


class PartnerRefOut(Schema):
    code: str
    name: str


class EventOut(Schema):
    kind: str = Field(description="transition (status changed) or move (same status, another place).")
    from_status: StatusOut
    to_status: StatusOut
    at: dt.datetime = Field(description="When it happened, in the point's timezone.")
    actor: str | None = Field(description="Name of the staff member; null for the system (e.g. expiry).")
    reason: str
    cell: str | None = Field(description="Cell address the shipment was in after the change.")
    visit: int


class ShipmentOut(Schema):
    id: int
    posting_number: str
    barcode: str
    order_number: str
    partner: PartnerRefOut
    point: PointRefOut
    status: StatusOut
    next_statuses: list[str] = Field(description="Statuses the lifecycle table allows from here.")
    cell: str | None = Field(description="Cell address, when the shipment is on a shelf.")
    stored_at: dt.datetime | None = Field(description="When it was put on a shelf; point-local time.")
    storage_deadline: dt.datetime | None = Field(
        description="Last moment it may be issued (end of a local day), in the point's timezone."
    )
    size_class: str = Field(description="S, M, L or XL.")
    weight_g: int = Field(description="Weight in grams.")
    category: str
    declared_value_kop: int = Field(description="Declared value in kopecks.")
    amount_due_kop: int = Field(description="Amount to collect at pickup, in kopecks; 0 when prepaid.")
    id_check_required: bool
    visit: int
    version: int = Field(description="Bumped by every change; send it back to detect a stale view.")
    history: list[EventOut] = Field(description="Every status change, oldest first.")


class LookupQuery(Schema):
    code: str = Field(
        min_length=1,
        max_length=100,
        description="What was scanned or typed: label barcode or posting number, any keyboard layout.",
    )
    point: int | None = Field(default=None, description="Look only at this point (id).")


def _local(moment: dt.datetime | None, point: PickupPoint) -> dt.datetime | None:
    # Shown in the point's own timezone, so a deadline reads as "23:59:59" of the day it ends there.
    return moment.astimezone(point.tz) if moment else None


def _event_out(event: ShipmentEvent) -> EventOut:
    return EventOut(
        kind=event.kind,
        from_status=StatusOut.of(event.from_status),
        to_status=StatusOut.of(event.to_status),
        at=event.at.astimezone(event.point.tz),
        actor=(event.actor.full_name or event.actor.phone) if event.actor else None,
        reason=event.reason,
        cell=event.cell.address if event.cell else None,
        visit=event.visit,
    )


def _shipment_out(shipment: Shipment, history: list[ShipmentEvent]) -> ShipmentOut:
    point = shipment.point
    return ShipmentOut(
        id=shipment.pk,
        posting_number=shipment.posting_number,
        barcode=shipment.barcode,
        order_number=shipment.order.number,
        partner=PartnerRefOut(code=shipment.partner.code, name=shipment.partner.name),
        point=PointRefOut(id=point.pk, code=point.code, name=point.name, timezone=point.timezone),
        status=StatusOut.of(shipment.status),
        next_statuses=sorted(allowed_next(shipment.status)),
        cell=shipment.cell.address if shipment.cell else None,
        stored_at=_local(shipment.stored_at, point),
        storage_deadline=_local(shipment.storage_deadline, point),
        size_class=shipment.size_class,
        weight_g=shipment.weight_g,
        category=shipment.category,
        declared_value_kop=shipment.declared_value_kop,
        amount_due_kop=shipment.amount_due_kop,
        id_check_required=shipment.id_check_required,
        visit=shipment.visit,
        version=shipment.version,
        history=[_event_out(event) for event in history],
    )


@router.get(
    "/shipments/lookup",
    response={200: ShipmentOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="shipments_lookup",
    summary="Find a shipment by scan",
    description=(
        "Finds a shipment by its label barcode or posting number among the caller's points. The code is "
        "normalised first, so a scan typed in the Russian keyboard layout (`шш…`) finds `ii…`. A shipment "
        "of a point the caller does not work at is reported as 404 NOT_FOUND, never 403."
    ),
)
def shipments_lookup(request: HttpRequest, query: Query[LookupQuery]) -> ShipmentOut:
    user: User = request.auth  # type: ignore[attr-defined]
    point = None
    if query.point is not None:
        point = points_for_user(user=user).filter(pk=query.point).first()
        if point is None:
            raise NotFound(details={"point": query.point})
    shipment = shipment_find(user=user, code=query.code, point=point)
    return _shipment_out(shipment, shipment_history(shipment=shipment))
