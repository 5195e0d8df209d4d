"""Shipment endpoints: find a parcel by what was scanned and show its whole story; search by any
identifier, phone or cell. The storage-period endpoints (extension, expiry lists, return zone) are in
`api.storage`, which shares the status, point and partner schemas defined here.

Scoping: a shipment or point the caller does not work at is 404 NOT_FOUND, never 403; acting needs the
`operate` permission at that point (else 403 PERMISSION_DENIED).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from pvz.accounts.models import User
from pvz.api.auth import caller
from pvz.api.errors import SELF_READ_ERRORS, ErrorOut
from pvz.api.permissions import point_for, requires_sign_in
from pvz.api.rendering import point_local
from pvz.core.phone import phone_masked
from pvz.network.models import PickupPoint
from pvz.scanning.search import QUERY_MAX_LENGTH, SEARCH_LIMIT_MAX, SearchHit, shipments_search
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.selectors import shipment_find, shipment_history
from pvz.shipments.statuses import Status, allowed_next

router = Router(tags=["shipments"])


class ShipmentStatusOut(Schema):
    code: str = Field(description="Stable status code from the lifecycle table, e.g. STORED.")
    label: str = Field(description="Translated status name.")

    @classmethod
    def of(cls, value: str) -> ShipmentStatusOut:
        return cls(code=value, label=str(Status(value).label))


class PointRefOut(Schema):
    id: int
    code: str
    name: str
    timezone: str


class PartnerRefOut(Schema):
    code: str
    name: str


# What names a shipment in every answer about one: the fields both the card and a search hit start with.
class ShipmentIdentityOut(Schema):
    id: int
    posting_number: str
    barcode: str
    order_number: str
    partner: PartnerRefOut
    point: PointRefOut
    status: ShipmentStatusOut


class EventOut(Schema):
    kind: str = Field(description="transition (status changed) or move (same status, another place).")
    from_status: ShipmentStatusOut
    to_status: ShipmentStatusOut
    at: dt.datetime = Field(description="When it happened, in the point's timezone.")
    actor: str | None = Field(description="Name of the staff member; null for the system (e.g. expiry).")
    reason: str
    cell: str | None = Field(description="Cell address the shipment was in after the change.")
    visit: int


class ShipmentOut(ShipmentIdentityOut):
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
    try_on_allowed: bool = Field(description="The partner lets the customer try it on.")
    partial_refusal_allowed: bool = Field(description="false: the order is taken whole or refused whole.")
    fragile: bool
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


def _event_out(event: ShipmentEvent) -> EventOut:
    return EventOut(
        kind=event.kind,
        from_status=ShipmentStatusOut.of(event.from_status),
        to_status=ShipmentStatusOut.of(event.to_status),
        at=event.at.astimezone(event.point.tz),
        actor=(event.actor.full_name or event.actor.phone) if event.actor else None,
        reason=event.reason,
        cell=event.cell.address if event.cell else None,
        visit=event.visit,
    )


def _identity(shipment: Shipment) -> dict[str, Any]:
    """The fields of `ShipmentIdentityOut`, for the answers that start with them."""
    point = shipment.point
    return {
        "id": shipment.pk,
        "posting_number": shipment.posting_number,
        "barcode": shipment.barcode,
        "order_number": shipment.order.number,
        "partner": PartnerRefOut(code=shipment.partner.code, name=shipment.partner.name),
        "point": PointRefOut(id=point.pk, code=point.code, name=point.name, timezone=point.timezone),
        "status": ShipmentStatusOut.of(shipment.status),
    }


def _shipment_out(shipment: Shipment, history: list[ShipmentEvent]) -> ShipmentOut:
    point = shipment.point
    return ShipmentOut(
        **_identity(shipment),
        next_statuses=sorted(allowed_next(shipment.status)),
        cell=shipment.cell.address if shipment.cell else None,
        stored_at=point_local(shipment.stored_at, point),
        storage_deadline=point_local(shipment.storage_deadline, point),
        size_class=shipment.size_class,
        weight_g=shipment.weight_g,
        category=shipment.category,
        declared_value_kop=shipment.declared_value_kop,
        amount_due_kop=shipment.amount_due_kop,
        id_check_required=shipment.id_check_required,
        try_on_allowed=shipment.try_on_allowed,
        partial_refusal_allowed=shipment.partial_refusal_allowed,
        fragile=shipment.fragile,
        visit=shipment.visit,
        version=shipment.version,
        history=[_event_out(event) for event in history],
    )


# The caller's own reads that a `point` in the query may narrow to one of their points: 404 for a point
# that is not theirs, 422 for a query that fails validation.
_NARROWED_READ_ERRORS: dict[int, type[ErrorOut]] = {**SELF_READ_ERRORS, 404: ErrorOut, 422: ErrorOut}


def _narrowed_to(user: User, query: LookupQuery | ShipmentSearchQuery) -> PickupPoint | None:
    """The caller's point the query narrows to (404 for another's), or None: all of the caller's points."""
    return point_for(user=user, point_id=query.point) if query.point is not None else None


