"""Inventory endpoints (инвентаризация): start, progress, cell and parcel scans, missing list, finish, cancel,
report.

A count of another point is 404, never 403. Starting, the missing list, finishing, cancelling and the
report need *manage point*; reading the progress and scanning need *operate* (operators count too).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from pvz.accounts.models import User
from pvz.accounts.roles import Perm
from pvz.api.auth import caller
from pvz.api.errors import READ_BY_ID_ERRORS, WRITE_ERRORS, ErrorOut
from pvz.api.idempotency import idempotent
from pvz.api.permissions import Lookup, point_of, requires, subject_of
from pvz.inventory import selectors, services
from pvz.inventory.models import InventoryCount, ScanKind
from pvz.inventory.report import InventoryReport, ReportLine
from pvz.inventory.selectors import CountProgress, MissingLine
from pvz.inventory.services import ScanAnswer

router = Router(tags=["inventory"])


# ---- schemas --------------------------------------------------------------------------------------------


class InventoryProgressOut(Schema):
    cells_scanned: int = Field(description="Cells of the scope scanned at least once.")
    cells_in_scope: int
    parcels_found: int = Field(description="Parcels of this point seen in the count (found or misplaced).")
    parcels_expected: int = Field(description="Parcels at the point in a cell of the scope, now.")
    misplaced: int
    unknown: int


class InventoryOut(Schema):
    id: int
    point_id: int
    zone: str | None = Field(description="The zone counted (e.g. `A`); null for the whole point.")
    status: str = Field(description="open, finished or cancelled.")
    started_at: dt.datetime
    started_by: str
    finished_at: dt.datetime | None = Field(description="When it was finished or cancelled.")
    finished_by: str | None
    progress: InventoryProgressOut


class StartIn(Schema):
    zone: str | None = Field(
        default=None, max_length=2, description="A zone of customer cells (any keyboard layout); null: all."
    )


class InventoryScanIn(Schema):
    code: str = Field(min_length=1, max_length=200, description="What was scanned, any keyboard layout.")
    scan_id: uuid.UUID = Field(
        description="Client-generated UUID of this scan; a resend returns the first answer."
    )


class InventoryScanOut(Schema):
    outcome: str = Field(description="CELL, FOUND, MISPLACED, UNKNOWN or REPEAT.")
    code: str = Field(description="The scan after fixing the keyboard layout.")
    cell: str = Field(description="The operator's current cell (the one scanned, for a cell scan).")
    shipment_id: int | None = Field(description="This point's parcel, if the code named one.")
    posting_number: str | None
    status: str | None = Field(description="The parcel's status when scanned.")
    reason: str | None = Field(description="UNKNOWN: not_found, other_point, off_shelf_status or not_placed.")
    from_cell: str | None = Field(description="MISPLACED: where the records had it (null: nowhere).")
    moved: bool = Field(description="MISPLACED: the scan moved it into `cell`.")
    problem_code: str | None = Field(description="MISPLACED and not moved: why (e.g. CELL_FULL).")
    problem: str | None
    scan_id: uuid.UUID
    replayed: bool
    progress: InventoryProgressOut


class MissingOut(Schema):
    shipment_id: int
    posting_number: str
    barcode: str
    status: str
    cell: str
    can_be_lost: bool = Field(description="False when its status does not allow LOST (e.g. EXPIRED).")


class FinishIn(Schema):
    confirmed_missing_ids: list[int] = Field(
        default_factory=list, description="Ids from the missing list to write off as LOST; the rest stay."
    )


class ReportLineOut(Schema):
    cell: str
    zone: str
    code: str
    posting_number: str
    barcode: str
    status: str
    from_cell: str | None
    moved: bool
    problem_code: str
    reason: str
    confirmed: bool = Field(description="Missing: written off as LOST.")


class ZoneCountsOut(Schema):
    zone: str
    found: int
    misplaced: int
    missing: int
    lost: int
    unknown: int


class ReportCountsOut(Schema):
    found: int
    misplaced: int
    moved: int
    missing: int
    lost: int
    unknown: int


class ReportOut(Schema):
    inventory_id: int
    point_name: str
    point_address: str
    zone: str | None
    status: str
    started_at: dt.datetime
    started_by: str
    finished_at: dt.datetime | None
    finished_by: str
    operators: list[str]
    counts: ReportCountsOut
    zones: list[ZoneCountsOut]
    found: list[ReportLineOut]
    misplaced: list[ReportLineOut]
    missing: list[ReportLineOut]
    unknown: list[ReportLineOut]


# ---- rendering ------------------------------------------------------------------------------------------


def _name(user: User | None) -> str:
    return (user.full_name or user.phone) if user is not None else ""


def _progress_out(progress: CountProgress) -> InventoryProgressOut:
    return InventoryProgressOut(**progress.as_dict())


def _count_out(count: InventoryCount) -> InventoryOut:
    tz = count.point.tz
    return InventoryOut(
        id=count.pk,
        point_id=count.point_id,
        zone=count.zone or None,
        status=count.status,
        started_at=count.started_at.astimezone(tz),
        started_by=_name(count.started_by),
        finished_at=count.finished_at.astimezone(tz) if count.finished_at else None,
        finished_by=_name(count.finished_by) or None,
        progress=_progress_out(selectors.count_progress(count=count)),
    )


def _scan_out(answer: ScanAnswer) -> InventoryScanOut:
    scan = answer.scan
    shipment = scan.shipment
    return InventoryScanOut(
        outcome=scan.outcome,
        code=scan.code,
        cell=answer.cell.address,
        shipment_id=shipment.pk if shipment else None,
        posting_number=shipment.posting_number if shipment else None,
        status=scan.shipment_status or None,
        reason=scan.reason or None,
        from_cell=scan.from_cell.address if scan.from_cell else None,
        moved=scan.moved,
        problem_code=scan.problem_code or None,
        problem=scan.problem or None,
        scan_id=scan.scan_id,
        replayed=answer.replayed,
        progress=_progress_out(answer.progress),
    )


def _missing_out(line: MissingLine) -> MissingOut:
    return MissingOut(
        shipment_id=line.shipment.pk,
        posting_number=line.shipment.posting_number,
        barcode=line.shipment.barcode,
        status=line.shipment.status,
        cell=line.cell.address,
        can_be_lost=line.can_be_lost,
    )


def _line_out(line: ReportLine) -> ReportLineOut:
    return ReportLineOut(
        cell=line.cell,
        zone=line.zone,
        code=line.code,
        posting_number=line.posting_number,
        barcode=line.barcode,
        status=line.status,
        from_cell=line.from_cell,
        moved=line.moved,
        problem_code=line.problem_code,
        reason=line.reason,
        confirmed=line.confirmed,
    )


def _report_out(report: InventoryReport, count: InventoryCount) -> ReportOut:
    tz = count.point.tz
    return ReportOut(
        inventory_id=report.count_id,
        point_name=report.point_name,
        point_address=report.point_address,
        zone=report.zone or None,
        status=report.status,
        started_at=report.started_at.astimezone(tz),
        started_by=report.started_by,
        finished_at=report.finished_at.astimezone(tz) if report.finished_at else None,
        finished_by=report.finished_by,
        operators=list(report.operators),
        counts=ReportCountsOut(**report.counts),
        zones=[ZoneCountsOut(**vars(zone)) for zone in report.zones],
        found=[_line_out(line) for line in report.found],
        misplaced=[_line_out(line) for line in report.misplaced],
        missing=[_line_out(line) for line in report.missing],
        unknown=[_line_out(line) for line in report.unknown],
    )


# ---- access ---------------------------------------------------------------------------------------------


# A count named in the path: of one of the caller's points (else 404), the permission checked at its point
# by `@requires(…, via=COUNT)`.
COUNT = Lookup("inventory_id", lambda user, count_id: selectors.count_get(user=user, count_id=count_id))


# ---- endpoints ------------------------------------------------------------------------------------------


@router.post(
    "/points/{point_id}/inventories",
    response={200: InventoryOut, **WRITE_ERRORS},
    operation_id="inventory_start",
    summary="Start an inventory count of a point or one zone",
    description="At most one open count per point: a second start is 409 CONFLICT naming the open one.",
)
@idempotent
@requires(Perm.MANAGE_POINT)
def inventory_start(request: HttpRequest, point_id: int, payload: StartIn) -> InventoryOut:
    user = caller(request)
    point = point_of(request)
    return _count_out(services.inventory_start(actor=user, point=point, zone=payload.zone))


@router.get(
    "/points/{point_id}/inventories",
    response={200: list[InventoryOut], **READ_BY_ID_ERRORS},
    operation_id="inventory_list",
    summary="Inventory counts of a point, newest first (at most 50)",
)
@requires(Perm.OPERATE)
def inventory_list(request: HttpRequest, point_id: int) -> list[InventoryOut]:
    point = point_of(request)
    return [_count_out(count) for count in selectors.counts_of_point(point=point)]


@router.get(
    "/inventories/{inventory_id}",
    response={200: InventoryOut, **READ_BY_ID_ERRORS},
    operation_id="inventory_get",
    summary="A count with its progress",
)
@requires(Perm.OPERATE, via=COUNT)
def inventory_get(request: HttpRequest, inventory_id: int) -> InventoryOut:
    return _count_out(subject_of(request, InventoryCount))


def _scan(
    request: HttpRequest, inventory_id: int, kind: ScanKind, payload: InventoryScanIn
) -> InventoryScanOut:
    """A cell or a parcel scan: the service checks access in the round trip of the scan itself."""
    outcome = services.inventory_scan_as(
        actor=caller(request), count_id=inventory_id, kind=kind, code=payload.code, scan_id=payload.scan_id
    )
    return _scan_out(outcome)


@router.post(
    "/inventories/{inventory_id}/cell-scans",
    response={200: InventoryScanOut, **WRITE_ERRORS},
    operation_id="inventory_scan_cell",
    summary="Scan a cell label: it becomes the caller's current cell in the count",
    description=(
        "404 NOT_FOUND for an address the point has not; 409 CELL_RETIRED; 422 CELL_OUT_OF_SCOPE for a cell "
        "outside the count's zone; 409 INVENTORY_CLOSED once the count is finished or cancelled."
    ),
)
@idempotent
@requires(Perm.OPERATE, checked_by="the scan service, in the round trip of the scan itself (hot path)")
def inventory_scan_cell(
    request: HttpRequest, inventory_id: int, payload: InventoryScanIn
) -> InventoryScanOut:
    return _scan(request, inventory_id, ScanKind.CELL, payload)


@router.post(
    "/inventories/{inventory_id}/parcel-scans",
    response={200: InventoryScanOut, **WRITE_ERRORS},
    operation_id="inventory_scan_parcel",
    summary="Scan a parcel in the caller's current cell",
    description=(
        "FOUND, MISPLACED (moved into the current cell when the placement rules allow; else `problem_code`), "
        "UNKNOWN (with `reason`) or REPEAT. 409 NO_CURRENT_CELL before any cell scan. A resent `scan_id` "
        "returns the first answer (`replayed: true`); with another code it is 422 IDEMPOTENCY_MISMATCH."
    ),
)
@idempotent
@requires(Perm.OPERATE, checked_by="the scan service, in the round trip of the scan itself (hot path)")
def inventory_scan_parcel(
    request: HttpRequest, inventory_id: int, payload: InventoryScanIn
) -> InventoryScanOut:
    return _scan(request, inventory_id, ScanKind.PARCEL, payload)


@router.get(
    "/inventories/{inventory_id}/missing",
    response={200: list[MissingOut], **READ_BY_ID_ERRORS},
    operation_id="inventory_missing",
    summary="Parcels expected in the count's cells and not scanned (live)",
    description="Parcels placed, moved or changed after the count started are not listed.",
)
@requires(Perm.MANAGE_POINT, via=COUNT)
def inventory_missing(request: HttpRequest, inventory_id: int) -> list[MissingOut]:
    count = subject_of(request, InventoryCount)
    return [_missing_out(line) for line in selectors.missing_parcels(count=count)]


@router.post(
    "/inventories/{inventory_id}/finish",
    response={200: ReportOut, **WRITE_ERRORS},
    operation_id="inventory_finish",
    summary="Finish the count: write off the confirmed missing parcels and fix the report",
    description=(
        "All or nothing. Each confirmed parcel → LOST (one event, reason `inventory`); the other missing "
        "parcels are reported and left as they are. 422 VALIDATION_FAILED when a confirmed id is not on the "
        "missing list now; 409 INVALID_TRANSITION when its status does not allow LOST; 409 CONFLICT when a "
        "parcel changed meanwhile."
    ),
)
@idempotent
@requires(Perm.MANAGE_POINT, via=COUNT)
def inventory_finish(request: HttpRequest, inventory_id: int, payload: FinishIn) -> ReportOut:
    user, count = caller(request), subject_of(request, InventoryCount)
    report = services.inventory_finish(
        actor=user, count=count, confirmed_missing_ids=payload.confirmed_missing_ids
    )
    return _report_out(report, count)


@router.post(
    "/inventories/{inventory_id}/cancel",
    response={200: InventoryOut, **WRITE_ERRORS},
    operation_id="inventory_cancel",
    summary="Cancel an open count (nothing is written off)",
)
@idempotent
@requires(Perm.MANAGE_POINT, via=COUNT)
def inventory_cancel(request: HttpRequest, inventory_id: int) -> InventoryOut:
    user, count = caller(request), subject_of(request, InventoryCount)
    return _count_out(services.inventory_cancel(actor=user, count=count))


@router.get(
    "/inventories/{inventory_id}/report",
    response={200: ReportOut, **READ_BY_ID_ERRORS, 409: ErrorOut},
    operation_id="inventory_report",
    summary="The report of a finished count",
    description="409 CONFLICT while the count is open or when it was cancelled.",
)
@requires(Perm.MANAGE_POINT, via=COUNT)
def inventory_report(request: HttpRequest, inventory_id: int) -> ReportOut:
    count = subject_of(request, InventoryCount)
    return _report_out(selectors.count_report(count=count), count)
