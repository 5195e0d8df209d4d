"""Inbound endpoints: planned carriages, arrival, acceptance by scan (scan, undo, damage, close) and acts.

Handlers parse, check the caller's permission at the carriage's point, call one service or selector and
render. Another point's carriage or acceptance is 404, never 403; writes need the *operate* permission.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from pydantic import Field

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.errors import ErrorOut
from pvz.api.idempotency import idempotent
from pvz.api.permissions import point_for, require_perm, requires
from pvz.api.types import InstantIn
from pvz.core import clock
from pvz.inbound import selectors, services
from pvz.inbound.acts import ActLine, DiscrepancyAct
from pvz.inbound.models import Acceptance, AcceptanceDamage, Carriage, ScanOutcomeKind
from pvz.inbound.selectors import AcceptanceProgress, PlannedCarriage
from pvz.network.models import PickupPoint
from pvz.shipments.models import Shipment
from pvz.shipments.selectors import shipment_get

router = Router(tags=["inbound"])

READ_ERRORS: dict[int, type[ErrorOut]] = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS: dict[int, type[ErrorOut]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


# ---- schemas --------------------------------------------------------------------------------------------


class InboundCarriageOut(Schema):
    id: int
    number: str = Field(description="Carriage code, e.g. CAR-20261127001.")
    partner: str
    point_id: int
    flow: str = Field(description="direct or return.")
    status: str = Field(description="planned, in_transit, arrived, accepting or closed.")
    eta: dt.datetime | None = Field(description="Expected arrival, in the point's timezone.")
    arrived_at: dt.datetime | None
    closed_at: dt.datetime | None
    driver_name: str
    vehicle_plate: str = Field(description="Normalised to Cyrillic, e.g. А123ВС77.")
    seal_numbers: list[str]


class PlannedCarriageOut(Schema):
    carriage: InboundCarriageOut
    expected_totes: int
    expected_shipments: int
    still_expected: int = Field(description="Manifest parcels still EXPECTED.")
    is_today: bool = Field(description="ETA falls on today's date in the point's timezone.")
    is_late: bool = Field(description="ETA has passed and the carriage has not arrived.")
    approaching: bool = Field(description="Not arrived, ETA at most 30 minutes ahead (from today).")


class EtaIn(Schema):
    eta: InstantIn = Field(description="New ETA with offset; from now up to 30 days ahead.")


class ArrivalIn(Schema):
    driver_name: str = Field(default="", max_length=200)
    vehicle_plate: str = Field(default="", max_length=20, description="А123ВС77 or A123BC777.")
    seal_numbers: list[str] = Field(default_factory=list, description="4–20 letters/digits each, no repeats.")
    arrived_at: InstantIn | None = Field(default=None, description="Defaults to now; not in the future.")


class ToteProgressOut(Schema):
    barcode: str
    status: str = Field(description="Tote status: in_transit, full, empty, returns, sent_back.")
    scanned: int
    expected: int


class AcceptanceProgressOut(Schema):
    scanned: int = Field(description="Manifest parcels accepted in this acceptance.")
    expected: int = Field(description="Parcels in the carriage's manifest.")
    surplus: int
    put_aside: int = Field(
        description="Distinct codes put aside: another point's parcels and partner labels without data."
    )
    totes: list[ToteProgressOut]


class AcceptanceOut(Schema):
    id: int
    carriage: InboundCarriageOut
    status: str = Field(description="open or closed.")
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    progress: AcceptanceProgressOut


class AcceptanceScanIn(Schema):
    code: str = Field(min_length=1, max_length=200, description="What was scanned, any keyboard layout.")
    scan_id: uuid.UUID = Field(
        description="Client-generated UUID of this scan; a resend returns the first answer."
    )
    auto_place: bool = Field(default=False, description="Also place the parcel in the suggested cell.")


class AcceptanceParcelOut(Schema):
    id: int
    posting_number: str
    barcode: str
    status: str
    cell: str | None
    fragile: bool = Field(description="The partner's manifest says: handle with care.")


class ToteLineOut(Schema):
    posting_number: str
    barcode: str
    scanned: bool


class ScanOutcomeOut(Schema):
    outcome: ScanOutcomeKind = Field(
        description=(
            "UNKNOWN_LABEL: the code is a partner's label by its barcode patterns but names no shipment "
            "(put it aside; the act lists it as surplus without data). NOT_A_LABEL: no partner's pattern "
            "fits although the carriage's partner has patterns (a product barcode?); nothing is recorded "
            "in the act. UNKNOWN: not found, and no patterns to tell."
        )
    )
    message: str = Field(description="What to do, in the caller's language.")
    code: str = Field(description="The scan after layout normalisation.")
    scan_id: uuid.UUID
    flagged: bool = Field(
        description="Put aside and listed in the act (surplus, another point, a label without data)."
    )
    label_partner: str | None = Field(
        description="UNKNOWN_LABEL: the name of the partner whose label pattern the code matches."
    )
    cell: str | None = Field(description="Where to put the parcel: suggested, or where auto mode put it.")
    placed: bool = Field(description="True when auto mode has already placed it in `cell`.")
    shipment: AcceptanceParcelOut | None = Field(
        description="Null for another point's parcel, a tote or unknown code."
    )
    tote: str | None
    tote_progress: ToteProgressOut | None
    tote_content: list[ToteLineOut] = Field(description="TOTE_OPENED: the tote's expected parcels.")
    progress: AcceptanceProgressOut
    replayed: bool = Field(description="This scan_id was answered before; nothing was written now.")


class UndoOut(Schema):
    undone_outcome: str
    code: str
    shipment: AcceptanceParcelOut | None
    notification_already_sent: bool = Field(
        description="The customer already got the 'ready' SMS for this parcel; it cannot be called back."
    )
    progress: AcceptanceProgressOut


class DamageOut(Schema):
    id: int
    shipment: AcceptanceParcelOut
    note: str
    has_photo: bool


class DamageForm(Schema):
    shipment_id: int
    note: str = Field(min_length=1, max_length=500)


class ActLineOut(Schema):
    posting_number: str
    barcode: str
    tote: str | None
    note: str
    has_photo: bool
    partner: str = Field(description="Surplus without data: whose label the code is, by barcode patterns.")


class ActCountsOut(Schema):
    expected: int
    accepted: int
    shortage: int
    surplus: int
    damaged: int
    other_point: int
    surplus_without_data: int


class ActOut(Schema):
    acceptance_id: int
    carriage_number: str
    point_code: str
    point_name: str
    point_address: str
    partner_code: str
    partner_name: str
    arrived_at: dt.datetime | None
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    driver_name: str
    vehicle_plate: str
    seal_numbers: list[str]
    operators: list[str]
    counts: ActCountsOut
    shortage: list[ActLineOut]
    surplus: list[ActLineOut]
    damaged: list[ActLineOut]
    other_point: list[ActLineOut]
    surplus_without_data: list[ActLineOut] = Field(
        description="Parcels whose partner label names no shipment: only the scanned code (`barcode`)."
    )


class ToteBalanceOut(Schema):
    in_transit: int
    full: int
    empty: int
    returns: int
    sent_back: int


class CarriageLookupQuery(Schema):
    code: str = Field(min_length=1, max_length=100, description="Scanned carriage code, any keyboard layout.")


# ---- rendering ------------------------------------------------------------------------------------------


def _local(moment: dt.datetime | None, point: PickupPoint) -> dt.datetime | None:
    return moment.astimezone(point.tz) if moment else None


def _carriage_out(carriage: Carriage) -> InboundCarriageOut:
    point = carriage.point
    return InboundCarriageOut(
        id=carriage.pk,
        number=carriage.number,
        partner=carriage.partner.name,
        point_id=carriage.point_id,
        flow=carriage.flow,
        status=carriage.status,
        eta=_local(carriage.eta, point),
        arrived_at=_local(carriage.arrived_at, point),
        closed_at=_local(carriage.closed_at, point),
        driver_name=carriage.driver_name,
        vehicle_plate=carriage.vehicle_plate,
        seal_numbers=list(carriage.seal_numbers),
    )


def _planned_out(row: PlannedCarriage) -> PlannedCarriageOut:
    return PlannedCarriageOut(
        carriage=_carriage_out(row.carriage),
        expected_totes=row.expected_totes,
        expected_shipments=row.expected_shipments,
        still_expected=row.still_expected,
        is_today=row.is_today,
        is_late=row.is_late,
        approaching=row.approaching,
    )


def _progress_out(progress: AcceptanceProgress) -> AcceptanceProgressOut:
    return AcceptanceProgressOut(
        scanned=progress.scanned,
        expected=progress.expected,
        surplus=progress.surplus,
        put_aside=progress.put_aside,
        totes=[
            ToteProgressOut(barcode=t.barcode, status=t.status, scanned=t.scanned, expected=t.expected)
            for t in progress.totes
        ],
    )


def _acceptance_out(acceptance: Acceptance) -> AcceptanceOut:
    point = acceptance.carriage.point
    return AcceptanceOut(
        id=acceptance.pk,
        carriage=_carriage_out(acceptance.carriage),
        status=acceptance.status,
        opened_at=acceptance.opened_at.astimezone(point.tz),
        closed_at=_local(acceptance.closed_at, point),
        progress=_progress_out(selectors.acceptance_progress(acceptance=acceptance)),
    )


def _parcel_out(shipment: Shipment | None) -> AcceptanceParcelOut | None:
    if shipment is None:
        return None
    return AcceptanceParcelOut(
        id=shipment.pk,
        posting_number=shipment.posting_number,
        barcode=shipment.barcode,
        status=shipment.status,
        cell=shipment.cell.address if shipment.cell else None,
        fragile=shipment.fragile,
    )


def _line_out(line: ActLine) -> ActLineOut:
    return ActLineOut(
        posting_number=line.posting_number,
        barcode=line.barcode,
        tote=line.tote,
        note=line.note,
        has_photo=line.has_photo,
        partner=line.partner,
    )


def _act_out(act: DiscrepancyAct) -> ActOut:
    tz = PickupPoint(timezone=act.point_timezone).tz
    return ActOut(
        acceptance_id=act.acceptance_id,
        carriage_number=act.carriage_number,
        point_code=act.point_code,
        point_name=act.point_name,
        point_address=act.point_address,
        partner_code=act.partner_code,
        partner_name=act.partner_name,
        arrived_at=act.arrived_at.astimezone(tz) if act.arrived_at else None,
        opened_at=act.opened_at.astimezone(tz),
        closed_at=act.closed_at.astimezone(tz) if act.closed_at else None,
        driver_name=act.driver_name,
        vehicle_plate=act.vehicle_plate,
        seal_numbers=list(act.seal_numbers),
        operators=list(act.operators),
        counts=ActCountsOut(**act.counts),
        shortage=[_line_out(line) for line in act.shortage],
        surplus=[_line_out(line) for line in act.surplus],
        damaged=[_line_out(line) for line in act.damaged],
        other_point=[_line_out(line) for line in act.other_point],
        surplus_without_data=[_line_out(line) for line in act.surplus_without_data],
    )


# ---- access ---------------------------------------------------------------------------------------------


def _carriage_for_write(request: HttpRequest, carriage_id: int) -> tuple[User, Carriage]:
    user = caller(request)
    carriage = selectors.carriage_get(user=user, carriage_id=carriage_id)
    require_perm(user=user, perm=Perm.OPERATE, point=carriage.point)
    return user, carriage


def _acceptance_for_write(request: HttpRequest, acceptance_id: int) -> tuple[User, Acceptance]:
    user = caller(request)
    acceptance = selectors.acceptance_get(user=user, acceptance_id=acceptance_id)
    require_perm(user=user, perm=Perm.OPERATE, point=acceptance.carriage.point)
    return user, acceptance


# ---- endpoints ------------------------------------------------------------------------------------------


@router.get(
    "/points/{point_id}/carriages",
    response={200: list[PlannedCarriageOut], **READ_ERRORS},
    operation_id="inbound_carriages_planned",
    summary="Planned deliveries of a point",
    description=(
        "Direct carriages of the point not yet closed (today's, upcoming, late, arriving or in acceptance), "
        "soonest ETA first, with expected totes and parcels."
    ),
)
@requires(Perm.VIEW_POINT)
def carriages_planned(request: HttpRequest, point_id: int) -> list[PlannedCarriageOut]:
    point = point_for(user=caller(request), point_id=point_id)
    return [_planned_out(row) for row in selectors.carriages_planned(point=point, now=clock.now())]


@router.get(
    "/points/{point_id}/carriages/lookup",
    response={200: InboundCarriageOut, **READ_ERRORS, 422: ErrorOut},
    operation_id="inbound_carriage_lookup",
    summary="Find a carriage by its scanned code",
)
@requires(Perm.VIEW_POINT)
def carriage_lookup(
    request: HttpRequest, point_id: int, query: Query[CarriageLookupQuery]
) -> InboundCarriageOut:
    user = caller(request)
    point = point_for(user=user, point_id=point_id)
    return _carriage_out(selectors.carriage_find(user=user, point=point, code=query.code))


@router.get(
    "/points/{point_id}/totes/balance",
    response={200: ToteBalanceOut, **READ_ERRORS},
    operation_id="inbound_tote_balance",
    summary="Totes at a point by status",
)
@requires(Perm.VIEW_POINT)
def tote_balance(request: HttpRequest, point_id: int) -> ToteBalanceOut:
    point = point_for(user=caller(request), point_id=point_id)
    return ToteBalanceOut(**selectors.tote_balance(point=point))


@router.patch(
    "/carriages/{carriage_id}/eta",
    response={200: InboundCarriageOut, **WRITE_ERRORS},
    operation_id="inbound_carriage_eta_update",
    summary="Change a carriage's ETA",
    description="Only before arrival. Every device of the point gets the new ETA and the approaching list.",
)
@idempotent
@requires(Perm.OPERATE)
def carriage_eta_update(request: HttpRequest, carriage_id: int, payload: EtaIn) -> InboundCarriageOut:
    user, carriage = _carriage_for_write(request, carriage_id)
    return _carriage_out(services.carriage_eta_update(actor=user, carriage=carriage, eta=payload.eta))


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
@requires(Perm.OPERATE)
def carriage_arrival(request: HttpRequest, carriage_id: int, payload: ArrivalIn) -> InboundCarriageOut:
    user, carriage = _carriage_for_write(request, carriage_id)
    arrived = services.carriage_register_arrival(
        actor=user,
        carriage=carriage,
        driver_name=payload.driver_name,
        vehicle_plate=payload.vehicle_plate,
        seal_numbers=payload.seal_numbers,
        arrived_at=payload.arrived_at,
    )
    return _carriage_out(arrived)


@router.post(
    "/carriages/{carriage_id}/acceptance",
    response={200: AcceptanceOut, **WRITE_ERRORS},
    operation_id="inbound_acceptance_open",
    summary="Open (or join) the acceptance of a carriage",
    description="Registers arrival if needed. Several operators get the same open acceptance.",
)
@idempotent
@requires(Perm.OPERATE)
def acceptance_open(request: HttpRequest, carriage_id: int) -> AcceptanceOut:
    user, carriage = _carriage_for_write(request, carriage_id)
    acceptance = services.acceptance_open(actor=user, carriage=carriage)
    acceptance.carriage.refresh_from_db()
    return _acceptance_out(acceptance)


@router.get(
    "/acceptances/{acceptance_id}",
    response={200: AcceptanceOut, **READ_ERRORS},
    operation_id="inbound_acceptance_get",
    summary="An acceptance with its progress",
)
@requires(Perm.VIEW_POINT)
def acceptance_get(request: HttpRequest, acceptance_id: int) -> AcceptanceOut:
    return _acceptance_out(selectors.acceptance_get(user=caller(request), acceptance_id=acceptance_id))


@router.post(
    "/acceptances/{acceptance_id}/scans",
    response={200: ScanOutcomeOut, **WRITE_ERRORS},
    operation_id="inbound_acceptance_scan",
    summary="Scan a tote or parcel into an acceptance",
    description=(
        "Answers with exactly one outcome and the progress. A resent `scan_id` returns the first outcome "
        "(`replayed: true`) and writes nothing; with another code it is 422 IDEMPOTENCY_MISMATCH. A closed "
        "acceptance is 409 ACCEPTANCE_CLOSED."
    ),
)
@idempotent
@requires(Perm.OPERATE)
def acceptance_scan(request: HttpRequest, acceptance_id: int, payload: AcceptanceScanIn) -> ScanOutcomeOut:
    # The service checks the caller's access to the acceptance itself (in the same round trip as the scan
    # on PostgreSQL): 404 for another point's, 403 without "operate".
    outcome = services.acceptance_scan(
        actor=caller(request),
        acceptance_id=acceptance_id,
        code=payload.code,
        scan_id=payload.scan_id,
        auto_place=payload.auto_place,
    )
    return _scan_out(outcome)


def _scan_out(outcome: services.ScanOutcome) -> ScanOutcomeOut:
    """The answer to a scan, built without validation (`model_construct`): every value comes typed from
    the service, and ninja's attribute-reading validation of a dozen nested schemas was a fifth of a
    scan's CPU. tests/inbound/test_api.py checks it against the validated construction."""
    tote_progress = outcome.tote_progress
    # Another point's parcel is named only by what was scanned: its card is not this caller's to see.
    shipment = None if outcome.kind == "OTHER_POINT" else outcome.shipment
    construct = ToteProgressOut.model_construct
    return ScanOutcomeOut.model_construct(
        outcome=outcome.kind,
        message=outcome.message,
        code=outcome.scan.code,
        scan_id=outcome.scan.scan_id,
        flagged=outcome.flagged,
        label_partner=outcome.scan.label_partner.name if outcome.scan.label_partner else None,
        cell=outcome.cell.address if outcome.cell else None,
        placed=outcome.placed,
        shipment=None
        if shipment is None
        else AcceptanceParcelOut.model_construct(
            id=shipment.pk,
            posting_number=shipment.posting_number,
            barcode=shipment.barcode,
            status=shipment.status,
            cell=shipment.cell.address if shipment.cell else None,
            fragile=shipment.fragile,
        ),
        tote=outcome.tote.barcode if outcome.tote else None,
        tote_progress=None
        if tote_progress is None
        else construct(
            barcode=tote_progress.barcode,
            status=tote_progress.status,
            scanned=tote_progress.scanned,
            expected=tote_progress.expected,
        ),
        tote_content=[
            ToteLineOut.model_construct(
                posting_number=line.shipment.posting_number,
                barcode=line.shipment.barcode,
                scanned=line.scanned,
            )
            for line in outcome.tote_lines
        ],
        progress=AcceptanceProgressOut.model_construct(
            scanned=outcome.progress.scanned,
            expected=outcome.progress.expected,
            surplus=outcome.progress.surplus,
            put_aside=outcome.progress.put_aside,
            totes=[
                construct(barcode=t.barcode, status=t.status, scanned=t.scanned, expected=t.expected)
                for t in outcome.progress.totes
            ],
        ),
        replayed=outcome.replayed,
    )


