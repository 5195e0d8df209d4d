"""The counters the database keeps about parcels in cells, checked against the rows they count.

`Cell.held` and `CustomerCell` are written by triggers (migration 0006) in the transaction that moves a
parcel, so they cannot drift through any code path of ours; these checks are what says so, to a test, to
the inventory at the end of every count, and to `python -m pvz check_counters` (which can repair). A
drift found means something wrote around the triggers (a restore of part of a table, a manual fix): the
repair sets the counter to the truth, under the rows' locks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count

from pvz.network.models import Cell, CellKind
from pvz.shipments.models import CustomerCell, Shipment
from pvz.shipments.statuses import AT_POINT, Status


@dataclass(frozen=True)
class CellDrift:
    cell_id: int
    address: str
    held: int  # what the counter says
    truth: int  # what the parcels say


@dataclass(frozen=True)
class CustomerCellDrift:
    customer_id: int
    cell_id: int
    stored: int
    truth: int


def cells_held_truth(cell_ids: Iterable[int]) -> dict[int, int]:
    """How many parcels count against each cell's capacity, counted from the parcels."""
    rows = (
        Shipment.objects.filter(cell_id__in=list(cell_ids), status__in=AT_POINT)
        .order_by()
        .values("cell_id")
        .annotate(n=Count("pk"))
    )
    return {row["cell_id"]: row["n"] for row in rows}


def cell_counters_drift(
    *, point_id: int | None = None, cell_ids: Iterable[int] | None = None
) -> list[CellDrift]:
    """Customer cells (of a point, or the given ones, or all) whose `held` differs from their parcels."""
    cells = Cell.objects.filter(kind=CellKind.REGULAR)
    if point_id is not None:
        cells = cells.filter(point_id=point_id)
    if cell_ids is not None:
        cells = cells.filter(pk__in=list(cell_ids))
    listed = list(cells.values_list("pk", "address", "held"))
    truth = cells_held_truth(pk for pk, _address, _held in listed)
    return [
        CellDrift(pk, address, held, truth.get(pk, 0))
        for pk, address, held in listed
        if held != truth.get(pk, 0)
    ]


def customer_cells_drift(*, point_id: int | None = None) -> list[CustomerCellDrift]:
    """`CustomerCell` rows that differ from the STORED parcels (missing, extra, or another count)."""
    stored = Shipment.objects.filter(status=Status.STORED, cell__isnull=False)
    rows = CustomerCell.objects.all()
    if point_id is not None:
        stored = stored.filter(cell__point_id=point_id)
        rows = rows.filter(cell__point_id=point_id)
    truth = {
        (row["order__customer_id"], row["cell_id"]): row["n"]
        for row in stored.order_by().values("order__customer_id", "cell_id").annotate(n=Count("pk"))
    }
    kept = {(row.customer_id, row.cell_id): row.stored for row in rows}
    drifts = []
    for pair in sorted(set(truth) | set(kept)):
        if kept.get(pair, 0) != truth.get(pair, 0):
            drifts.append(CustomerCellDrift(pair[0], pair[1], kept.get(pair, 0), truth.get(pair, 0)))
    return drifts


def cell_counters_repair(drifts: Iterable[CellDrift]) -> int:
    """Set each drifted cell's `held` to the truth, recounted under the cell's lock; returns how many."""
    ids = sorted(drift.cell_id for drift in drifts)
    if not ids:
        return 0
    list(Cell.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    truth = cells_held_truth(ids)
    for pk in ids:
        Cell.objects.filter(pk=pk).update(held=truth.get(pk, 0))
    return len(ids)


def customer_cells_repair(drifts: Iterable[CustomerCellDrift]) -> int:
    count = 0
    for drift in drifts:
        if drift.truth == 0:
            CustomerCell.objects.filter(customer_id=drift.customer_id, cell_id=drift.cell_id).delete()
        else:
            CustomerCell.objects.update_or_create(
                customer_id=drift.customer_id, cell_id=drift.cell_id, defaults={"stored": drift.truth}
            )
        count += 1
    return count


def cells_lock(cell_ids: Iterable[int | None]) -> None:
    """Lock the given cells in id order. A transaction that moves parcels in or out of more than one
    cell calls this first, so the counters' row locks, which the triggers take one parcel at a time,
    are always taken in the same order and two such transactions cannot deadlock."""
    ids = sorted({pk for pk in cell_ids if pk is not None})
    if len(ids) > 1:
        list(Cell.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
