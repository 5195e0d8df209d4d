"""Reads of inventory counts: scope, progress and the missing list, scoped to the caller's points.

What a count expects is read live (the parcels at the point, in a cell of its scope, now), never from a
snapshot taken at the start, so normal work may go on during the count; see `docs/domain.md` § Inventory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.selectors import points_for_user
from pvz.core.errors import Conflict
from pvz.core.lookups import at_point, found
from pvz.inventory.models import CountStatus, InventoryCount, InventoryScan, ScanKind, ScanOutcome
from pvz.inventory.report import InventoryReport, inventory_report_build
from pvz.network.models import Cell, CellKind, PickupPoint
from pvz.shipments.models import Shipment, ShipmentEvent
from pvz.shipments.statuses import AT_POINT, Status, is_allowed

# Parcel scans that say "this parcel is here, on a shelf": FOUND, MISPLACED, or a REPEAT of those (a
# repeat keeps the reason of the unknown scan it repeats, so an empty reason marks a repeat of a seen one).
# An unknown scan says nothing about a parcel we expect. The trigger of migration 0002 counts the same.
SEEN = Q(outcome__in=(ScanOutcome.FOUND, ScanOutcome.MISPLACED)) | Q(outcome=ScanOutcome.REPEAT, reason="")


@dataclass(frozen=True)
class CountProgress:
    cells_scanned: int
    cells_in_scope: int
    parcels_found: int
    parcels_expected: int
    misplaced: int
    unknown: int

    def as_dict(self) -> dict[str, int]:
        return {
            "cells_scanned": self.cells_scanned,
            "cells_in_scope": self.cells_in_scope,
            "parcels_found": self.parcels_found,
            "parcels_expected": self.parcels_expected,
            "misplaced": self.misplaced,
            "unknown": self.unknown,
        }


@dataclass(frozen=True)
class MissingLine:
    shipment: Shipment
    cell: Cell

    @property
    def can_be_lost(self) -> bool:
        """Whether the lifecycle lets this parcel be written off as LOST from its current status."""
        return is_allowed(self.shipment.status, Status.LOST)


def counts_visible_to(*, user: User) -> QuerySet[InventoryCount]:
    return InventoryCount.objects.filter(point__in=points_for_user(user=user))


def count_get(*, user: User, count_id: int, point: PickupPoint | None = None) -> InventoryCount:
    """A count of one of the caller's points (of `point` when given); any other is not found."""
    qs = at_point(counts_visible_to(user=user), point)
    return found(
        qs.select_related("point", "started_by", "finished_by").filter(pk=count_id), inventory_id=count_id
    )


def counts_of_point(*, point: PickupPoint, limit: int = 50) -> list[InventoryCount]:
    """The point's counts, newest first."""
    return list(
        InventoryCount.objects.filter(point=point)
        .select_related("point", "started_by", "finished_by")
        .order_by("-started_at", "-id")[:limit]
    )


def count_open_of_point(*, point: PickupPoint) -> InventoryCount | None:
    return (
        InventoryCount.objects.filter(point=point, status=CountStatus.OPEN)
        .select_related("point", "started_by")
        .first()
    )


def zones_of_point(*, point: PickupPoint) -> list[str]:
    """Zones of the point's active customer cells (`A` of `A-03-2`), sorted."""
    addresses = Cell.objects.filter(point=point, is_active=True, kind=CellKind.REGULAR).values_list(
        "address", flat=True
    )
    return sorted({address.split("-", 1)[0] for address in addresses if "-" in address})


def scope_cells(*, count: InventoryCount) -> QuerySet[Cell]:
    """The cells a count covers: every active place of the point (special places included), or the active
    customer cells of its zone."""
    qs = Cell.objects.filter(point_id=count.point_id, is_active=True)
    if count.zone:
        qs = qs.filter(kind=CellKind.REGULAR, address__startswith=f"{count.zone}-")
    return qs


def cell_in_scope(*, count: InventoryCount, cell: Cell) -> bool:
    if cell.point_id != count.point_id or not cell.is_active:
        return False
    if not count.zone:
        return True
    return cell.kind == CellKind.REGULAR and cell.address.startswith(f"{count.zone}-")


