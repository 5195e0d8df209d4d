"""The inventory counters the database keeps (migration 0002: the cells scanned, the parcels seen, found
misplaced and the unknown scans of a count), checked against the scans they count, for a test and for
`python -m pvz check_counters`, which also repairs what differs."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from pvz.inventory.models import InventoryCount, InventoryScan, ScanKind, ScanOutcome
from pvz.inventory.selectors import SEEN


@dataclass(frozen=True)
class CountDrift:
    count_id: int
    field: str
    kept: int
    truth: int


def count_counters_truth(count_id: int) -> dict[str, int]:
    """The counters of a count as its scans say, counted the long way."""
    cells = InventoryScan.objects.filter(count_id=count_id, kind=ScanKind.CELL)
    parcels = InventoryScan.objects.filter(count_id=count_id, kind=ScanKind.PARCEL)
    return cells.aggregate(cells_scanned=Count("cell_id", distinct=True)) | parcels.aggregate(
        found_parcels=Count("shipment_id", distinct=True, filter=SEEN),
        misplaced_parcels=Count("shipment_id", distinct=True, filter=Q(outcome=ScanOutcome.MISPLACED)),
        unknown_scans=Count("pk", filter=Q(outcome=ScanOutcome.UNKNOWN)),
    )


def count_counters_drift(*, point_id: int | None = None) -> list[CountDrift]:
    """Every counter of the counts (of one point, or all) that differs from its scans."""
    counts = InventoryCount.objects.all()
    if point_id is not None:
        counts = counts.filter(point_id=point_id)
    drifts = []
    for count in counts.order_by("pk"):
        for field, truth in count_counters_truth(count.pk).items():
            if getattr(count, field) != truth:
                drifts.append(CountDrift(count.pk, field, getattr(count, field), truth))
    return drifts


def count_counters_repair(drifts: list[CountDrift]) -> int:
    """Set each drifted counter to its truth (a plain UPDATE of the count, which no trigger watches)."""
    for drift in drifts:
        InventoryCount.objects.filter(pk=drift.count_id).update(**{drift.field: drift.truth})
    return len(drifts)
