"""The request and response bodies of the counter endpoints: the customer card, the issue session and its
lines, the finish's per-line results."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class CustomerOut(Schema):
    id: int
    name: str
    phone_masked: str = Field(description="Masked, e.g. +7 916 ***-**-67.")


class CounterParcelOut(Schema):
    id: int
    posting_number: str
    barcode: str
    partner: str
    status: str
    cell: str | None
    point_id: int
    storage_deadline: dt.datetime | None = Field(description="Last moment of storage, in the point's time.")
    amount_due_kop: int
    id_check_needed: bool = Field(description="Flagged by the partner or value at/above its threshold.")
    try_on_allowed: bool = Field(description="The partner lets the customer try it on (inspecting: always).")
    partial_refusal_allowed: bool = Field(
        description="false: the order is taken whole or refused whole (PARTIAL_REFUSAL_NOT_ALLOWED)."
    )
    fragile: bool = Field(description="Handle with care.")


class ElsewhereOut(Schema):
    parcel: CounterParcelOut
    point_name: str | None = Field(description="STORED at another point: its name; else on its way (null).")


class CardOut(Schema):
    customer: CustomerOut
    ready: list[CounterParcelOut] = Field(description="«Готово к выдаче»: STORED here, by cell address.")
    in_transit: list[ElsewhereOut] = Field(description="«В пути»: EXPECTED/ACCEPTED, or STORED elsewhere.")
    done: list[CounterParcelOut] = Field(description="«Завершено»: finished here in the last 30 days.")


class CounterCodeIn(Schema):
    code: str = Field(min_length=1, max_length=200, description="Pickup code or QR token, any layout.")


class IdentifyOut(Schema):
    verification: str = Field(description="pickup_code or qr.")
    card: CardOut


class CounterSearchQuery(Schema):
    q: str = Field(min_length=1, max_length=100, description="Order, posting number, barcode or phone.")


class CounterSearchHitOut(Schema):
    customer: CustomerOut
    shipments: list[CounterParcelOut] = Field(description="The customer's parcels at this point, any status.")


class OpenIn(Schema):
    code: str | None = Field(
        default=None, max_length=200, description="Pickup code or QR token: the session is verified."
    )
    customer_id: int | None = Field(
        default=None, description="A customer found by search: the session needs an SMS code."
    )


class RefusalReasonOut(Schema):
    id: int
    code: str
    title: str


class LineOut(Schema):
    id: int
    shipment: CounterParcelOut
    state: str = Field(description="taken, inspecting, trying_on or refused.")
    scanned_at: dt.datetime
    refusal_reason: RefusalReasonOut | None
    refusal_note: str
    id_check_needed: bool
    id_document: str = Field(description="Type of the document seen; empty until checked.")
    id_last4: str
    payment_needed: bool = Field(description="Amount due and no payment recorded yet.")
    payment_method: str = Field(description="card, cash, or empty.")
    paid_kop: int
    result: str = Field(description="After the finish: issued, refused or failed; empty before.")
    result_code: str = Field(description="The error code of a failed line.")


class FetchCellOut(Schema):
    cell: str
    shipments: list[CounterParcelOut]


class SessionOut(Schema):
    id: int
    point_id: int
    status: str = Field(description="open, finished or cancelled.")
    customer: CustomerOut
    verification: str = Field(description="none, pickup_code, qr or sms.")
    verified_at: dt.datetime | None
    opened_by: str
    opened_at: dt.datetime
    first_scan_at: dt.datetime | None
    finished_at: dt.datetime | None
    bags: int
    issued_count: int
    refused_count: int
    lines: list[LineOut]
    fetch: list[FetchCellOut] = Field(description="Parcels ready here and not scanned yet, by cell address.")
    card: CardOut


class SessionBriefOut(Schema):
    id: int
    customer: CustomerOut
    verification: str
    opened_by: str
    opened_at: dt.datetime
    lines: int


class CounterScanOut(Schema):
    created: bool = Field(description="False: the parcel was already in this session; nothing changed.")
    message: str
    line: LineOut


class RefuseIn(Schema):
    reason_id: int
    note: str = Field(default="", max_length=500)


class IdCheckIn(Schema):
    document: str = Field(
        description="passport_rf, foreign_passport, driver_license, military_id or residence_permit."
    )
    last4: str = Field(min_length=4, max_length=4, description="The last 4 digits; never the full number.")


class PaymentIn(Schema):
    method: str = Field(description="card or cash.")
    reference: str = Field(default="", max_length=64, description="Card: the terminal's operation reference.")
    cash_kop: int | None = Field(default=None, ge=0, description="Cash received, kopecks (≥ amount due).")


class PaymentOut(Schema):
    line: LineOut
    change_kop: int


class BagsIn(Schema):
    count: int = Field(ge=0, le=50)


class LineResultOut(Schema):
    line_id: int
    shipment_id: int
    posting_number: str
    result: str = Field(description="issued, refused or failed.")
    code: str | None = Field(description="Error code of a failed line, e.g. STORAGE_EXPIRED.")
    message: str | None


class FinishOut(Schema):
    session: SessionOut
    results: list[LineResultOut]


class SmsSentOut(Schema):
    sent_at: dt.datetime
    expires_at: dt.datetime