@router.post(
    "/acceptances/{acceptance_id}/undo",
    response={200: UndoOut, **WRITE_ERRORS},
    operation_id="inbound_acceptance_undo",
    summary="Undo the caller's last scan",
    description="Only before closing; 409 NOTHING_TO_UNDO when the caller has no scan left to undo.",
)
@idempotent
@requires(Perm.OPERATE)
def acceptance_undo(request: HttpRequest, acceptance_id: int) -> UndoOut:
    user, acceptance = _acceptance_for_write(request, acceptance_id)
    result = services.acceptance_undo_last(actor=user, acceptance=acceptance)
    return UndoOut(
        undone_outcome=result.scan.outcome,
        code=result.scan.code,
        shipment=_parcel_out(result.shipment),
        notification_already_sent=result.notification_already_sent,
        progress=_progress_out(result.progress),
    )


@router.post(
    "/acceptances/{acceptance_id}/damaged",
    response={200: DamageOut, **WRITE_ERRORS},
    operation_id="inbound_acceptance_mark_damaged",
    summary="Mark a parcel of this acceptance damaged (note + optional photo)",
    description="Multipart form. The photo is JPEG, PNG or WebP up to 10 MB; it is stored privately.",
)
@idempotent
@requires(Perm.OPERATE)
def acceptance_mark_damaged(
    request: HttpRequest,
    acceptance_id: int,
    form: Form[DamageForm],
    photo: File[UploadedFile | None] = None,
) -> DamageOut:
    user, acceptance = _acceptance_for_write(request, acceptance_id)
    shipment = shipment_get(user=user, shipment_id=form.shipment_id, point=acceptance.carriage.point)
    damage: AcceptanceDamage = services.acceptance_mark_damaged(
        actor=user, acceptance=acceptance, shipment=shipment, note=form.note, photo=photo
    )
    damage.shipment.refresh_from_db()
    parcel = _parcel_out(damage.shipment)
    assert parcel is not None
    return DamageOut(id=damage.pk, shipment=parcel, note=damage.note, has_photo=bool(damage.photo))


@router.post(
    "/acceptances/{acceptance_id}/close",
    response={200: ActOut, **WRITE_ERRORS},
    operation_id="inbound_acceptance_close",
    summary="Close the acceptance and get the discrepancy act",
    description=("Every manifest parcel not scanned becomes SHORTAGE. Closing again returns the same act."),
)
@idempotent
@requires(Perm.OPERATE)
def acceptance_close(request: HttpRequest, acceptance_id: int) -> ActOut:
    user, acceptance = _acceptance_for_write(request, acceptance_id)
    return _act_out(services.acceptance_close(actor=user, acceptance=acceptance))


@router.get(
    "/acceptances/{acceptance_id}/act",
    response={200: ActOut, **READ_ERRORS, 422: ErrorOut},
    operation_id="inbound_acceptance_act",
    summary="The discrepancy act of a closed acceptance",
)
@requires(Perm.VIEW_POINT)
def acceptance_act(request: HttpRequest, acceptance_id: int) -> ActOut:
    acceptance = selectors.acceptance_get(user=caller(request), acceptance_id=acceptance_id)
    return _act_out(selectors.acceptance_act(acceptance=acceptance))
