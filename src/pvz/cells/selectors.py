"""Reads on a point's cells and what they hold, always scoped to the caller's points."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from pvz.accounts.models import User
from pvz.accounts.selectors import points_for_user
from pvz.core.errors import DomainError, NotFound
from pvz.core.scan import fix_layout
from pvz.network.models import Cell, CellKind, PickupPoint, SizeClass
from pvz.shipments.models import Shipment
from pvz.shipments.statuses import AT_POINT

# Limits of the bulk pattern. Racks print as two digits and shelves as one, so the address stays
# `<zone>-<rack:02d>-<shelf>` and the scan classifier recognises it.
RACK_MIN, RACK_MAX = 1, 99
SHELF_MIN, SHELF_MAX = 1, 9
CAPACITY_MIN, CAPACITY_MAX = 1, 100
MAX_CELLS_PER_BULK = 2000
_ZONE = re.compile(r"^[A-Z]{1,2}$")


@dataclass(frozen=True)
class CellOccupancy:
    cell: Cell
    held: int

    @property
    def capacity(self) -> int:
        return self.cell.capacity

    @property
    def free(self) -> int:
        return max(self.cell.capacity - self.held, 0)

    @property
    def fill(self) -> float:
        """Share of the capacity in use, 0.0–1.0 (above 1.0 never happens: placement refuses it)."""
        return self.held / self.cell.capacity if self.cell.capacity else 0.0

    @property
    def zone(self) -> str:
        return cell_zone(self.cell)


@dataclass(frozen=True)
class SizeTotal:
    size_class: str
    cells: int
    capacity: int
    held: int

    @property
    def free(self) -> int:
        return max(self.capacity - self.held, 0)


@dataclass(frozen=True)
class CellContents:
    held: int
    largest_size: str | None


@dataclass(frozen=True)
class CellsPlan:
    """What a bulk pattern would create at a point: every address, and those that already exist."""

    zones: list[str]
    addresses: list[str]
    clashes: list[str]


def cell_zone(cell: Cell) -> str:
    """`A` for `A-03-2`; a special place (no dashes) is its own zone."""
    return cell.address.split("-", 1)[0]


def cells_occupancy(
    *, point: PickupPoint, zone: str | None = None, include_retired: bool = False
) -> list[CellOccupancy]:
    """Cells of a point with the parcels they hold, ordered by address; one query whatever the count."""
    qs = Cell.objects.filter(point=point)
    if not include_retired:
        qs = qs.filter(is_active=True)
    if zone:
        qs = qs.filter(kind=CellKind.REGULAR, address__startswith=f"{zone_normalize(zone)}-")
    # Counted from the parcels rather than read from `Cell.held`: the page also lists the special places,
    # which keep no counter.
    qs = qs.annotate(at_point=Count("shipments", filter=Q(shipments__status__in=AT_POINT))).order_by(
        "address"
    )
    return [CellOccupancy(cell=cell, held=cell.at_point) for cell in qs]


def occupancy_totals(rows: Iterable[CellOccupancy]) -> list[SizeTotal]:
    """Active customer cells summed per size class, smallest first; classes without cells are left out."""
    sums: dict[str, list[int]] = {}
    for row in rows:
        if row.cell.kind != CellKind.REGULAR or not row.cell.is_active:
            continue
        acc = sums.setdefault(row.cell.size_class, [0, 0, 0])
        acc[0] += 1
        acc[1] += row.capacity
        acc[2] += row.held
    return [
        SizeTotal(size_class=size, cells=sums[size][0], capacity=sums[size][1], held=sums[size][2])
        for size in SizeClass.values
        if size in sums
    ]


def cell_get(*, user: User, point: PickupPoint | None, cell_id: int) -> Cell:
    """One cell of the caller's points (of `point` when given); any other is reported as not found."""
    points = points_for_user(user=user)
    if point is not None:
        points = points.filter(pk=point.pk)
    cell = Cell.objects.select_related("point").filter(pk=cell_id, point__in=points).first()
    if cell is None:
        raise NotFound(_("Ячейка не найдена на этой точке."), details={"cell_id": cell_id})
    return cell


