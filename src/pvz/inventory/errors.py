"""Errors of inventory counts: a closed count, a parcel scan before a cell, a cell the count cannot take."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pvz.core.errors import DomainError, ErrorCode, NotFound


class InventoryClosed(DomainError):
    code = ErrorCode.INVENTORY_CLOSED
    default_message = _("Эта инвентаризация уже завершена или отменена. Сканы больше не принимаются.")


class NoCurrentCell(DomainError):
    code = ErrorCode.NO_CURRENT_CELL
    default_message = _("Сначала отсканируйте этикетку ячейки, потом отправления в ней.")


class CellOutOfScope(DomainError):
    code = ErrorCode.CELL_OUT_OF_SCOPE
    default_message = _("Эта ячейка не входит в инвентаризацию. Сканируйте ячейки своей зоны.")


class CellRetired(DomainError):
    code = ErrorCode.CELL_RETIRED
    default_message = _(
        "Ячейка выведена из работы: в ней не должно быть отправлений. Переложите их в действующую ячейку "
        "и отсканируйте её."
    )


# The refusals of a cell label, shared by the Python path and the database function's answers.


def cell_unknown(address: str) -> NotFound:
    return NotFound(
        _("Ячейка %(cell)s не найдена на этой точке.") % {"cell": address}, details={"cell": address}
    )


def cell_retired(address: str) -> CellRetired:
    return CellRetired(
        _(
            "Ячейка %(cell)s выведена из работы: в ней не должно быть отправлений. Переложите их в "
            "действующую ячейку и отсканируйте её."
        )
        % {"cell": address},
        details={"cell": address},
    )


def cell_out_of_scope(address: str, zone: str) -> CellOutOfScope:
    return CellOutOfScope(
        _("Ячейка %(cell)s не входит в эту инвентаризацию (зона %(zone)s).")
        % {"cell": address, "zone": zone},
        details={"cell": address, "zone": zone},
    )
