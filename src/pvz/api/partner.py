"""The partner API (/api/v1/partner/...): what partners' systems do with their own carriages and
shipments, authenticated by a partner API key (`pvz.api.partner_auth`), never by a user's session.

Scoping: every carriage and shipment is looked up among the key's partner's own; another partner's is
404 NOT_FOUND, as is one that does not exist. Writes take `Idempotency-Key` (keyed per partner, so a
retry with a rotated key is still a replay). Responses carry no personal data (no customer, no staff).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from pvz.api.errors import READ_ERRORS, WRITE_ERRORS, ErrorOut
from pvz.api.idempotency import caller_event_key, idempotent
from pvz.api.partner_auth import partner_auth, partner_key_of, partner_of, requires_partner
from pvz.api.types import InstantIn
from pvz.core.errors import DomainError
from pvz.inbound.models import Carriage, CarriageStatus
from pvz.partners.selectors import (
    PAGE_SIZE_MAX,
    carriage_tracking_points,
    partner_carriage_get,
    partner_carriages,
    partner_shipment_events,
    partner_shipment_get,
)
from pvz.partners.services import TRACKING_POINTS_MAX, TrackingPointIn, carriage_partner_update
from pvz.shipments.cancellation import CANCEL_REASON_MAX, shipment_cancel
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.services import EXTENSION_DAYS_MAX, EXTENSION_DAYS_MIN, shipment_extend_storage
from pvz.shipments.statuses import Status

router = Router(tags=["partner"], auth=partner_auth)

PARTNER_WRITE_ERRORS: dict[int, type[ErrorOut]] = {**WRITE_ERRORS, 413: ErrorOut}


def _event_key(request: HttpRequest, action: str) -> str:
    """The event key of a partner's request (`partner:` keeps it apart from a user's id)."""
    return caller_event_key(request, caller=f"partner:{partner_of(request).pk}", action=f"partner-{action}")


# ---- schemas -----------------------------------------------------------------------------------------


class PartnerStatusOut(Schema):
    code: str = Field(description="Stable status code, e.g. STORED.")
    label: str = Field(description="Translated status name.")


class TrackingPointSchema(Schema):
    at: InstantIn = Field(description="When the carriage was there, with offset (at most 5 min ahead).")
    lat: Decimal | None = Field(default=None, ge=-90, le=90, max_digits=9, decimal_places=6)
    lon: Decimal | None = Field(default=None, ge=-180, le=180, max_digits=9, decimal_places=6)
    text: str = Field(default="", max_length=300, description="Where, in words; needed without lat/lon.")


class CarriageUpdateIn(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "eta": "2026-11-28T14:30:00+03:00",
                    "tracking_points": [
                        {"at": "2026-11-27T12:00:00+03:00", "lat": 55.7558, "lon": 37.6173},
                        {"at": "2026-11-27T12:20:00+03:00", "text": "МКАД, 41 км"},
                    ],
                }
            ]
        }
    )

    eta: InstantIn | None = Field(
        default=None,
        description="New expected arrival, with offset: from now to 30 days ahead; only before arrival "
        "(else 409 CONFLICT). Omitted: unchanged.",
    )
    tracking_points: list[TrackingPointSchema] = Field(
        default_factory=list,
        max_length=TRACKING_POINTS_MAX,
        description="Where the carriage has been: coordinates (lat and lon together), a text, or both. A "
        "point at an `at` already reported replaces it.",
    )


class PartnerCarriageOut(Schema):
    number: str = Field(examples=["CAR-20261127001"])
    flow: str = Field(description="direct or return.")
    status: PartnerStatusOut
    point_code: str
    eta: dt.datetime | None = Field(description="In the point's timezone.")
    arrived_at: dt.datetime | None
    closed_at: dt.datetime | None
    updated_at: dt.datetime


class CarriageDetailOut(PartnerCarriageOut):
    tracking_points: list[TrackingPointSchema] = Field(description="Oldest first.")


class CarriagePageOut(Schema):
    carriages: list[PartnerCarriageOut]
    next_after: int | None = Field(description="Pass as `after` for the next page; null on the last one.")


class CarriagesQuery(Schema):
    status: CarriageStatus | None = Field(default=None, description="Only carriages in this status.")
    updated_since: InstantIn | None = Field(
        default=None, description="Only carriages changed at or after this moment (with offset)."
    )
    after: int | None = Field(default=None, ge=0, description="Page cursor: `next_after` of the last page.")
    limit: int = Field(default=50, ge=1, le=PAGE_SIZE_MAX)


class ShipmentEventOut(Schema):
    kind: str = Field(description="transition, move or extension.")
    from_status: str
    to_status: str
    at: dt.datetime = Field(description="In the point's timezone.")
    reason: str


class PartnerShipmentOut(Schema):
    barcode: str
    posting_number: str
    status: PartnerStatusOut
    point_code: str
    storage_deadline: dt.datetime | None = Field(description="Last moment to pick up, point's timezone.")
    events: list[ShipmentEventOut] = Field(description="Every change, oldest first; no personal data.")


class CancelIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Покупатель отменил заказ"}]})

    reason: str = Field(min_length=1, max_length=CANCEL_REASON_MAX, description="Why, shown to the staff.")


class CancelOut(Schema):
    barcode: str
    status: PartnerStatusOut
    cancelled_at: dt.datetime = Field(description="When it was cancelled (the first time, on a repeat).")
    already: bool = Field(description="True when it had already been cancelled: nothing changed.")


class ExtendIn(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [{"days": 3}]})

    days: int = Field(description=f"By how many days: {EXTENSION_DAYS_MIN}–{EXTENSION_DAYS_MAX}.")


class ExtendOut(Schema):
    barcode: str
    days: int
    previous_deadline: dt.datetime
    storage_deadline: dt.datetime


# ---- rendering ---------------------------------------------------------------------------------------


def _status(value: str) -> PartnerStatusOut:
    return PartnerStatusOut(code=value, label=str(Status(value).label))


def _carriage_status(value: str) -> PartnerStatusOut:
    return PartnerStatusOut(code=value, label=str(CarriageStatus(value).label))


def _carriage_out(carriage: Carriage) -> PartnerCarriageOut:
    tz = carriage.point.tz
    return PartnerCarriageOut(
        number=carriage.number,
        flow=carriage.flow,
        status=_carriage_status(carriage.status),
        point_code=carriage.point.code,
        eta=carriage.eta.astimezone(tz) if carriage.eta else None,
        arrived_at=carriage.arrived_at.astimezone(tz) if carriage.arrived_at else None,
        closed_at=carriage.closed_at.astimezone(tz) if carriage.closed_at else None,
        updated_at=carriage.updated_at.astimezone(tz),
    )


def _carriage_detail(carriage: Carriage) -> CarriageDetailOut:
    tz = carriage.point.tz
    points = [
        TrackingPointSchema(at=point.at.astimezone(tz), lat=point.lat, lon=point.lon, text=point.text)
        for point in carriage_tracking_points(carriage=carriage)
    ]
    return CarriageDetailOut(**_carriage_out(carriage).model_dump(), tracking_points=points)


def _event_out(event: ShipmentEvent) -> ShipmentEventOut:
    return ShipmentEventOut(
        kind=event.kind,
        from_status=event.from_status,
        to_status=event.to_status,
        at=event.at.astimezone(event.point.tz),
        reason=event.reason,
    )


def _shipment_out(shipment: Shipment) -> PartnerShipmentOut:
    tz = shipment.point.tz
    return PartnerShipmentOut(
        barcode=shipment.barcode,
        posting_number=shipment.posting_number,
        status=_status(shipment.status),
        point_code=shipment.point.code,
        storage_deadline=shipment.storage_deadline.astimezone(tz) if shipment.storage_deadline else None,
        events=[_event_out(event) for event in partner_shipment_events(shipment=shipment)],
    )


# ---- endpoints ---------------------------------------------------------------------------------------


@router.get(
    "/carriages",
    response={200: CarriagePageOut, **READ_ERRORS},
    operation_id="partner_carriages_list",
    summary="The partner's carriages, paginated",
    description="Oldest first by id. Filter by `status` and `updated_since`; page with `after`/`limit`.",
)
@requires_partner
def carriages_list(request: HttpRequest, query: Query[CarriagesQuery]) -> CarriagePageOut:
    if query.updated_since is not None and timezone.is_naive(query.updated_since):
        raise DomainError(_("Укажите время с часовым поясом."), details={"field": "updated_since"})
    rows, next_after = partner_carriages(
        partner=partner_of(request),
        status=query.status,
        updated_since=query.updated_since,
        after=query.after,
        limit=query.limit,
    )
    return CarriagePageOut(carriages=[_carriage_out(row) for row in rows], next_after=next_after)


@router.get(
    "/carriages/{number}",
    response={200: CarriageDetailOut, **READ_ERRORS},
    operation_id="partner_carriage_get",
    summary="One carriage with its tracking points",
)
@requires_partner
def carriage_get(request: HttpRequest, number: str) -> CarriageDetailOut:
    return _carriage_detail(partner_carriage_get(partner=partner_of(request), number=number))


@router.patch(
    "/carriages/{number}",
    response={200: CarriageDetailOut, **PARTNER_WRITE_ERRORS},
    operation_id="partner_carriage_update",
    summary="Update a carriage's ETA and tracking points",
    description=(
        "The ETA only changes before arrival (409 CONFLICT after), from now to 30 days ahead (422). "
        "Tracking points: at most 100 a request, each with coordinates or a text (422 otherwise)."
    ),
)
@idempotent
@requires_partner
def carriage_update(request: HttpRequest, number: str, payload: CarriageUpdateIn) -> CarriageDetailOut:
    carriage = partner_carriage_get(partner=partner_of(request), number=number)
    updated = carriage_partner_update(
        key=partner_key_of(request),
        carriage=carriage,
        eta=payload.eta,
        points=[
            TrackingPointIn(at=point.at, lat=point.lat, lon=point.lon, text=point.text)
            for point in payload.tracking_points
        ],
    )
    return _carriage_detail(updated)


@router.get(
    "/shipments/{barcode}",
    response={200: PartnerShipmentOut, **READ_ERRORS},
    operation_id="partner_shipment_get",
    summary="A shipment's status and history",
    description="Status, point, storage deadline and every event, without personal data.",
)
@requires_partner
def shipment_get(request: HttpRequest, barcode: str) -> PartnerShipmentOut:
    return _shipment_out(partner_shipment_get(partner=partner_of(request), barcode=barcode))


@router.post(
    "/shipments/{barcode}/cancel",
    response={200: CancelOut, **PARTNER_WRITE_ERRORS},
    operation_id="partner_shipment_cancel",
    summary="Cancel a stored shipment",
    description=(
        "STORED → CANCELLED with the reason; the point then sends it back. Cancelling again is harmless "
        "(`already: true`); any other status is 409 INVALID_TRANSITION."
    ),
)
@idempotent
@requires_partner
def shipment_cancel_post(request: HttpRequest, barcode: str, payload: CancelIn) -> CancelOut:
    shipment = partner_shipment_get(partner=partner_of(request), barcode=barcode)
    result = shipment_cancel(
        actor=None, shipment=shipment, reason=payload.reason, key=_event_key(request, "cancel")
    )
    return CancelOut(
        barcode=result.shipment.barcode,
        status=_status(result.shipment.status),
        cancelled_at=result.event.at.astimezone(shipment.point.tz),
        already=result.already,
    )


@router.post(
    "/shipments/{barcode}/extend",
    response={200: ExtendOut, **PARTNER_WRITE_ERRORS},
    operation_id="partner_shipment_extend",
    summary="Extend a stored shipment's storage period",
    description=(
        "By 1–7 days to the end of that later local day; once per visit (409 ALREADY_EXTENDED), only "
        "before the deadline passes (409 STORAGE_EXPIRED), only while STORED (409 INVALID_TRANSITION)."
    ),
)
@idempotent
@requires_partner
def shipment_extend(request: HttpRequest, barcode: str, payload: ExtendIn) -> ExtendOut:
    shipment = partner_shipment_get(partner=partner_of(request), barcode=barcode)
    extension = shipment_extend_storage(
        actor=None,  # the partner's system, no user: the event has no actor
        shipment=shipment,
        days=payload.days,
        key=_event_key(request, "extend"),
    )
    extended = extension.shipment
    tz = shipment.point.tz
    assert extended.storage_deadline is not None
    return ExtendOut(
        barcode=extended.barcode,
        days=payload.days,
        previous_deadline=extension.previous_deadline.astimezone(tz),
        storage_deadline=extended.storage_deadline.astimezone(tz),
    )
