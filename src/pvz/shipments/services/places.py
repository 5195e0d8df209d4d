"""Where a parcel may lie: a customer cell of its point that fits it and has room (STORED), else one of the
point's special places (inspection, return zone, transit). Shared by a transition and a move."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core.errors import DomainError, NotFound
from pvz.network.models import Cell, CellKind, SizeClass
from pvz.shipments.errors import CellFull, CellTooSmall
from pvz.shipments.models import Shipment
from pvz.shipments.statuses import AT_POINT, NEEDS_CELL, Status


def place_checked(*, cell: Cell, shipment: Shipment, status: Status) -> Cell:
    """The cell a parcel in `status` may go into, locked: customer cells for STORED, special places else."""
    if status in NEEDS_CELL:
        locked = Cell.objects.select_for_update().get(pk=cell.pk)
        _check_cell_fits(cell=locked, shipment=shipment)
        return locked
    _check_special_place(cell=cell, shipment=shipment)
    return cell


def _check_cell_fits(*, cell: Cell, shipment: Shipment) -> None:
    """A shipment goes only into an active regular cell of its own point, that fits it and has room."""
    if cell.point_id != shipment.point_id or not cell.is_active:
        raise NotFound(_("Ячейка %(cell)s не найдена на этой точке.") % {"cell": cell.address})
    if cell.kind != CellKind.REGULAR:
        raise DomainError(_("В ячейку %(cell)s нельзя положить заказ клиента.") % {"cell": cell.address})
    if SizeClass.rank(shipment.size_class) > SizeClass.rank(cell.size_class):
        raise CellTooSmall(details={"cell": cell.address, "size_class": shipment.size_class})
    # `cell` was read under its lock, so its counter is exact; the parcel itself does not count.
    held = cell.held - (1 if shipment.cell_id == cell.pk and shipment.status in AT_POINT else 0)
    if held >= cell.capacity:
        raise CellFull(details={"cell": cell.address, "capacity": cell.capacity})


def _check_special_place(*, cell: Cell, shipment: Shipment) -> None:
    """Outside STORED a parcel may only be put in a special place (inspection, return zone, transit) of
    its point; customer cells are filled only through STORED, where their capacity is checked."""
    if cell.point_id != shipment.point_id or not cell.is_active:
        raise NotFound(_("Ячейка %(cell)s не найдена на этой точке.") % {"cell": cell.address})
    if cell.kind == CellKind.REGULAR:
        raise DomainError(
            _("В этом статусе отправление кладут в служебное место, а не в ячейку %(cell)s.")
            % {"cell": cell.address}
        )
