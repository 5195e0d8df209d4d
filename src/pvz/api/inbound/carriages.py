"""Inbound endpoints of a carriage before acceptance: a point's planned deliveries, finding a carriage by
its scanned code, changing its ETA and registering its arrival."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router

from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.errors import READ_BY_ID_ERRORS, WRITE_ERRORS, ErrorOut
from pvz.api.idempotency import idempotent
from pvz.api.inbound.access import CARRIAGE
from pvz.api.inbound.rendering import carriage_out, planned_out
from pvz.api.inbound.schemas import (
    ArrivalIn,
    CarriageLookupQuery,
    EtaIn,
    InboundCarriageOut,
    PlannedCarriageOut,
)
from pvz.api.permissions import point_of, requires, subject_of
from pvz.core import clock
from pvz.inbound import selectors, services
from pvz.inbound.models import Carriage

router = Router()


@router.get(
    "/points/{point_id}/carriages",
    response={200: list[PlannedCarriageOut], **READ_BY_ID_ERRORS},
    operation_id="inbound_carriages_planned",
    summary="Planned deliveries of a point",
    description=(
        "Direct carriages of the point not yet closed (today's, upcoming, late, arriving or in acceptance), "
        "soonest ETA first, with expected totes and parcels."
    ),
)
@requires(Perm.VIEW_POINT)
def carriages_planned(request: HttpRequest, point_id: int) -> list[PlannedCarriageOut]:
    point = point_of(request)
    return [planned_out(row) for row in selectors.carriages_planned(point=point, now=clock.now())]


@router.get(
    "/points/{point_id}/carriages/lookup",
    response={200: InboundCarriageOut, **READ_BY_ID_ERRORS, 422: ErrorOut},
    operation_id="inbound_carriage_lookup",
    summary="Find a carriage by its scanned code",
)
@requires(Perm.VIEW_POINT)
def carriage_lookup(
    request: HttpRequest, point_id: int, query: Query[CarriageLookupQuery]
) -> InboundCarriageOut:
    user = caller(request)
    point = point_of(request)
    return carriage_out(selectors.carriage_find(user=user, point=point, code=query.code))


@router.patch(
    "/carriages/{carriage_id}/eta",
    response={200: InboundCarriageOut, **WRITE_ERRORS},
    operation_id="inbound_carriage_eta_update",
    summary="Change a carriage's ETA",
    description="Only before arrival. Every device of the point gets the new ETA and the approaching list.",
)
@idempotent
@requires(Perm.OPERATE, via=CARRIAGE)
def carriage_eta_update(request: HttpRequest, carriage_id: int, payload: EtaIn) -> InboundCarriageOut:
    user, carriage = caller(request), subject_of(request, Carriage)
    return carriage_out(services.carriage_eta_update(actor=user, carriage=carriage, eta=payload.eta))


@router.post(
    "/carriages/{carriage_id}/arrival",
    response={200: InboundCarriageOut, **WRITE_ERRORS},
    operation_id="inbound_carriage_arrival",
    summary="Register a carriage's arrival (arrival act data)",
    description=(
        "Driver, plate and seals are optional and validated when given. Registering again with the same "
        "data or none is a no-op; with other data it is 409 CONFLICT."
    ),
)
@idempotent
@requires(Perm.OPERATE, via=CARRIAGE)
def carriage_arrival(request: HttpRequest, carriage_id: int, payload: ArrivalIn) -> InboundCarriageOut:
    user, carriage = caller(request), subject_of(request, Carriage)
    arrived = services.carriage_register_arrival(
        actor=user,
        carriage=carriage,
        driver_name=payload.driver_name,
        vehicle_plate=payload.vehicle_plate,
        seal_numbers=payload.seal_numbers,
        arrived_at=payload.arrived_at,
    )
    return carriage_out(arrived)
