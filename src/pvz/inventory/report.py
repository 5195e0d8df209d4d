"""The report of a finished count (отчёт об инвентаризации), rebuilt from its stored rows.

Scans and missing rows are written once and no scan is taken after the finish, so the report of a count is
the same every time it is built.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pvz.cells.selectors import cell_zone
from pvz.inventory.models import InventoryCount, InventoryMissing, InventoryScan, ScanKind, ScanOutcome


@dataclass(frozen=True)
class ReportLine:
    cell: str
    zone: str
    code: str
    posting_number: str = ""
    barcode: str = ""
    status: str = ""
    from_cell: str | None = None
    # MISPLACED: whether the scan moved the parcel into `cell`; else why not (code and message).
    moved: bool = False
    problem_code: str = ""
    problem: str = ""
    # UNKNOWN: why the parcel is not counted (see UnknownReason).
    reason: str = ""
    # MISSING: written off as LOST by the manager at the finish.
    confirmed: bool = False


@dataclass
class ZoneCounts:
    zone: str
    found: int = 0
    misplaced: int = 0
    missing: int = 0
    lost: int = 0
    unknown: int = 0


@dataclass(frozen=True)
class InventoryReport:
    count_id: int
    point_name: str
    point_address: str
    point_timezone: str
    zone: str
    status: str
    started_at: dt.datetime
    started_by: str
    finished_at: dt.datetime | None
    finished_by: str
    operators: tuple[str, ...]
    found: tuple[ReportLine, ...]
    misplaced: tuple[ReportLine, ...]
    missing: tuple[ReportLine, ...]
    unknown: tuple[ReportLine, ...]
    zones: tuple[ZoneCounts, ...] = field(default_factory=tuple)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "found": len(self.found),
            "misplaced": len(self.misplaced),
            "moved": sum(1 for line in self.misplaced if line.moved),
            "missing": len(self.missing),
            "lost": sum(1 for line in self.missing if line.confirmed),
            "unknown": len(self.unknown),
        }


def _name(user: object) -> str:
    if user is None:
        return ""
    return str(getattr(user, "full_name", "") or getattr(user, "phone", ""))


def _parcel_line(scan: InventoryScan) -> ReportLine:
    shipment = scan.shipment
    return ReportLine(
        cell=scan.cell.address,
        zone=cell_zone(scan.cell),
        code=scan.code,
        posting_number=shipment.posting_number if shipment else "",
        barcode=shipment.barcode if shipment else "",
        status=scan.shipment_status,
        from_cell=scan.from_cell.address if scan.from_cell else None,
        moved=scan.moved,
        problem_code=scan.problem_code,
        problem=scan.problem,
        reason=scan.reason,
    )


def inventory_report_build(count: InventoryCount) -> InventoryReport:
    """Found and misplaced by each parcel's last counting scan (a later scan in another cell supersedes
    an earlier one), every unknown scan, the missing rows of the finish, and the counts per zone."""
    scans = list(
        InventoryScan.objects.filter(count=count)
        .select_related("cell", "from_cell", "shipment", "operator")
        .order_by("at", "id")
    )
    last_by_parcel: dict[int, InventoryScan] = {}
    unknown: list[ReportLine] = []
    operators: list[str] = []
    for scan in scans:
        name = _name(scan.operator)
        if name not in operators:
            operators.append(name)
        if scan.kind != ScanKind.PARCEL:
            continue
        if scan.outcome == ScanOutcome.UNKNOWN:
            unknown.append(_parcel_line(scan))
        elif scan.outcome in (ScanOutcome.FOUND, ScanOutcome.MISPLACED) and scan.shipment_id:
            last_by_parcel[scan.shipment_id] = scan
    ordered = sorted(last_by_parcel.values(), key=lambda s: (s.cell.address, s.code))
    found = [_parcel_line(s) for s in ordered if s.outcome == ScanOutcome.FOUND]
    misplaced = [_parcel_line(s) for s in ordered if s.outcome == ScanOutcome.MISPLACED]
    missing = [
        ReportLine(
            cell=row.cell.address,
            zone=cell_zone(row.cell),
            code=row.shipment.barcode,
            posting_number=row.shipment.posting_number,
            barcode=row.shipment.barcode,
            status=row.status_before,
            confirmed=row.confirmed,
        )
        for row in InventoryMissing.objects.filter(count=count)
        .select_related("cell", "shipment")
        .order_by("cell__address", "shipment__posting_number", "id")
    ]
    zones: dict[str, ZoneCounts] = {}

    def zone(name: str) -> ZoneCounts:
        return zones.setdefault(name, ZoneCounts(zone=name))

    for line in found:
        zone(line.zone).found += 1
    for line in misplaced:
        zone(line.zone).misplaced += 1
    for line in missing:
        zone(line.zone).missing += 1
        zone(line.zone).lost += int(line.confirmed)
    for line in unknown:
        zone(line.zone).unknown += 1
    point = count.point
    return InventoryReport(
        count_id=count.pk,
        point_name=point.name,
        point_address=point.address,
        point_timezone=point.timezone,
        zone=count.zone,
        status=count.status,
        started_at=count.started_at,
        started_by=_name(count.started_by),
        finished_at=count.finished_at,
        finished_by=_name(count.finished_by),
        operators=tuple(operators),
        found=tuple(found),
        misplaced=tuple(misplaced),
        missing=tuple(missing),
        unknown=tuple(unknown),
        zones=tuple(zones[name] for name in sorted(zones)),
    )