@router.get(
    "/shipments/lookup",
    response={200: ShipmentOut, **_NARROWED_READ_ERRORS},
    operation_id="shipments_lookup",
    summary="Find a shipment by scan",
    description=(
        "Finds a shipment by its label barcode or posting number among the caller's points. The code is "
        "normalised first, so a scan typed in the Russian keyboard layout (`шш…`) finds `ii…`. A shipment "
        "of a point the caller does not work at is reported as 404 NOT_FOUND, never 403."
    ),
)
@requires_sign_in
def shipments_lookup(request: HttpRequest, query: Query[LookupQuery]) -> ShipmentOut:
    user = caller(request)
    shipment = shipment_find(user=user, code=query.code, point=_narrowed_to(user, query))
    return _shipment_out(shipment, shipment_history(shipment=shipment))


# --- Search


class ShipmentSearchQuery(Schema):
    q: str = Field(
        max_length=QUERY_MAX_LENGTH,
        description=(
            "Posting number, label barcode, order number, tote barcode, pickup code, cell address (lists "
            "what lies in the cell) or customer phone in any format (`8 916 123-45-67`, `+7 (916) …`). "
            "Scans in the Russian keyboard layout are fixed first. At least 3 characters."
        ),
    )
    point: int | None = Field(
        default=None, description="Search only this point (id); absent: every point the caller works at."
    )
    limit: int = Field(default=50, ge=1, le=SEARCH_LIMIT_MAX, description="At most this many results.")


class ShipmentSearchHitOut(ShipmentIdentityOut):
    cell: str | None = Field(description="Where it lies now: cell or special place address; null if nowhere.")
    storage_deadline: dt.datetime | None = Field(description="In the point's timezone.")
    customer_name: str
    customer_phone: str = Field(
        description=(
            "Full E.164 for callers who manage the point (manager, owner), else masked (+7 916 ***-**-67)."
        )
    )
    matched_by: list[str] = Field(
        description=(
            "What the query matched: posting_number, barcode, order_number, tote, pickup_code, cell, phone."
        )
    )


class SearchOut(Schema):
    query: str
    normalized: str = Field(description="The query after fixing the keyboard layout and dropping spaces.")
    phone: str | None = Field(description="The E.164 phone searched for, when the query read as a phone.")
    cells: list[str] = Field(
        description="Addresses of the cells the query names; their contents are results."
    )
    truncated: bool = Field(description="More matched than `limit`: narrow the query.")
    results: list[ShipmentSearchHitOut]


def _hit_out(hit: SearchHit) -> ShipmentSearchHitOut:
    shipment = hit.shipment
    point = shipment.point
    customer = shipment.order.customer
    return ShipmentSearchHitOut(
        **_identity(shipment),
        cell=shipment.cell.address if shipment.cell else None,
        storage_deadline=point_local(shipment.storage_deadline, point),
        customer_name=customer.name,
        customer_phone=customer.phone if hit.phone_visible else phone_masked(customer.phone),
        matched_by=[str(kind) for kind in hit.matched_by],
    )


@router.get(
    "/shipments/search",
    response={200: SearchOut, **_NARROWED_READ_ERRORS},
    operation_id="shipments_search",
    summary="Search parcels by any identifier, phone or cell",
    description=(
        "«Поиск предметов». The query is read every way it could be meant, each one an exact indexed "
        "lookup, and the hits are merged (newest first) with what each matched. A cell address lists the "
        "parcels lying in that cell. Only points the caller works at are searched; `point` narrows to one "
        "(404 if it is not the caller's). 422 VALIDATION_FAILED for fewer than 3 characters, more than 100, "
        "or a phone typed with + or ( that is not a valid number. Nothing found is 200 with no results."
    ),
)
@requires_sign_in
def shipments_search_get(request: HttpRequest, query: Query[ShipmentSearchQuery]) -> SearchOut:
    user = caller(request)
    result = shipments_search(user=user, point=_narrowed_to(user, query), query=query.q, limit=query.limit)
    return SearchOut(
        query=result.query,
        normalized=result.normalized,
        phone=result.phone,
        cells=[cell.address for cell in result.cells],
        truncated=result.truncated,
        results=[_hit_out(hit) for hit in result.hits],
    )
