"""Storage-period endpoints of shipments: extend a parcel's storage, the expiry lists of a point (expiring
today, expired) and the scan-out of a parcel leaving the point into its return zone.

Scoping as for the other shipment endpoints (`api.shipments`): a shipment or point the caller does not work
at is 404 NOT_FOUND, never 403; acting needs the `operate` permission at that point (else 403).
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.errors import READ_BY_ID_ERRORS, WRITE_ERRORS
from pvz.api.idempotency import event_key, idempotent
from pvz.api.permissions import point_of, requires, subject_of
from pvz.api.placement import SHIPMENT
from pvz.api.rendering import point_local
from pvz.api.shipments import PartnerRefOut, ShipmentStatusOut
from pvz.core.phone import phone_masked
from pvz.shipments.models import Shipment
from pvz.shipments.selectors import shipments_expired_on_shelves, shipments_expiring_today
from pvz.shipments.services import (
    EXTENSION_DAYS_MAX,
    EXTENSION_DAYS_MIN,
    ReturnZoneOutcome,
    shipment_extend_storage,
    shipment_to_return_zone_as,
)

router = Router(tags=["shipments"])


# --- Storage extension


class ExtendStorageIn(Schema):
    days: int = Field(
        description=(
            f"By how many days: {EXTENSION_DAYS_MIN}–{EXTENSION_DAYS_MAX} (else 422 VALIDATION_FAILED)."
        )
    )


class ExtensionOut(Schema):
    shipment_id: int
    days: int
    previous_deadline: dt.datetime = Field(description="In the point's timezone.")
    storage_deadline: dt.datetime = Field(
        description="The new deadline: end of a local day, point's timezone."
    )
    extended_at: dt.datetime
    version: int


@router.post(
    "/shipments/{shipment_id}/extend-storage",
    response={200: ExtensionOut, **WRITE_ERRORS},
    operation_id="shipment_extend_storage",
    summary="Extend the storage period (продление)",
    description=(
        "Moves the deadline of a STORED parcel by 1–7 days to the end of that later local day; once per "
        "visit (409 ALREADY_EXTENDED), only while `now <= deadline` (409 STORAGE_EXPIRED), only while "
        "STORED (409 INVALID_TRANSITION). Writes one `extension` event with both deadlines."
    ),
)
@idempotent
@requires(Perm.OPERATE, via=SHIPMENT)
def shipment_extend_storage_post(
    request: HttpRequest, shipment_id: int, payload: ExtendStorageIn
) -> ExtensionOut:
    user, shipment = caller(request), subject_of(request, Shipment)
    extension = shipment_extend_storage(
        actor=user, shipment=shipment, days=payload.days, key=event_key(request, user, "extend")
    )
    extended = extension.shipment
    point = shipment.point
    assert extended.storage_deadline is not None and extended.storage_extended_at is not None
    return ExtensionOut(
        shipment_id=extended.pk,
        days=payload.days,
        previous_deadline=extension.previous_deadline.astimezone(point.tz),
        storage_deadline=extended.storage_deadline.astimezone(point.tz),
        extended_at=extended.storage_extended_at.astimezone(point.tz),
        version=extended.version,
    )


# --- Expiry lists and the return zone


class ShelfItemOut(Schema):
    id: int
    posting_number: str
    barcode: str
    partner: PartnerRefOut
    status: ShipmentStatusOut
    cell: str | None
    storage_deadline: dt.datetime | None = Field(description="In the point's timezone.")
    customer_name: str
    customer_phone: str = Field(description="Masked, e.g. +7 916 ***-**-67.")


def _shelf_item(shipment: Shipment) -> ShelfItemOut:
    customer = shipment.order.customer
    return ShelfItemOut(
        id=shipment.pk,
        posting_number=shipment.posting_number,
        barcode=shipment.barcode,
        partner=PartnerRefOut(code=shipment.partner.code, name=shipment.partner.name),
        status=ShipmentStatusOut.of(shipment.status),
        cell=shipment.cell.address if shipment.cell else None,
        storage_deadline=point_local(shipment.storage_deadline, shipment.point),
        customer_name=customer.name,
        customer_phone=phone_masked(customer.phone),
    )


@router.get(
    "/points/{point_id}/expiring-today",
    response={200: list[ShelfItemOut], **READ_BY_ID_ERRORS},
    operation_id="shipments_expiring_today",
    summary="Parcels whose storage ends today",
    description=(
        "«Истекает сегодня»: STORED parcels of the point with `now <= deadline <= end of today`, today "
        "taken in the point's timezone; sorted by cell address."
    ),
)
@requires(Perm.OPERATE)
def expiring_today_get(request: HttpRequest, point_id: int) -> list[ShelfItemOut]:
    user = caller(request)
    point = point_of(request)
    return [_shelf_item(s) for s in shipments_expiring_today(user=user, point=point)]


@router.get(
    "/points/{point_id}/expired",
    response={200: list[ShelfItemOut], **READ_BY_ID_ERRORS},
    operation_id="shipments_expired_on_shelves",
    summary="Expired parcels still to take to the return zone",
    description="«Истёк срок»: EXPIRED parcels of the point, sorted by the address of the place they lie in.",
)
@requires(Perm.OPERATE)
def expired_get(request: HttpRequest, point_id: int) -> list[ShelfItemOut]:
    user = caller(request)
    point = point_of(request)
    return [_shelf_item(s) for s in shipments_expired_on_shelves(user=user, point=point)]


class ReturnZoneScanIn(Schema):
    code: str = Field(
        min_length=1,
        max_length=100,
        description="Label barcode or posting number as scanned, any keyboard layout.",
    )


class ReturnZoneScanOut(Schema):
    outcome: str = Field(
        description=(
            "moved: → AWAITING_DISPATCH, now in the return zone; already: it was already waiting "
            "for dispatch, nothing changed."
        )
    )
    shipment_id: int
    posting_number: str
    status: ShipmentStatusOut
    cell: str | None = Field(description="Where it lies now (the return zone after a move).")
    from_cell: str | None = Field(description="The cell it was taken from (moved only).")


@router.post(
    "/points/{point_id}/return-zone/scans",
    response={200: ReturnZoneScanOut, **WRITE_ERRORS},
    operation_id="return_zone_scan",
    summary="Scan a parcel leaving the point into the return zone",
    description=(
        "The parcel leaves its cell for the point's return zone and waits for a return carriage "
        "(EXPIRED, CANCELLED, REFUSED or DAMAGED → AWAITING_DISPATCH). A STORED parcel past its deadline "
        "is expired on the spot first; "
        "one within its deadline (`now <= deadline`) is 409 STORAGE_NOT_EXPIRED; other statuses 409 "
        "INVALID_TRANSITION; a parcel of another point 404. A parcel already awaiting dispatch answers "
        "`already` and changes nothing."
    ),
)
@idempotent
@requires(Perm.OPERATE, checked_by="the return-zone service, in the round trip of the scan itself (hot path)")
def return_zone_scan_post(
    request: HttpRequest, point_id: int, payload: ReturnZoneScanIn
) -> ReturnZoneScanOut:
    user = caller(request)
    scan = shipment_to_return_zone_as(
        actor=user, point_id=point_id, code=payload.code, key=event_key(request, user, "return-zone")
    )
    shipment = scan.shipment
    cell = scan.zone if scan.outcome is ReturnZoneOutcome.MOVED else shipment.cell
    return ReturnZoneScanOut(
        outcome=str(scan.outcome),
        shipment_id=shipment.pk,
        posting_number=shipment.posting_number,
        status=ShipmentStatusOut.of(shipment.status),
        cell=cell.address if cell else None,
        from_cell=scan.from_cell,
    )
