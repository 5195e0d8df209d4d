"""Inbound answers from what the services and selectors return: times in the point's timezone, a
parcel's card, the progress and the discrepancy act."""

from __future__ import annotations

from pvz.api.inbound.schemas import (
    AcceptanceOut,
    AcceptanceParcelOut,
    AcceptanceProgressOut,
    ActCountsOut,
    ActLineOut,
    ActOut,
    InboundCarriageOut,
    PlannedCarriageOut,
    ToteProgressOut,
)
from pvz.api.rendering import point_local
from pvz.inbound import selectors
from pvz.inbound.acts import ActLine, DiscrepancyAct
from pvz.inbound.models import Acceptance, Carriage
from pvz.inbound.selectors import AcceptanceProgress, PlannedCarriage, ToteProgress
from pvz.network.models import PickupPoint
from pvz.shipments.models import Shipment


def carriage_out(carriage: Carriage) -> InboundCarriageOut:
    point = carriage.point
    return InboundCarriageOut(
        id=carriage.pk,
        number=carriage.number,
        partner=carriage.partner.name,
        point_id=carriage.point_id,
        flow=carriage.flow,
        status=carriage.status,
        eta=point_local(carriage.eta, point),
        arrived_at=point_local(carriage.arrived_at, point),
        closed_at=point_local(carriage.closed_at, point),
        driver_name=carriage.driver_name,
        vehicle_plate=carriage.vehicle_plate,
        seal_numbers=list(carriage.seal_numbers),
    )


def planned_out(row: PlannedCarriage) -> PlannedCarriageOut:
    return PlannedCarriageOut(
        carriage=carriage_out(row.carriage),
        expected_totes=row.expected_totes,
        expected_shipments=row.expected_shipments,
        still_expected=row.still_expected,
        is_today=row.is_today,
        is_late=row.is_late,
        approaching=row.approaching,
    )


# The progress and the parcel card are built without validation (`model_construct`), as every acceptance
# scan answers with them: see `acceptances._scan_out`. Their values come typed from the selectors.


def tote_progress_out(tote: ToteProgress) -> ToteProgressOut:
    return ToteProgressOut.model_construct(
        barcode=tote.barcode, status=tote.status, scanned=tote.scanned, expected=tote.expected
    )


def progress_out(progress: AcceptanceProgress) -> AcceptanceProgressOut:
    return AcceptanceProgressOut.model_construct(
        scanned=progress.scanned,
        expected=progress.expected,
        surplus=progress.surplus,
        put_aside=progress.put_aside,
        totes=[tote_progress_out(tote) for tote in progress.totes],
    )


def acceptance_out(acceptance: Acceptance) -> AcceptanceOut:
    point = acceptance.carriage.point
    return AcceptanceOut(
        id=acceptance.pk,
        carriage=carriage_out(acceptance.carriage),
        status=acceptance.status,
        opened_at=acceptance.opened_at.astimezone(point.tz),
        closed_at=point_local(acceptance.closed_at, point),
        progress=progress_out(selectors.acceptance_progress(acceptance=acceptance)),
    )


def parcel_out(shipment: Shipment | None) -> AcceptanceParcelOut | None:
    if shipment is None:
        return None
    return AcceptanceParcelOut.model_construct(
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


def act_out(act: DiscrepancyAct) -> ActOut:
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
