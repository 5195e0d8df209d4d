"""The discrepancy act (акт о расхождениях) of a closed acceptance, as plain data a renderer can print.

Built only from rows that do not change after the acceptance closes (scans, damage records and the
SHORTAGE events written by the close), so rebuilding it later gives the same act.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pvz.inbound.models import Acceptance, AcceptanceDamage, AcceptanceScan, ManifestLine, ScanOutcomeKind
from pvz.shipments.models import Shipment, ShipmentEvent


def shortage_key_prefix(acceptance_id: int) -> str:
    """Idempotency keys of the SHORTAGE events a close writes; the act finds its shortages by them."""
    return f"acceptance:{acceptance_id}:shortage:"


@dataclass(frozen=True)
class ActLine:
    posting_number: str
    barcode: str
    tote: str | None = None
    note: str = ""
    has_photo: bool = False
    # Surplus without data: whose label the scanned code is by the partners' barcode patterns.
    partner: str = ""


@dataclass(frozen=True)
class DiscrepancyAct:
    acceptance_id: int
    carriage_number: str
    point_code: str
    point_name: str
    point_address: str
    point_timezone: str
    partner_code: str
    partner_name: str
    arrived_at: dt.datetime | None
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    driver_name: str
    vehicle_plate: str
    seal_numbers: tuple[str, ...]
    operators: tuple[str, ...]
    expected: int
    accepted: int
    shortage: tuple[ActLine, ...] = field(default=())
    surplus: tuple[ActLine, ...] = field(default=())
    damaged: tuple[ActLine, ...] = field(default=())
    other_point: tuple[ActLine, ...] = field(default=())
    # Parcels with a partner's label that names no shipment in the system: only the scanned code is known.
    surplus_without_data: tuple[ActLine, ...] = field(default=())

    @property
    def counts(self) -> dict[str, int]:
        return {
            "expected": self.expected,
            "accepted": self.accepted,
            "shortage": len(self.shortage),
            "surplus": len(self.surplus),
            "damaged": len(self.damaged),
            "other_point": len(self.other_point),
            "surplus_without_data": len(self.surplus_without_data),
        }


def _line(shipment: Shipment, *, note: str = "", has_photo: bool = False) -> ActLine:
    return ActLine(
        posting_number=shipment.posting_number,
        barcode=shipment.barcode,
        tote=shipment.tote.barcode if shipment.tote else None,
        note=note,
        has_photo=has_photo,
    )


def discrepancy_act_build(acceptance: Acceptance) -> DiscrepancyAct:
    """The act of `acceptance` (normally a closed one) from its stored rows."""
    carriage = acceptance.carriage
    point, partner = carriage.point, carriage.partner
    scans = list(
        AcceptanceScan.objects.filter(acceptance=acceptance, undone_at__isnull=True)
        .select_related("operator", "shipment__tote", "label_partner")
        .order_by("created_at", "id")
    )
    shortage_events = (
        ShipmentEvent.objects.filter(idempotency_key__startswith=shortage_key_prefix(acceptance.pk))
        .select_related("shipment__tote")
        .order_by("shipment__posting_number")
    )
    damages = (
        AcceptanceDamage.objects.filter(acceptance=acceptance)
        .select_related("shipment__tote")
        .order_by("shipment__posting_number")
    )
    accepted_ids = {s.shipment_id for s in scans if s.outcome == ScanOutcomeKind.ACCEPTED}
    by_code = sorted(
        {s.shipment_id: s.shipment for s in scans if s.shipment is not None}.values(),
        key=lambda shipment: shipment.posting_number,
    )
    surplus_ids = {s.shipment_id for s in scans if s.outcome == ScanOutcomeKind.SURPLUS}
    other_ids = {s.shipment_id for s in scans if s.outcome == ScanOutcomeKind.OTHER_POINT}
    # One line per code, and none for a code that named a shipment in a later scan (announced meanwhile).
    found_codes = {s.code for s in scans if s.shipment_id is not None}
    without_data = {
        s.code: ActLine(posting_number="", barcode=s.code, partner=s.label_partner.name)
        for s in scans
        if s.outcome == ScanOutcomeKind.UNKNOWN_LABEL and s.label_partner and s.code not in found_codes
    }

    people = [acceptance.opened_by, *(s.operator for s in scans), acceptance.closed_by]
    operators: list[str] = []
    for person in people:
        name = (person.full_name or person.phone) if person is not None else ""
        if name and name not in operators:
            operators.append(name)

    return DiscrepancyAct(
        acceptance_id=acceptance.pk,
        carriage_number=carriage.number,
        point_code=point.code,
        point_name=point.name,
        point_address=point.address,
        point_timezone=point.timezone,
        partner_code=partner.code,
        partner_name=partner.name,
        arrived_at=carriage.arrived_at,
        opened_at=acceptance.opened_at,
        closed_at=acceptance.closed_at,
        driver_name=carriage.driver_name,
        vehicle_plate=carriage.vehicle_plate,
        seal_numbers=tuple(carriage.seal_numbers),
        operators=tuple(operators),
        expected=ManifestLine.objects.filter(carriage=carriage).count(),
        accepted=ManifestLine.objects.filter(carriage=carriage, shipment_id__in=accepted_ids).count(),
        shortage=tuple(_line(event.shipment) for event in shortage_events),
        surplus=tuple(_line(s) for s in by_code if s.pk in surplus_ids),
        damaged=tuple(_line(d.shipment, note=d.note, has_photo=bool(d.photo)) for d in damages),
        other_point=tuple(_line(s) for s in by_code if s.pk in other_ids),
        surplus_without_data=tuple(without_data[code] for code in sorted(without_data)),
    )
