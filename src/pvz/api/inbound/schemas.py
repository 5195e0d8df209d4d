"""The bodies of the inbound endpoints: carriages, acceptance progress, scan answers, the discrepancy act
and the tote balance."""

from __future__ import annotations

import datetime as dt
import uuid

from ninja import Schema
from pydantic import Field

from pvz.api.types import InstantIn
from pvz.inbound.models import ScanOutcomeKind


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