def expected_parcels(*, count: InventoryCount) -> QuerySet[Shipment]:
    """The parcels the count expects on its shelves now: at the point (AT_POINT) in a cell of its scope."""
    return Shipment.objects.filter(
        point_id=count.point_id, status__in=AT_POINT, cell__in=scope_cells(count=count)
    )


def scanned_parcel_ids(*, count: InventoryCount) -> QuerySet[InventoryScan, Any]:
    return InventoryScan.objects.filter(
        SEEN, count=count, kind=ScanKind.PARCEL, shipment__isnull=False
    ).values("shipment_id")


def missing_parcels(*, count: InventoryCount) -> list[MissingLine]:
    """Expected now, not scanned in this count, and not touched since the count started (a parcel that was
    placed, moved or changed status after the start has been in someone's hands during the count).
    Ordered by cell address, then posting number."""
    touched = ShipmentEvent.objects.filter(point_id=count.point_id, at__gt=count.started_at).values(
        "shipment_id"
    )
    rows = (
        expected_parcels(count=count)
        .exclude(pk__in=scanned_parcel_ids(count=count))
        .exclude(pk__in=touched)
        .select_related("cell", "partner", "order__customer")
        .order_by("cell__address", "posting_number", "pk")
    )
    return [MissingLine(shipment=row, cell=row.cell) for row in rows if row.cell is not None]


def count_progress(*, count: InventoryCount) -> CountProgress:
    """Cells of the scope scanned / active cells in scope, parcels seen / parcels expected now, and the
    misplaced and unknown scans so far (a repeated scan counts once). Two small reads, neither growing with
    the scans: the point's cells — those in scope with their occupancy counters (what the count expects is
    what those cells hold: `Cell.held`, kept by the database, counts the parcels at the point placed in
    each), and the retired ones this count scanned, which left the scope after their scan (cells are never
    renamed, so only retiring takes one out) — and the count's own counters, kept by a trigger on every
    scan recorded (migration 0002; a parcel counts as seen for FOUND, MISPLACED or a REPEAT of those, not
    for a repeat of an unknown code)."""
    in_scope = Q(is_active=True)
    if count.zone:
        in_scope &= Q(kind=CellKind.REGULAR, address__startswith=f"{count.zone}-")
    scanned_here = Exists(
        InventoryScan.objects.filter(count_id=count.pk, kind=ScanKind.CELL, cell_id=OuterRef("pk"))
    )
    cells = Cell.objects.filter(point_id=count.point_id).aggregate(
        cells=Count("pk", filter=in_scope),
        held=Coalesce(Sum("held", filter=in_scope), 0),
        retired_scanned=Count("pk", filter=Q(is_active=False) & Q(scanned_here)),
    )
    scanned, found, misplaced, unknown = (
        InventoryCount.objects.filter(pk=count.pk)
        .values_list("cells_scanned", "found_parcels", "misplaced_parcels", "unknown_scans")
        .get()
    )
    return CountProgress(
        cells_scanned=scanned - cells["retired_scanned"],
        cells_in_scope=cells["cells"],
        parcels_found=found,
        parcels_expected=cells["held"],
        misplaced=misplaced,
        unknown=unknown,
    )


def current_cell(*, count: InventoryCount, operator: User) -> Cell | None:
    """The cell the operator scanned last in this count: where their parcel scans go."""
    scan = (
        InventoryScan.objects.filter(count=count, operator=operator, kind=ScanKind.CELL)
        .select_related("cell")
        .order_by("-at", "-id")
        .first()
    )
    return scan.cell if scan is not None else None


def count_report(*, count: InventoryCount) -> InventoryReport:
    """The fixed report of a finished count; an open or cancelled count has none (CONFLICT)."""
    if count.status != CountStatus.FINISHED:
        raise Conflict(
            _("Отчёт появляется после завершения инвентаризации."),
            details={"inventory_id": count.pk, "status": count.status},
        )
    return inventory_report_build(count)