def cell_contents(*, cell: Cell) -> CellContents:
    """How many parcels are physically in the cell and the largest size class among them."""
    sizes = list(Shipment.objects.filter(cell=cell, status__in=AT_POINT).values_list("size_class", flat=True))
    largest = max(sizes, key=SizeClass.rank) if sizes else None
    return CellContents(held=len(sizes), largest_size=largest)


def cell_free_places(*, cell: Cell) -> int:
    """How many more parcels the cell takes now (never below zero)."""
    return max(cell.capacity - Shipment.objects.filter(cell=cell, status__in=AT_POINT).count(), 0)


def cells_for_labels(
    *, point: PickupPoint, zone: str | None = None, ids: Sequence[int] | None = None
) -> list[Cell]:
    """Active cells of the point to print labels for, by address; an id of another point is not found."""
    qs = Cell.objects.filter(point=point, is_active=True).select_related("point")
    if zone:
        qs = qs.filter(kind=CellKind.REGULAR, address__startswith=f"{zone_normalize(zone)}-")
    if ids:
        wanted = set(ids)
        cells = list(qs.filter(pk__in=wanted).order_by("address"))
        missing = sorted(wanted - {cell.pk for cell in cells})
        if missing:
            raise NotFound(_("Некоторые ячейки не найдены на этой точке."), details={"cell_ids": missing})
        return cells
    return list(qs.order_by("address"))


def zone_normalize(raw: str) -> str:
    """`ф` typed with a Russian layout is the `A` key: zones are compared after fixing the layout."""
    return fix_layout(raw).strip().upper()


def _zones(raw: Iterable[str]) -> list[str]:
    zones: list[str] = []
    for item in raw:
        zone = zone_normalize(item)
        if not zone:
            continue
        if not _ZONE.match(zone):
            raise DomainError(
                _("Зона «%(zone)s» не подходит: нужны 1–2 латинские буквы, например A или AB.")
                % {"zone": item},
                details={"field": "zones", "zone": item},
            )
        if zone not in zones:
            zones.append(zone)
    if not zones:
        raise DomainError(_("Укажите хотя бы одну зону, например A."), details={"field": "zones"})
    return zones


def _span(field: str, bounds: tuple[int, int], low: int, high: int) -> range:
    first, last = bounds
    if not (low <= first <= last <= high):
        raise DomainError(
            _(
                "%(what)s: номера от %(low)s до %(high)s, первый не больше последнего "
                "(указано %(first)s–%(last)s)."
            )
            % {"what": _SPAN_NAMES[field], "low": low, "high": high, "first": first, "last": last},
            details={"field": field, "first": first, "last": last, "min": low, "max": high},
        )
    return range(first, last + 1)


_SPAN_NAMES = {"racks": _("Стеллажи"), "shelves": _("Полки")}


def cells_bulk_plan(
    *, point: PickupPoint, zones: Iterable[str], racks: tuple[int, int], shelves: tuple[int, int]
) -> CellsPlan:
    """Every address a zones × racks × shelves pattern makes, checked against the limits, and which of
    them the point already has (retired cells included: an address is never reused silently)."""
    zone_list = _zones(zones)
    rack_range = _span("racks", racks, RACK_MIN, RACK_MAX)
    shelf_range = _span("shelves", shelves, SHELF_MIN, SHELF_MAX)
    total = len(zone_list) * len(rack_range) * len(shelf_range)
    if total > MAX_CELLS_PER_BULK:
        raise DomainError(
            _("За один раз можно создать не больше %(max)s ячеек, а по шаблону выходит %(n)s.")
            % {"max": MAX_CELLS_PER_BULK, "n": total},
            details={"field": "pattern", "count": total, "max": MAX_CELLS_PER_BULK},
        )
    addresses = [
        f"{zone}-{rack:02d}-{shelf}" for zone in zone_list for rack in rack_range for shelf in shelf_range
    ]
    existing = set(
        Cell.objects.filter(point=point).filter(_zone_filter(zone_list)).values_list("address", flat=True)
    )
    return CellsPlan(zones=zone_list, addresses=addresses, clashes=[a for a in addresses if a in existing])


def _zone_filter(zones: list[str]) -> Q:
    # By zone prefix rather than `address IN (…)`: up to 2000 addresses would exceed old SQLite limits.
    query = Q()
    for zone in zones:
        query |= Q(address__startswith=f"{zone}-")
    return query
